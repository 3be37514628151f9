// Officers type in paper ballots at a meeting: the same ranked form as online (serial, want
// list, don't-want list, services used, area), built for hundreds of papers in an evening: the
// proposals are typed by their short names, Enter sends, focus goes back to the paper number,
// and a confirmation is announced politely. Corrections, and settling papers two officers typed
// differently, work the same way. Everything works by keyboard alone.
import { api, param } from './api.js';
import { h, field, setFieldError, focusEl, announce, replace, oneAtATime } from './dom.js';
import { layout } from './layout.js';
import { formatMoney, formatDateTime, fill } from './format.js';
import { requireUser, consoleBar } from './console-common.js';
import { followMeeting } from './meeting-live.js';

const TEXT = {
  title: 'Paper ballots',
  heading: 'Paper ballots: {title}',
  loading: 'Loading…',
  noId: 'No meeting was chosen. Open it from the console’s home page.',
  notFound: 'We could not find this meeting, or it is not open to you. Ask its organiser to assign you as an officer.',
  loadError: 'We could not load the meeting: {detail}',
  back: 'Back to the console',
  meetingPage: 'Back to the meeting',
  status: 'Status:',
  phase: { planned: 'Planned', voting: 'Voting', closed: 'Closed' },
  notVoting: {
    planned: 'Voting has not started at this meeting: paper ballots can be typed in once it opens. This page changes by itself.',
    closed: 'Voting at this meeting has closed: no more paper ballots can be typed in.',
  },
  doubleEntry: 'Double entry: two officers type in each paper, and it counts when they agree.',
  counted: '{paper} paper ballots counted so far.',
  enterHeading: 'Type in a paper ballot',
  correctHeading: 'Correct paper {serial}',
  settleHeading: 'Settle paper {serial}',
  correctIntro: 'Type the paper as it really is. The new entry counts; the old one stays in the meeting’s record.',
  settleIntro: 'Two officers typed this paper in differently. Look at the paper itself and type it as it is: your entry counts.',
  entriesOf: 'How it was typed in:',
  serial: 'Paper number',
  serialHint: 'The number written on the paper, or the code of the slip it came with.',
  want: 'Wants, most important first',
  wantHint: 'The proposals’ short names with spaces between, for example S3 D1. The list of short names is below the form.',
  dont: 'Doesn’t want, most opposed first',
  dontHint: 'The same, for example S1.',
  echoNone: 'Nothing.',
  echo: 'Reads as: {list}.',
  uses: 'Services the paper says they use',
  usesHint: 'Tick each one that is ticked on the paper (Space ticks).',
  area: 'Area',
  areaNone: 'Not given',
  submit: 'Enter this paper',
  submitCorrect: 'Save the correction',
  submitSettle: 'Settle this paper',
  cancel: 'Cancel',
  needSerial: 'Type the paper’s number.',
  badSerial: 'A paper number has letters, numbers and dashes only, up to 40.',
  unknown: '“{id}” is not a proposal on this ballot. The short names are listed below the form.',
  twice: '{id} is in this list twice.',
  both: '{id} is in both lists: a proposal can be in only one.',
  tooMany: 'At most {max} choices in each list.',
  done: {
    counted: 'Paper {serial} entered and counted.',
    awaiting_second_entry: 'Paper {serial} entered. A second officer must type it in too before it counts.',
    matched: 'Paper {serial} matches the first entry and is counted.',
    mismatched: 'Paper {serial} does not match the first entry: it is not counted until a third officer settles it.',
    corrected: 'Paper {serial} corrected. The new entry counts; the old one stays in the record.',
    settled: 'Paper {serial} settled and counted.',
  },
  lastHeading: 'Last paper',
  correctThis: 'Correct paper {serial}',
  problem: 'There is a problem',
  error: 'Something went wrong: {detail}',
  findHeading: 'Correct a paper',
  findLabel: 'Number of the paper to correct',
  find: 'Correct',
  findNone: 'Paper {serial} has no counted entry to correct.',
  mismatchesHeading: 'Papers to settle',
  mismatchesIntro: 'Two officers typed these papers in differently. An officer who typed neither entry settles each one.',
  noMismatches: 'No papers are waiting to be settled.',
  settle: 'Settle',
  entriesHeading: 'Papers typed in',
  entriesIntro: 'The most recent first.',
  entriesMore: 'Showing the {shown} most recent of {count} entries.',
  entriesTable: 'Table of the papers typed in',
  noEntries: 'No paper ballots yet.',
  colSerial: 'Paper',
  colStatus: 'Status',
  colWant: 'Wants',
  colDont: 'Doesn’t want',
  colBy: 'Typed by',
  colAction: 'Action',
  correct: 'Correct',
  entryStatus: {
    entered: 'Counted',
    pending: 'Waiting for a second entry',
    matched: 'Counted: two entries agree',
    mismatched: 'Typed in differently: to settle',
    settled: 'Counted: settled',
    corrected: 'Counted: corrected',
    replaced: 'Replaced',
    reset: 'Deleted by a reset',
  },
  referenceHeading: 'Short names on this ballot',
  proposalsCaption: 'Proposals',
  colId: 'Short name',
  colTitle: 'Proposal',
  colAmount: 'Amount',
  kind: { saving: 'Saving', development: 'New spending' },
  servicesList: 'Services: {list}.',
};

/** How many entries the table shows (the newest). */
const ENTRIES_SHOWN = 40;
const COUNTED = ['entered', 'matched', 'settled', 'corrected'];

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
const mid = param('m');
const enc = encodeURIComponent;
let user;
let M; // the meeting
let C; // its consultation (the ballot paper)
let paper = { entries: [], mismatches: [] };
let live = null;
let mode = { kind: 'enter', serial: null }; // or correct / settle a serial
let last = null; // the confirmation of the last paper
const ui = {};
let byKey = new Map(); // typed short name (any case) → proposal id

async function start() {
  user = await requireUser();
  if (!user) return;
  if (!mid) { replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--error' }, h('p', {}, TEXT.noId))); return; }
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.loading));
  try {
    M = await api(`/meetings/${enc(mid)}`);
    [C, paper] = await Promise.all([api(`/consultations/${enc(M.consultation_id)}`), api(`/meetings/${enc(mid)}/paper`)]);
  } catch (e) {
    const text = e.status === 404 || e.status === 403 ? TEXT.notFound : fill(TEXT.loadError, { detail: e.detail || e.message });
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, text)),
      h('p', {}, h('a', { href: 'index.html' }, TEXT.back)));
    return;
  }
  // Short names are matched in any case ("s3" is S3) unless two differ only in case.
  const lower = new Map();
  for (const p of C.proposals || []) lower.set(p.id.toLowerCase(), lower.has(p.id.toLowerCase()) ? null : p.id);
  byKey = new Map([...lower].filter(([, v]) => v).concat((C.proposals || []).map((p) => [p.id, p.id])));
  render();
  focusEl(ui.serial.input);
  followMeeting(mid, { onState });
}

function onState(state) {
  const phaseChanged = state.meeting.phase !== M.phase;
  const more = live && state.paper !== live.paper;
  live = state;
  M.phase = state.meeting.phase;
  ui.count.textContent = fill(TEXT.counted, { paper: state.paper ?? 0 });
  if (phaseChanged) { ui.phase.textContent = TEXT.phase[M.phase] || M.phase; showPhaseNote(); }
  if (more) refreshEntries();
}

function showPhaseNote() {
  const text = TEXT.notVoting[M.phase];
  ui.phaseNote.hidden = !text;
  ui.phaseNote.textContent = text || '';
}

function proposal(pid) { return (C.proposals || []).find((p) => p.id === pid); }

function render() {
  document.title = `${fill(TEXT.heading, { title: M.title })} – ${TEXT.title}`;
  ui.phase = h('strong', { class: 'tag tag--phase', id: 'meeting-phase' }, TEXT.phase[M.phase] || M.phase);
  ui.phaseNote = h('div', { class: 'notice notice--warning', id: 'phase-note', hidden: true });
  ui.count = h('p', { id: 'paper-count' }, fill(TEXT.counted, { paper: countedSerials() }));
  ui.last = h('div', { id: 'paper-last', class: 'notice notice--success', hidden: true });
  ui.formBox = h('section', { 'aria-labelledby': 'paper-form-heading', id: 'paper-entry' });
  ui.mismatches = h('section', { 'aria-labelledby': 'mismatches-heading', id: 'mismatches' });
  ui.entries = h('section', { 'aria-labelledby': 'entries-heading', id: 'entries' });
  replace(main,
    h('h1', {}, fill(TEXT.heading, { title: M.title })),
    h('p', { class: 'status-line' }, `${TEXT.status} `, ui.phase),
    consoleBar(user),
    user.role === 'organiser' ? h('p', {}, h('a', { href: `meeting.html?m=${enc(mid)}` }, TEXT.meetingPage)) : null,
    M.double_entry ? h('p', {}, TEXT.doubleEntry) : null,
    ui.phaseNote,
    ui.count,
    ui.last,
    ui.formBox,
    ui.mismatches,
    findForm(),
    ui.entries,
    reference(),
    h('p', {}, h('a', { href: 'index.html' }, TEXT.back)));
  showPhaseNote();
  drawForm();
  drawMismatches();
  drawEntries();
}

function countedSerials() {
  return new Set(paper.entries.filter((e) => COUNTED.includes(e.status)).map((e) => e.serial)).size;
}

// ---------- the form ----------

function idsOf(text) {
  return String(text || '').split(/[\s,;]+/).filter(Boolean);
}

/** The proposals a list field names, or the problem with it. */
function readList(text) {
  const ids = [];
  for (const typed of idsOf(text)) {
    const pid = byKey.get(typed) ?? byKey.get(typed.toLowerCase());
    if (!pid) return { error: fill(TEXT.unknown, { id: typed }) };
    if (ids.includes(pid)) return { error: fill(TEXT.twice, { id: pid }) };
    ids.push(pid);
  }
  const max = Number(C.settings?.rank_depth) || 5;
  if (ids.length > max) return { error: fill(TEXT.tooMany, { max }) };
  return { ids };
}

/** "Reads as: 1. Dim street lights, 2. New youth club." under a list field, as it is typed. */
function echo(f, out) {
  const { ids } = readList(f.input.value);
  if (!ids) { out.textContent = ''; return; }
  out.textContent = ids.length ? fill(TEXT.echo, { list: ids.map((pid, i) => `${i + 1}. ${proposal(pid).title}`).join(', ') }) : TEXT.echoNone;
}

function listField(id, label, hint) {
  const f = field({ id, label, hint, attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', class: 'input--paper' } });
  const out = h('p', { class: 'hint paper-echo', id: `${id}-echo` }, TEXT.echoNone);
  f.input.setAttribute('aria-describedby', `${f.input.getAttribute('aria-describedby')} ${out.id}`);
  f.input.addEventListener('input', () => echo(f, out));
  f.wrap.append(out);
  f.echo = () => echo(f, out);
  return f;
}

function drawForm(values = null) {
  const editing = mode.kind !== 'enter';
  const serial = field({ id: 'paper-serial', label: TEXT.serial, hint: TEXT.serialHint,
    value: editing ? mode.serial : '', attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', class: 'input--short', readonly: editing } });
  const want = listField('paper-want', TEXT.want, TEXT.wantHint);
  const dont = listField('paper-dont', TEXT.dont, TEXT.dontHint);
  const services = C.services || [];
  const usesError = h('p', { class: 'field-error', id: 'paper-uses-error', hidden: true });
  const uses = services.length ? h('fieldset', { class: 'field', id: 'paper-uses', 'aria-describedby': 'paper-uses-hint' },
    h('legend', {}, TEXT.uses),
    h('p', { class: 'hint', id: 'paper-uses-hint' }, TEXT.usesHint),
    usesError,
    h('ul', { class: 'checkboxes checkboxes--inline' }, services.map((s, i) => h('li', {},
      h('label', { class: 'check', for: `paper-uses-${i}` },
        h('input', { type: 'checkbox', id: `paper-uses-${i}`, name: 'paper-uses', value: s.id }),
        h('span', {}, s.name)))))) : null;
  const area = (C.areas || []).length ? field({ id: 'paper-area', label: TEXT.area, options: [['', TEXT.areaNone], ...C.areas.map((a) => [a, a])] }) : null;
  const error = h('div', { class: 'notice notice--error', id: 'paper-error', hidden: true, tabindex: '-1' });
  const fields = { serial, want, dont, area };
  ui.serial = serial;
  ui.fields = fields;
  if (values) {
    want.input.value = values.want.join(' ');
    dont.input.value = values.dont_want.join(' ');
    for (const box of uses ? uses.querySelectorAll('input') : []) box.checked = values.uses.includes(box.value);
    if (area) area.input.value = values.area || '';
  }
  want.echo();
  dont.echo();
  const heading = { enter: TEXT.enterHeading, correct: fill(TEXT.correctHeading, { serial: mode.serial }), settle: fill(TEXT.settleHeading, { serial: mode.serial }) }[mode.kind];
  const submitText = { enter: TEXT.submit, correct: TEXT.submitCorrect, settle: TEXT.submitSettle }[mode.kind];
  const form = h('form', { id: 'paper-form', novalidate: true, onsubmit: oneAtATime(() => send({ serial, want, dont, uses, usesError, area, error, fields })) },
    error,
    mode.kind === 'correct' ? h('p', {}, TEXT.correctIntro) : null,
    mode.kind === 'settle' ? [h('p', {}, TEXT.settleIntro), disagreement(mode.serial)] : null,
    h('div', { class: 'form-grid paper-grid' }, serial.wrap, want.wrap, dont.wrap),
    uses,
    area ? area.wrap : null,
    h('div', { class: 'btn-row' },
      h('button', { type: 'submit', id: 'paper-submit' }, submitText),
      editing ? h('button', { type: 'button', class: 'btn--secondary', id: 'paper-cancel', onclick: () => { mode = { kind: 'enter', serial: null }; drawForm(); focusEl(ui.serial.input); } }, TEXT.cancel) : null));
  replace(ui.formBox, h('h2', { id: 'paper-form-heading', tabindex: '-1' }, heading), form);
}

/** For a mismatch: what each of the two officers typed. */
function disagreement(serial) {
  const two = paper.entries.filter((e) => e.serial === serial && e.status === 'mismatched');
  return h('div', { class: 'panel' }, h('p', {}, TEXT.entriesOf), h('ul', {}, two.map((e) => h('li', {},
    `${e.officer}: ${TEXT.colWant} ${e.want.join(' ') || '–'}; ${TEXT.colDont} ${e.dont_want.join(' ') || '–'}${e.uses.length ? `; ${e.uses.join(', ')}` : ''}${e.area ? `; ${e.area}` : ''}`))));
}

function clearErrors(f) {
  f.error.hidden = true;
  for (const x of Object.values(f.fields)) if (x) setFieldError(x, '');
  f.usesError.hidden = true;
  f.usesError.textContent = '';
  f.uses?.classList.remove('field--error');
  const ids = new Set((f.uses?.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  ids.delete(f.usesError.id);
  f.uses?.setAttribute('aria-describedby', [...ids].join(' '));
}

/** Show a problem at its field; returns the element to focus. */
function fieldProblem(f, key, text) {
  if (key === 'uses' && f.uses) {
    f.usesError.textContent = text;
    f.usesError.hidden = false;
    f.uses.classList.add('field--error');
    f.uses.setAttribute('aria-describedby', `paper-uses-hint ${f.usesError.id}`);
    return f.uses.querySelector('input');
  }
  const target = f.fields[key];
  if (!target) return null;
  setFieldError(target, text);
  return target.input;
}

async function send(f) {
  clearErrors(f);
  const problems = [];
  const serial = f.serial.input.value.trim().toUpperCase();
  if (!serial) problems.push(['serial', TEXT.needSerial]);
  else if (!/^[A-Za-z0-9-]{1,40}$/.test(serial)) problems.push(['serial', TEXT.badSerial]);
  const want = readList(f.want.input.value);
  const dont = readList(f.dont.input.value);
  if (want.error) problems.push(['want', want.error]);
  if (dont.error) problems.push(['dont', dont.error]);
  if (want.ids && dont.ids) {
    const both = want.ids.find((pid) => dont.ids.includes(pid));
    if (both) problems.push(['dont', fill(TEXT.both, { id: both })]);
  }
  if (problems.length) {
    const first = problems.map(([k, t]) => fieldProblem(f, k, t))[0];
    focusEl(first);
    return;
  }
  const body = { want: want.ids, dont_want: dont.ids, uses: f.uses ? [...f.uses.querySelectorAll('input:checked')].map((b) => b.value) : [] };
  if (f.area && f.area.input.value) body.area = f.area.input.value;
  const kind = mode.kind;
  let r;
  try {
    if (kind === 'enter') r = await api(`/meetings/${enc(mid)}/paper`, { method: 'POST', body: { serial, ...body } });
    else if (kind === 'correct') r = await api(`/meetings/${enc(mid)}/paper/${enc(serial)}`, { method: 'PUT', body });
    else r = await api(`/meetings/${enc(mid)}/paper/${enc(serial)}/settle`, { method: 'POST', body });
  } catch (e) {
    serverProblem(f, e, serial);
    return;
  }
  const key = kind === 'correct' ? 'corrected' : kind === 'settle' ? 'settled' : r.status;
  last = fill(TEXT.done[key] || TEXT.done.counted, { serial: r.serial || serial });
  replace(ui.last, h('p', {}, last));
  ui.last.hidden = false;
  // Focus goes back to the paper number for the next one; the confirmation is said politely.
  mode = { kind: 'enter', serial: null };
  drawForm();
  focusEl(ui.serial.input);
  announce(last);
  refreshEntries();
}

/** A problem from the server: at the field it names, else above the form. */
function serverProblem(f, e, serial) {
  const path = String(e.field || '');
  const key = path.startsWith('dont_want') ? 'dont' : path.startsWith('want') ? 'want' : path.startsWith('uses') ? 'uses' : path.startsWith('area') ? 'area' : path === 'serial' ? 'serial' : null;
  const text = e.detail || e.message;
  const target = key ? fieldProblem(f, key, text) : null;
  // A paper typed in already: offer to correct it.
  if (key === 'serial' && e.type === 'conflict' && /correct it/.test(text)) {
    f.serial.wrap.append(h('p', { class: 'btn-row btn-row--tight', id: 'correct-offer' },
      h('button', { type: 'button', class: 'btn--secondary btn--small', id: 'correct-this', onclick: () => startCorrection(serial) }, fill(TEXT.correctThis, { serial }))));
  }
  if (target) { focusEl(target); return; }
  replace(f.error, h('h3', {}, TEXT.problem), h('p', {}, fill(TEXT.error, { detail: text })));
  f.error.hidden = false;
  focusEl(f.error);
}

/** Load the counted entry of a paper into the form, to correct it. */
function startCorrection(serial) {
  const s = serial.trim().toUpperCase();
  const entry = [...paper.entries].reverse().find((e) => e.serial === s && COUNTED.includes(e.status));
  if (!entry) return false;
  mode = { kind: 'correct', serial: s };
  drawForm(entry);
  focusEl(ui.fields.want.input);
  return true;
}

/** Settle a paper two officers typed differently: the form, empty, with what each typed above it. */
function startSettling(serial) {
  mode = { kind: 'settle', serial };
  drawForm();
  focusEl(ui.fields.want.input);
}

function findForm() {
  const f = field({ id: 'find-serial', label: TEXT.findLabel, attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', class: 'input--short' } });
  return h('section', { 'aria-labelledby': 'find-heading' },
    h('h2', { id: 'find-heading' }, TEXT.findHeading),
    h('form', { id: 'find-form', novalidate: true, onsubmit: oneAtATime(() => {
      setFieldError(f, '');
      const serial = f.input.value.trim();
      if (!serial) { setFieldError(f, TEXT.needSerial); focusEl(f.input); return; }
      if (!startCorrection(serial)) { setFieldError(f, fill(TEXT.findNone, { serial: serial.toUpperCase() })); focusEl(f.input); return; }
      f.input.value = '';
    }) }, f.wrap, h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'find-button' }, TEXT.find))));
}

// ---------- entries and mismatches ----------

async function refreshEntries() {
  try {
    paper = await api(`/meetings/${enc(mid)}/paper`);
  } catch { return; }
  // Redrawn in place; the form (and focus in it) is left alone.
  drawMismatches();
  drawEntries();
  if (!live) ui.count.textContent = fill(TEXT.counted, { paper: countedSerials() });
}

function drawMismatches() {
  replace(ui.mismatches,
    h('h2', { id: 'mismatches-heading' }, TEXT.mismatchesHeading),
    paper.mismatches.length ? [
      h('p', {}, TEXT.mismatchesIntro),
      h('ul', { class: 'card-list', role: 'list', id: 'mismatches-list' }, paper.mismatches.map((serial) => h('li', { class: 'card', 'data-serial': serial },
        h('div', { class: 'item-row' },
          h('p', { style: 'margin:0' }, h('strong', {}, serial)),
          h('button', { type: 'button', class: 'btn--small', 'data-serial': serial, onclick: () => startSettling(serial) }, TEXT.settle, h('span', { class: 'visually-hidden' }, ` ${TEXT.colSerial.toLowerCase()} ${serial}`)))))),
    ] : h('p', {}, TEXT.noMismatches));
}

function drawEntries() {
  const all = paper.entries.slice().reverse();
  const shown = all.slice(0, ENTRIES_SHOWN);
  const names = (ids) => ids.join(' ') || '–';
  replace(ui.entries,
    h('h2', { id: 'entries-heading' }, TEXT.entriesHeading),
    all.length ? [
      h('p', {}, all.length > shown.length ? fill(TEXT.entriesMore, { shown: shown.length, count: all.length }) : TEXT.entriesIntro),
      // On a phone the table scrolls sideways inside its box (focusable, so it scrolls by keyboard too).
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': TEXT.entriesTable }, h('table', { id: 'entries-table', class: 'table--wide' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, TEXT.colSerial), h('th', { scope: 'col' }, TEXT.colStatus), h('th', { scope: 'col' }, TEXT.colWant),
          h('th', { scope: 'col' }, TEXT.colDont), h('th', { scope: 'col' }, TEXT.colBy), h('th', { scope: 'col' }, TEXT.colAction))),
        h('tbody', {}, shown.map((e) => h('tr', { 'data-serial': e.serial, 'data-status': e.status },
          h('th', { scope: 'row' }, e.serial),
          h('td', {}, TEXT.entryStatus[e.status] || e.status),
          h('td', {}, names(e.want)),
          h('td', {}, names(e.dont_want)),
          h('td', {}, h('span', { class: 'small' }, e.officer, h('br'), formatDateTime(e.entered_at))),
          h('td', {}, COUNTED.includes(e.status) && M.phase === 'voting'
            ? h('button', { type: 'button', class: 'btn--small btn--secondary', 'data-correct': e.serial, onclick: () => startCorrection(e.serial) }, TEXT.correct, h('span', { class: 'visually-hidden' }, ` ${TEXT.colSerial.toLowerCase()} ${e.serial}`))
            : '')))))),
    ] : h('p', {}, TEXT.noEntries));
}

// ---------- reference ----------

function reference() {
  const services = C.services || [];
  return h('section', { 'aria-labelledby': 'reference-heading' },
    h('h2', { id: 'reference-heading' }, TEXT.referenceHeading),
    h('div', { class: 'table-wrap' }, h('table', { id: 'reference-table' },
      h('caption', { class: 'visually-hidden' }, TEXT.proposalsCaption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, TEXT.colId), h('th', { scope: 'col' }, TEXT.colTitle), h('th', { scope: 'col', class: 'num' }, TEXT.colAmount))),
      h('tbody', {}, (C.proposals || []).map((p) => h('tr', {},
        h('th', { scope: 'row' }, h('span', { class: 'code-text' }, p.id)),
        h('td', {}, p.title, h('span', { class: 'muted small' }, ` (${TEXT.kind[p.kind] || p.kind})`)),
        h('td', { class: 'num' }, formatMoney(p.amount, C.currency))))))),
    services.length ? h('p', {}, fill(TEXT.servicesList, { list: services.map((s) => s.name).join(', ') })) : null);
}

start();
