// The organiser's page for one meeting: its phase and the buttons that move it on, focus mode for
// the projector, admission slips, the door desk (a letter for a slip), officers, the live counts,
// the closing reconciliation and the meeting's record.
import { api, param } from './api.js';
import { h, field, setFieldError, focusEl, announce, replace, oneAtATime } from './dom.js';
import { layout } from './layout.js';
import { formatMoney, formatDateTime, fill, plural } from './format.js';
import { requireUser, consoleBar } from './console-common.js';
import { followMeeting } from './meeting-live.js';
import { slipCard } from './printing.js';

const TEXT = {
  title: 'Run a meeting',
  loading: 'Loading…',
  noId: 'No meeting was chosen. Open it from its consultation’s page.',
  notFound: 'We could not find this meeting.',
  loadError: 'We could not load the meeting: {detail}',
  organisersOnly: 'Only organisers run meetings. Officers enter paper ballots on the paper ballots page.',
  paperLink: 'Go to the paper ballots page',
  back: 'Back to the consultation',
  status: 'Status:',
  phase: { planned: 'Planned', voting: 'Voting', closed: 'Closed' },
  where: '{place}',
  when: '{place}, starting {date}',
  doubleEntry: 'Paper ballots are typed in twice, by two officers, and must agree.',
  projectorLink: 'Open the projector screen',
  ballotLink: 'Open the hall’s ballot page',
  paperPage: 'Paper ballots',
  countsHeading: 'Now',
  counts: '{admitted} admitted, {voted} voted ({phones} on phones, {paper} on paper).',
  offline: 'Lost touch with the live count; trying again.',
  stageHeading: 'Voting',
  stageText: {
    planned: 'Voting has not started. Print the slips and assign officers, then open voting when the hall is ready.',
    voting: 'The hall is voting. The projector shows how many have voted, and no result until you close and reveal.',
    closed: 'Voting has closed and the meeting’s votes are counted. Reveal the result to show it on the projector and the phones.',
    revealed: 'Voting has closed. The meeting’s result is on the projector and the phones.',
  },
  consultationNotOpen: 'Voting can be opened here once the consultation itself is open for votes.',
  open: 'Open voting',
  close: 'Close voting',
  reveal: 'Reveal the result',
  confirmOpen: 'Open voting at “{title}”? People in the hall will be able to send their votes.',
  confirmClose: 'Close voting at “{title}”? Nobody will be able to vote at this meeting any more. This cannot be undone.',
  confirmReveal: 'Show the result of “{title}” on the projector and the phones?',
  opened: 'Voting is now open.',
  closed: 'Voting is now closed. The meeting’s votes are counted.',
  revealed: 'The result is now on the projector and the phones.',
  overrideLabel: 'Why close although papers are not settled? (this goes in the meeting’s record)',
  overrideHint: 'Papers typed in differently by two officers are not counted until a third officer settles them.',
  overrideShown: '{n} paper ballots were typed in differently and are not settled yet: {serials}.',
  resetHeading: 'Reset the meeting',
  resetText: 'A reset deletes every vote cast at this meeting (phones and paper) and starts it again, planned. Slips can vote again. It is recorded with your name and reason.',
  resetReason: 'Why reset it? (this goes in the meeting’s record)',
  resetNeedReason: 'Type why you are resetting the meeting.',
  reset: 'Reset the meeting',
  confirmReset: 'Reset “{title}”? Every vote cast at this meeting will be deleted.',
  resetDone: { one: 'The meeting was reset. 1 vote was deleted.', other: 'The meeting was reset. {n} votes were deleted.' },
  focusHeading: 'Focus mode: one proposal on the projector',
  focusIntro: 'Step through the proposals one at a time for discussion. The projector shows the one you choose.',
  focusNow: 'On the screen now:',
  focusNone: 'no proposal',
  previous: 'Previous proposal',
  next: 'Next proposal',
  none: 'Show no proposal',
  focusPick: 'Proposal to show',
  focusShow: 'Show on the screen',
  focusSaid: 'On the screen now: {title}.',
  focusSaidNone: 'No proposal is on the screen now.',
  kind: { saving: 'saving', development: 'new spending' },
  option: '{id}: {title} ({kind}, {amount})',
  slipsHeading: 'Admission slips',
  slipsIntro: 'One slip per person, handed out at the door. Each slip has a code, a short link and a QR code that opens the hall’s ballot with the code filled in.',
  slipsCount: 'How many slips to print',
  slipsHint: 'From 1 to 2,000 at a time.',
  badSlips: 'Type a whole number from 1 to 2,000.',
  makeSlips: 'Make slips',
  making: 'Making slips…',
  slipsNotNow: 'Slips can be made until voting closes.',
  newSlipsHeading: 'Your new slips ({count})',
  slipsOnce: 'These slips are shown only once. Print them now: the council keeps only a scrambled copy of each code.',
  printSlips: 'Print the slips',
  forgetSlips: 'I have printed them: forget the codes',
  doorHeading: 'At the door: a letter for a slip',
  doorIntro: 'A resident who brought their letter can exchange it for a slip. The slip then casts the letter’s one vote, and the letter can no longer vote online.',
  letterCode: 'Voter code on the letter',
  letterHint: 'For example K7QF-M2XD-9PRT.',
  needLetter: 'Type the voter code from the letter.',
  exchange: 'Exchange for a slip',
  exchanged: 'Here is the slip for this letter. Print it or show it to the resident.',
  printSlip: 'Print this slip',
  doorNotNow: 'Letters can be exchanged until voting closes.',
  officersHeading: 'Officers',
  officersIntro: 'Officers type in paper ballots. They need an account with the officer role.',
  noOfficers: 'No officers yet.',
  officerEmail: 'Officer’s email address',
  needEmail: 'Type the officer’s email address.',
  addOfficer: 'Assign officer',
  officerAdded: '{email} is now an officer of this meeting.',
  remove: 'Remove',
  confirmRemove: 'Remove {email} as an officer of this meeting?',
  officerRemoved: '{email} is no longer an officer of this meeting.',
  reconHeading: 'Closing reconciliation',
  reconIntro: 'These numbers go in the meeting’s record. Check them before and after you close.',
  recon: {
    slips_printed: 'Slips printed',
    slips_used: 'Slips used to vote',
    letters_exchanged: 'Letters exchanged for slips',
    letters_used_in_hall: 'Letters used in the hall',
    phones_admitted: 'Phones admitted',
    phone_ballots: 'Votes on phones',
    paper_ballots: 'Paper ballots entered',
    open_mismatches: 'Papers typed in differently, not settled',
    ballots_counted: 'Votes counted',
  },
  reconCaption: 'The meeting’s numbers',
  mismatchesHeading: 'Papers to settle',
  mismatches: 'Typed in differently by two officers: {serials}. A third officer settles them on the paper ballots page.',
  noMismatches: 'No papers are waiting to be settled.',
  recordHeading: 'The meeting’s record',
  recordEmpty: 'Nothing yet.',
  event: {
    created: 'Meeting added',
    changed: 'Details changed',
    'voting-opened': 'Voting opened',
    closed: { one: 'Voting closed (1 vote counted)', other: 'Voting closed ({ballots} votes counted)' },
    'closed-with-mismatches': 'Closed with papers not settled ({serials}). Reason: {reason}',
    revealed: 'Result revealed',
    reset: { one: 'Meeting reset (1 vote deleted). Reason: {reason}', other: 'Meeting reset ({ballots_deleted} votes deleted). Reason: {reason}' },
    focus: 'On the projector: {proposal}',
    'slips-printed': '{count} slips made',
    'letter-exchanged': 'A letter exchanged for a slip',
    'officer-assigned': 'Officer assigned: {officer}',
    'officer-removed': 'An officer removed',
  },
  by: 'by {email}',
  error: 'Something went wrong: {detail}',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
const mid = param('m');
const SLIPS_KEY = 'pbvote.slips';
const enc = encodeURIComponent;
let user;
let M; // the meeting
let C; // its consultation
let R = null; // the record: {meeting, reconciliation, events}
let officers = [];
let mismatches = [];
let live = null;
let flash = null; // {section, text, kind}
let shownFlash = null; // the message on the page now
let loading = null; // the reload in progress
let showOverride = false;
let stream = null;
const ui = {};

async function start() {
  user = await requireUser();
  if (!user) return;
  if (!mid) { replace(main, h('h1', {}, TEXT.title), consoleBar(user), notice('error', TEXT.noId)); return; }
  if (user.role !== 'organiser') {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), notice('warning', TEXT.organisersOnly),
      h('p', {}, h('a', { href: `paper.html?m=${enc(mid)}` }, TEXT.paperLink)));
    return;
  }
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.loading));
  await reload();
}

function notice(kind, text, id) {
  return h('div', { class: `notice notice--${kind}`, id, tabindex: id ? '-1' : null }, h('p', {}, text));
}

/** Read everything again and draw the page; then focus `focusSelector` if given. */
async function reload(focusSelector) {
  const p = readAndDraw(focusSelector);
  loading = p;
  try { await p; } finally { if (loading === p) loading = null; }
}

async function readAndDraw(focusSelector) {
  try {
    R = await api(`/meetings/${enc(mid)}/record`);
    M = R.meeting;
    const [c, o, p] = await Promise.all([
      api(`/consultations/${enc(M.consultation_id)}`),
      api(`/meetings/${enc(mid)}/officers`),
      api(`/meetings/${enc(mid)}/paper`),
    ]);
    C = c;
    officers = o || [];
    mismatches = p?.mismatches || [];
  } catch (e) {
    const text = e.status === 404 ? TEXT.notFound : fill(TEXT.loadError, { detail: e.detail || e.message });
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, text)));
    return;
  }
  if (R.reconciliation.open_mismatches > 0) showOverride = true;
  render();
  if (focusSelector) {
    const el = document.querySelector(focusSelector);
    if (el) focusEl(el);
  }
  // The live count follows the meeting once its consultation is public (a draft's is not).
  if (!stream && C.phase !== 'draft') stream = followMeeting(mid, { onState, onConnection: (up) => { if (ui.offline) ui.offline.hidden = up; } });
}

/** The message after an action (not a live region: focus moves to it, or it is announced). */
function flashFor(section) {
  if (!flash || flash.section !== section) return null;
  return notice(flash.kind || 'success', flash.text, `${section}-flash`);
}

function render() {
  document.title = `${M.title} – ${TEXT.title}`;
  replace(main,
    h('h1', {}, M.title),
    h('p', { class: 'status-line' }, `${TEXT.status} `, h('strong', { class: 'tag tag--phase', id: 'meeting-phase' }, TEXT.phase[M.phase] || M.phase)),
    h('p', {}, M.starts_at ? fill(TEXT.when, { place: M.place, date: formatDateTime(M.starts_at) }) : fill(TEXT.where, { place: M.place }),
      M.double_entry ? [' ', TEXT.doubleEntry] : null),
    consoleBar(user),
    h('ul', { class: 'card__meta' },
      h('li', {}, h('a', { href: `../projector.html?m=${enc(mid)}`, id: 'projector-link' }, TEXT.projectorLink)),
      C.phase !== 'draft' ? h('li', {}, h('a', { href: `../vote.html?c=${enc(C.id)}&m=${enc(mid)}` }, TEXT.ballotLink)) : null,
      h('li', {}, h('a', { href: `paper.html?m=${enc(mid)}`, id: 'paper-link' }, TEXT.paperPage)),
      h('li', {}, h('a', { href: `consultation.html?c=${enc(C.id)}` }, TEXT.back))),
    countsPanel(),
    stageSection(),
    focusSection(),
    slipsSection(),
    doorSection(),
    officersSection(),
    reconciliationSection(),
    h('p', {}, h('a', { href: `consultation.html?c=${enc(C.id)}` }, TEXT.back)));
  shownFlash = flash;
  flash = null;
  showCounts();
}

// ---------- live ----------

function countsPanel() {
  ui.counts = h('p', { id: 'live-counts', class: 'lead' });
  ui.offline = h('p', { id: 'live-offline', class: 'small', hidden: true }, TEXT.offline);
  return h('section', { class: 'panel', 'aria-labelledby': 'counts-heading' },
    h('h2', { id: 'counts-heading' }, TEXT.countsHeading), ui.counts, ui.offline);
}

function showCounts() {
  const s = live || { admitted: R.reconciliation.phones_admitted + R.reconciliation.paper_ballots, voted: R.reconciliation.ballots_counted, phones: R.reconciliation.phone_ballots, paper: R.reconciliation.paper_ballots };
  ui.counts.textContent = fill(TEXT.counts, { admitted: s.admitted ?? 0, voted: s.voted ?? 0, phones: s.phones ?? 0, paper: s.paper ?? 0 });
}

function movedOn(m) {
  return m.phase !== M.phase || m.revealed !== M.revealed || m.generation !== M.generation;
}

/**
 * The stream says the meeting moved on. Usually it is this page's own action, which draws the
 * page itself; if not (another organiser's window), draw it again without losing the reader's
 * place: focus returns to the same control and the last message stays.
 */
let syncTimer = null;
function syncSoon() {
  if (syncTimer) return;
  syncTimer = setTimeout(async () => {
    syncTimer = null;
    if (loading) await loading;
    if (!movedOn(live.meeting)) return;
    const keep = document.activeElement?.id;
    flash = shownFlash;
    await reload();
    const el = keep && document.getElementById(keep);
    if (el) el.focus({ preventScroll: true });
  }, 300);
}

let recordTimer = null;
function onState(state) {
  const changed = live && (live.voted !== state.voted || live.admitted !== state.admitted);
  live = state;
  showCounts();
  const m = state.meeting;
  if (movedOn(m)) {
    syncSoon();
    return;
  }
  const onScreen = state.focus ? state.focus.id : null;
  if (onScreen !== (M.focus ?? null)) {
    M.focus = onScreen;
    showFocus();
  }
  // The reconciliation follows the counts, a little behind (one read for a burst of votes).
  if (changed && !recordTimer) {
    recordTimer = setTimeout(async () => {
      recordTimer = null;
      try {
        R = await api(`/meetings/${enc(mid)}/record`);
        mismatches = (await api(`/meetings/${enc(mid)}/paper`))?.mismatches || [];
        if (R.reconciliation.open_mismatches > 0 && !showOverride && M.phase === 'voting') { showOverride = true; replace(ui.stage, ...stageContent()); }
        replace(ui.recon, ...reconciliationContent());
      } catch { /* the next change tries again */ }
    }, 1500);
  }
}

// ---------- phase ----------

function stageSection() {
  ui.stage = h('section', { 'aria-labelledby': 'stage-heading', class: 'panel', id: 'stage' }, ...stageContent());
  return ui.stage;
}

function stageContent() {
  const action = (label, path, confirmText, done, { cls = '', body } = {}) => h('button', {
    type: 'button', class: cls, id: `${path}-button`,
    onclick: oneAtATime(async () => {
      if (!window.confirm(fill(confirmText, { title: M.title }))) return;
      await act(path, body ? body() : {}, done);
    }),
  }, label);
  const parts = [];
  const text = M.phase === 'closed' && M.revealed ? TEXT.stageText.revealed : TEXT.stageText[M.phase];
  if (M.phase === 'planned') {
    if (C.phase === 'open') parts.push(h('div', { class: 'btn-row' }, action(TEXT.open, 'open', TEXT.confirmOpen, TEXT.opened)));
    else parts.push(h('p', { class: 'hint' }, TEXT.consultationNotOpen));
  }
  if (M.phase === 'voting') {
    ui.override = showOverride ? field({ id: 'override-reason', label: TEXT.overrideLabel, hint: TEXT.overrideHint, multiline: true }) : null;
    parts.push(
      mismatches.length && showOverride ? h('p', {}, fill(TEXT.overrideShown, { n: mismatches.length, serials: mismatches.join(', ') })) : null,
      ui.override ? ui.override.wrap : null,
      h('div', { class: 'btn-row' }, action(TEXT.close, 'close', TEXT.confirmClose, TEXT.closed, {
        cls: 'btn--danger',
        body: () => {
          const reason = ui.override ? ui.override.input.value.trim() : '';
          return reason ? { override_reason: reason } : {};
        },
      })));
  }
  if (M.phase === 'closed' && !M.revealed) parts.push(h('div', { class: 'btn-row' }, action(TEXT.reveal, 'reveal', TEXT.confirmReveal, TEXT.revealed)));
  return [
    h('h2', { id: 'stage-heading' }, TEXT.stageHeading),
    flashFor('stage'),
    h('p', {}, text),
    ...parts,
    M.phase !== 'closed' ? resetForm() : null,
  ];
}

/** Open, close or reveal; a problem goes next to the field it names, or in the message. */
async function act(path, body, done) {
  try {
    await api(`/meetings/${enc(mid)}/${path}`, { method: 'POST', body });
    flash = { section: 'stage', text: done };
    showOverride = false;
  } catch (e) {
    if (e.field === 'override_reason') {
      // Papers were typed in differently: ask for the reason, at the field.
      showOverride = true;
      await reload();
      setFieldError(ui.override, e.detail || e.message);
      focusEl(ui.override.input);
      return;
    }
    flash = { section: 'stage', text: fill(TEXT.error, { detail: e.detail || e.message }), kind: 'error' };
  }
  await reload('#stage-flash');
}

function resetForm() {
  const reason = field({ id: 'reset-reason', label: TEXT.resetReason, multiline: true });
  const button = h('button', { type: 'submit', class: 'btn--danger', id: 'reset-button' }, TEXT.reset);
  return h('form', { id: 'reset-form', novalidate: true, onsubmit: oneAtATime(async () => {
    setFieldError(reason, '');
    const why = reason.input.value.trim();
    if (!why) { setFieldError(reason, TEXT.resetNeedReason); focusEl(reason.input); return; }
    if (!window.confirm(fill(TEXT.confirmReset, { title: M.title }))) return;
    try {
      const r = await api(`/meetings/${enc(mid)}/reset`, { method: 'POST', body: { reason: why } });
      flash = { section: 'stage', text: fill(plural(r.ballots_deleted, TEXT.resetDone), { n: r.ballots_deleted }) };
      await reload('#stage-flash');
    } catch (e) {
      setFieldError(reason, e.detail || e.message);
      focusEl(reason.input);
    }
  }) },
  // Out of the way until it is needed: it deletes the meeting's votes.
  h('details', { id: 'reset-details' },
    h('summary', {}, TEXT.resetHeading),
    h('div', {},
      h('p', {}, TEXT.resetText),
      reason.wrap,
      h('div', { class: 'btn-row' }, button))));
}

// ---------- focus mode ----------

function proposals() { return C.proposals || []; }

function proposalTitle(pid) { return proposals().find((p) => p.id === pid)?.title ?? pid; }

function focusSection() {
  ui.focusNow = h('strong', { id: 'focus-now' });
  const list = proposals();
  const pick = field({ id: 'focus-pick', label: TEXT.focusPick,
    options: list.map((p) => [p.id, fill(TEXT.option, { id: p.id, title: p.title, kind: TEXT.kind[p.kind] || p.kind, amount: formatMoney(p.amount, C.currency) })]) });
  ui.focusPick = pick;
  const step = (delta) => {
    const i = list.findIndex((p) => p.id === M.focus);
    if (!list.length) return null;
    if (i < 0) return delta > 0 ? list[0].id : list[list.length - 1].id;
    return list[Math.min(list.length - 1, Math.max(0, i + delta))].id;
  };
  const btn = (text, bid, choose, cls = 'btn--secondary') => h('button', { type: 'button', class: cls, id: bid, onclick: oneAtATime(() => setFocus(choose())) }, text);
  const section = h('section', { 'aria-labelledby': 'focus-heading', id: 'focus-section' },
    h('h2', { id: 'focus-heading' }, TEXT.focusHeading),
    h('p', {}, TEXT.focusIntro),
    h('p', { class: 'lead' }, TEXT.focusNow, ' ', ui.focusNow),
    list.length ? [
      h('div', { class: 'btn-row' },
        btn(TEXT.previous, 'focus-previous', () => step(-1)),
        btn(TEXT.next, 'focus-next', () => step(1)),
        btn(TEXT.none, 'focus-none', () => null)),
      h('form', { id: 'focus-form', novalidate: true, onsubmit: oneAtATime(() => setFocus(pick.input.value)) },
        pick.wrap, h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'focus-show' }, TEXT.focusShow))),
    ] : null);
  showFocus();
  return section;
}

function showFocus() {
  if (!ui.focusNow) return;
  ui.focusNow.textContent = M.focus ? proposalTitle(M.focus) : TEXT.focusNone;
  if (M.focus && ui.focusPick) ui.focusPick.input.value = M.focus;
}

async function setFocus(pid) {
  try {
    const m = await api(`/meetings/${enc(mid)}/focus`, { method: 'PUT', body: { proposal: pid } });
    M.focus = m.focus ?? null;
    showFocus();
    // Focus stays on the button pressed, so the change is said.
    announce(M.focus ? fill(TEXT.focusSaid, { title: proposalTitle(M.focus) }) : TEXT.focusSaidNone);
  } catch (e) {
    announce(fill(TEXT.error, { detail: e.detail || e.message }));
  }
}

// ---------- slips ----------

function storedSlips() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SLIPS_KEY) || 'null');
    return s && s.meeting_id === mid ? s : null;
  } catch { return null; }
}

function slipsSection() {
  const batch = storedSlips();
  const canMake = M.phase !== 'closed';
  let form = null;
  if (canMake) {
    const count = field({ id: 'slip-count', label: TEXT.slipsCount, hint: TEXT.slipsHint, type: 'number', value: '100', attrs: { min: 1, max: 2000, step: 1, inputmode: 'numeric', class: 'input--short' } });
    const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1' });
    const button = h('button', { type: 'submit', id: 'slips-button' }, TEXT.makeSlips);
    form = h('form', { novalidate: true, id: 'slips-form', onsubmit: oneAtATime(async () => {
      error.hidden = true;
      setFieldError(count, '');
      const raw = count.input.value.trim();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || n > 2000) { setFieldError(count, TEXT.badSlips); focusEl(count.input); return; }
      button.textContent = TEXT.making;
      try {
        const r = await api(`/meetings/${enc(mid)}/slips`, { method: 'POST', body: { count: n } });
        sessionStorage.setItem(SLIPS_KEY, JSON.stringify({ meeting_id: mid, title: M.title, place: M.place, join_link: r.join_link, slips: r.slips }));
        await reload('#new-slips-heading');
      } catch (err) {
        button.textContent = TEXT.makeSlips;
        if (err.field === 'count') { setFieldError(count, err.detail); focusEl(count.input); return; }
        replace(error, h('p', {}, fill(TEXT.error, { detail: err.detail || err.message })));
        error.hidden = false;
        focusEl(error);
      }
    }) }, error, count.wrap, h('div', { class: 'btn-row' }, button));
  }
  const panel = batch ? h('div', { class: 'notice notice--warning', id: 'new-slips' },
    h('h3', { id: 'new-slips-heading', tabindex: '-1' }, fill(TEXT.newSlipsHeading, { count: batch.slips.length })),
    h('p', {}, h('strong', {}, TEXT.slipsOnce)),
    h('div', { class: 'btn-row' },
      h('a', { class: 'btn', id: 'print-slips-link', href: `slips.html?m=${enc(mid)}` }, TEXT.printSlips),
      h('button', { type: 'button', class: 'btn--link', onclick: () => { sessionStorage.removeItem(SLIPS_KEY); reload('#slips-heading'); } }, TEXT.forgetSlips))) : null;
  return h('section', { 'aria-labelledby': 'slips-heading', id: 'slips-section' },
    h('h2', { id: 'slips-heading', tabindex: '-1' }, TEXT.slipsHeading),
    h('p', {}, TEXT.slipsIntro),
    panel,
    form || h('p', { class: 'hint' }, TEXT.slipsNotNow));
}

// ---------- the door ----------

function doorSection() {
  const out = h('div', { id: 'exchanged' });
  let form = null;
  if (M.phase !== 'closed') {
    const code = field({ id: 'letter-code', label: TEXT.letterCode, hint: TEXT.letterHint,
      attrs: { class: 'input--code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false' } });
    form = h('form', { novalidate: true, id: 'exchange-form', onsubmit: oneAtATime(async () => {
      setFieldError(code, '');
      out.replaceChildren();
      const letter = code.input.value.trim();
      if (!letter) { setFieldError(code, TEXT.needLetter); focusEl(code.input); return; }
      try {
        const slip = await api(`/meetings/${enc(mid)}/exchange`, { method: 'POST', body: { letter_code: letter } });
        code.input.value = '';
        replace(out, h('p', { id: 'exchanged-note', tabindex: '-1' }, TEXT.exchanged), slipCard(slip, M.title, 'exchanged'),
          h('div', { class: 'btn-row' }, h('button', { type: 'button', id: 'print-slip', onclick: printOneSlip }, TEXT.printSlip)));
        focusEl(document.getElementById('exchanged-note'));
      } catch (e) {
        setFieldError(code, e.detail || e.message);
        focusEl(code.input);
      }
    }) }, code.wrap, h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'exchange-button' }, TEXT.exchange)));
  }
  return h('section', { 'aria-labelledby': 'door-heading', id: 'door' },
    h('h2', { id: 'door-heading' }, TEXT.doorHeading),
    h('p', {}, TEXT.doorIntro),
    form || h('p', { class: 'hint' }, TEXT.doorNotNow),
    out);
}

/** Print only the slip just made (not the whole page). */
function printOneSlip() {
  document.body.classList.add('print-one-slip');
  window.addEventListener('afterprint', () => document.body.classList.remove('print-one-slip'), { once: true });
  window.print();
}

// ---------- officers ----------

function officersSection() {
  const email = field({ id: 'officer-email', label: TEXT.officerEmail, type: 'email', attrs: { autocomplete: 'off', spellcheck: 'false' } });
  const form = h('form', { novalidate: true, id: 'officer-form', onsubmit: oneAtATime(async () => {
    setFieldError(email, '');
    const address = email.input.value.trim();
    if (!address) { setFieldError(email, TEXT.needEmail); focusEl(email.input); return; }
    try {
      const u = await api(`/meetings/${enc(mid)}/officers`, { method: 'POST', body: { email: address } });
      flash = { section: 'officers', text: fill(TEXT.officerAdded, { email: u.email }) };
      announce(flash.text);
      await reload('#officer-email');
    } catch (e) {
      setFieldError(email, e.detail || e.message);
      focusEl(email.input);
    }
  }) }, email.wrap, h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'officer-button' }, TEXT.addOfficer)));
  const list = officers.length ? h('ul', { class: 'card-list', role: 'list', id: 'officers-list' }, officers.map((o) => h('li', { class: 'card', 'data-id': o.id },
    h('div', { class: 'item-row' },
      h('div', {}, h('p', { style: 'margin:0' }, o.email)),
      h('div', { class: 'btn-row btn-row--tight', style: 'margin:0' },
        h('button', { type: 'button', class: 'btn--small btn--danger', onclick: oneAtATime(() => removeOfficer(o)) }, TEXT.remove, h('span', { class: 'visually-hidden' }, `: ${o.email}`))))))) : h('p', {}, TEXT.noOfficers);
  return h('section', { 'aria-labelledby': 'officers-heading', id: 'officers-section' },
    h('h2', { id: 'officers-heading' }, TEXT.officersHeading),
    h('p', {}, TEXT.officersIntro),
    flashFor('officers'),
    list,
    form);
}

async function removeOfficer(o) {
  if (!window.confirm(fill(TEXT.confirmRemove, { email: o.email }))) return;
  try {
    await api(`/meetings/${enc(mid)}/officers/${enc(o.id)}`, { method: 'DELETE' });
    flash = { section: 'officers', text: fill(TEXT.officerRemoved, { email: o.email }) };
  } catch (e) {
    flash = { section: 'officers', kind: 'error', text: fill(TEXT.error, { detail: e.detail || e.message }) };
  }
  await reload('#officers-flash');
}

// ---------- reconciliation and record ----------

function reconciliationSection() {
  ui.recon = h('div', { id: 'reconciliation' }, ...reconciliationContent());
  return h('section', { 'aria-labelledby': 'recon-heading' },
    h('h2', { id: 'recon-heading' }, TEXT.reconHeading),
    h('p', {}, TEXT.reconIntro),
    ui.recon);
}

function eventText(e) {
  const d = e.detail || {};
  const values = { ...d, serials: (d.serials || []).join(', '), proposal: d.proposal ? proposalTitle(d.proposal) : TEXT.focusNone };
  // "1 vote counted", never "1 votes": the count that decides the form is the event's own.
  return fill(plural(d.ballots ?? d.ballots_deleted, TEXT.event[e.kind] || e.kind), values);
}

function reconciliationContent() {
  const r = R.reconciliation;
  return [
    h('div', { class: 'table-wrap' }, h('table', { id: 'reconciliation-table' },
      h('caption', { class: 'visually-hidden' }, TEXT.reconCaption),
      h('tbody', {}, Object.entries(TEXT.recon).map(([k, label]) => h('tr', { 'data-key': k },
        h('th', { scope: 'row' }, label), h('td', { class: 'num' }, String(r[k] ?? 0))))))),
    h('h3', {}, TEXT.mismatchesHeading),
    h('p', { id: 'mismatches' }, mismatches.length ? fill(TEXT.mismatches, { serials: mismatches.join(', ') }) : TEXT.noMismatches),
    h('h3', {}, TEXT.recordHeading),
    R.events.length ? h('ul', { id: 'record-events', class: 'record' }, R.events.slice().reverse().map((e) => h('li', {},
      h('span', { class: 'muted' }, formatDateTime(e.at)), ' ', eventText(e), e.by ? h('span', { class: 'muted' }, ` (${fill(TEXT.by, { email: e.by })})`) : null)))
      : h('p', {}, TEXT.recordEmpty),
  ];
}

start();
