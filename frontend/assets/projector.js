// The projector in the hall: the meeting, how to join, how many were admitted and have voted
// (live), the proposal under discussion (focus mode), and — only once the meeting has closed
// and its organiser reveals it — the meeting's result. Never a result while voting: no ballot
// can be read off by subtraction, and the room is not herded. Readable from the back of a room
// at 1920 px; it works on a phone too.
import { api, param, getToken, getUser } from './api.js';
import { h, replace } from './dom.js';
import { formatMoney, fill, plural } from './format.js';
import { followMeeting, joinLink } from './meeting-live.js';
import { scoreScale, scoreChart } from './bars.js';
import { council } from './layout.js';

const TEXT = {
  title: 'Meeting screen',
  site: 'Have your say on the council budget',
  loading: 'Connecting to the meeting…',
  noId: 'No meeting was chosen. Open this page from the meeting’s page in the organiser console.',
  notFound: 'We could not find this meeting. The link may be wrong, or its consultation is not open yet.',
  loadError: 'We could not connect to the meeting: {detail}',
  backHome: 'See all consultations',
  where: '{consultation} · {place}',
  phase: { planned: 'Voting has not started yet', voting: 'Voting is open', closed: 'Voting has closed' },
  joinHeading: 'Vote on your phone',
  joinSlip: 'Scan the square code on your admission slip with your phone’s camera.',
  joinLetter: 'Brought your letter? Scan this code, or go to:',
  joinLetterNoQr: 'Brought your letter? Go to:',
  joinCode: 'Meeting code: {code}',
  qrAlt: 'QR code of the address {link}',
  countsHeading: 'Votes so far',
  admitted: 'admitted',
  voted: 'have voted',
  paperNote: '{phones} on phones, {paper} on paper',
  countsSaid: '{voted} of {admitted} admitted have voted.',
  phaseSaid: { planned: 'Voting has not started yet.', voting: 'Voting is open.', closed: 'Voting has closed.' },
  revealedSaid: 'The meeting’s result is on the screen.',
  focusHeading: 'Now discussing',
  kind: { saving: 'Saving', development: 'New spending' },
  saves: 'Saves {amount}',
  costs: 'Costs {amount}',
  service: 'Affects: {name}',
  waitingReveal: 'The meeting’s result will be shown here when the organiser reveals it.',
  resultHeading: 'The meeting’s result',
  resultIntro: { one: 'Counted from the 1 vote cast at this meeting when voting closed. The consultation’s overall result is counted when voting closes for everyone.', other: 'Counted from the {n} votes cast at this meeting when voting closed. The consultation’s overall result is counted when voting closes for everyone.' },
  tooFew: 'Too few votes were cast at this meeting to show its result: {n}, fewer than {min}. A result from so few would show how each of them voted. Their votes still count in the consultation’s overall result.',
  savingsAgreed: 'Savings agreed: {amount}.',
  devSpent: 'New spending agreed: {amount}.',
  legendProtected: 'Score with protection (the result)',
  legendPlain: 'Simple majority score',
  savingsHeading: 'Savings, ranked',
  devHeading: 'New spending, ranked',
  rank: '{rank}.',
  adopted: 'Agreed',
  notAdopted: 'Not agreed',
  protected: 'Protected',
  scoreProtected: 'With protection',
  scorePlain: 'Simple majority',
  offline: 'Reconnecting to the meeting…',
  fullScreen: 'Show full screen',
};

// A count is read out at most this often (milliseconds): a screen reader in the hall should
// not speak every ballot.
const SAY_COUNTS_EVERY = 30000;

const id = param('m');
let S = null; // the live state
let qr = null; // the join link's QR code (a data: URI), when staff are signed in
let qrFor = '';
const ui = {};
let lastSaid = 0;
let saidCounts = '';
let countTimer = null;

function frame() {
  document.title = TEXT.title;
  document.body.classList.add('projector-page');
  ui.main = h('main', { id: 'main', class: 'projector', tabindex: '-1' });
  ui.said = h('div', { id: 'projector-said', class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  replace(document.body, ui.main, ui.said);
  // The council's name (and logo) heads the screen, as it heads every page.
  ui.council = h('p', { class: 'projector__council', hidden: true });
  council().then((c) => {
    if (!c || typeof c.name !== 'string') return;
    replace(ui.council, c.logo_url ? h('img', { class: 'council-logo', src: c.logo_url, alt: '' }) : null, h('span', { id: 'council-name' }, c.name));
    ui.council.hidden = false;
  });
}

function problem(text) {
  replace(ui.main,
    h('h1', {}, TEXT.title),
    h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, text)),
    h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
}

function money(minor) { return formatMoney(minor, S.consultation.currency); }

async function start() {
  frame();
  replace(ui.main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.loading));
  if (!id) { problem(TEXT.noId); return; }
  try {
    S = await api(`/meetings/${encodeURIComponent(id)}/live`, { auth: false });
  } catch (e) {
    problem(e.status === 404 ? TEXT.notFound : fill(TEXT.loadError, { detail: e.detail || e.message }));
    return;
  }
  build();
  show(S, null);
  followMeeting(id, { onState: (next) => { const before = S; S = next; show(next, before); }, onConnection: (up) => { ui.offline.hidden = up; } });
}

/** The parts of the screen that stay; show() fills them in. */
function build() {
  ui.title = h('h1', { id: 'projector-title' });
  ui.where = h('p', { class: 'projector__where' });
  ui.phase = h('p', { id: 'projector-phase', class: 'projector__phase' });
  ui.join = h('section', { class: 'projector__join', id: 'join', 'aria-labelledby': 'join-heading' });
  ui.admitted = h('span', { class: 'count__n', id: 'count-admitted' });
  ui.voted = h('span', { class: 'count__n', id: 'count-voted' });
  ui.channels = h('p', { class: 'projector__channels', id: 'count-channels' });
  ui.counts = h('section', { class: 'projector__counts', id: 'counts', 'aria-labelledby': 'counts-heading' },
    h('h2', { id: 'counts-heading', class: 'visually-hidden' }, TEXT.countsHeading),
    h('p', { class: 'count count--voted' }, ui.voted, ' ', h('span', { class: 'count__label' }, TEXT.voted)),
    h('p', { class: 'count' }, ui.admitted, ' ', h('span', { class: 'count__label' }, TEXT.admitted)),
    ui.channels);
  ui.focus = h('section', { class: 'projector__focus', id: 'focus', 'aria-labelledby': 'focus-heading', hidden: true });
  ui.waiting = h('p', { class: 'projector__waiting', id: 'waiting-reveal', hidden: true }, TEXT.waitingReveal);
  ui.result = h('section', { class: 'projector__result', id: 'result', 'aria-labelledby': 'result-heading', hidden: true });
  ui.offline = h('p', { class: 'projector__offline', id: 'projector-offline', hidden: true }, TEXT.offline);
  const fullScreen = document.fullscreenEnabled
    ? h('button', { type: 'button', class: 'btn--secondary btn--small projector__full', id: 'full-screen', onclick: () => document.documentElement.requestFullscreen().catch(() => {}) }, TEXT.fullScreen)
    : null;
  document.addEventListener('fullscreenchange', () => { if (fullScreen) fullScreen.hidden = Boolean(document.fullscreenElement); });
  replace(ui.main,
    h('header', { class: 'projector__top' },
      h('div', {}, ui.council, ui.title, ui.where),
      h('div', { class: 'projector__state' }, ui.phase, fullScreen)),
    ui.offline,
    h('div', { class: 'projector__body' }, ui.focus, ui.join, ui.counts, ui.waiting, ui.result));
}

/** Bring the screen up to date with state `s` (`before` is the state shown until now). */
function show(s, before) {
  const m = s.meeting;
  document.title = `${m.title} – ${TEXT.title}`;
  ui.title.textContent = m.title;
  ui.where.textContent = fill(TEXT.where, { consultation: s.consultation.title, place: m.place });
  ui.phase.textContent = TEXT.phase[m.phase] || m.phase;
  ui.phase.className = `projector__phase projector__phase--${m.phase}`;
  ui.admitted.textContent = String(s.admitted ?? 0);
  ui.voted.textContent = String(s.voted ?? 0);
  ui.channels.textContent = fill(TEXT.paperNote, { phones: s.phones ?? 0, paper: s.paper ?? 0 });
  ui.main.dataset.phase = m.phase;

  const revealed = m.phase === 'closed' && m.revealed && s.result;
  showJoin(m.phase !== 'closed' ? m.join_code : null);
  // With the result on the screen, its own first line says how many voted.
  ui.counts.hidden = Boolean(revealed);
  showFocus(m.phase !== 'closed' ? s.focus : null);
  ui.waiting.hidden = !(m.phase === 'closed' && !revealed);
  // The result only once the meeting has closed and been revealed, whatever else arrives.
  if (revealed) showResult(s.result); else { ui.result.hidden = true; ui.result.replaceChildren(); }
  ui.main.classList.toggle('projector--result', Boolean(revealed));
  ui.main.classList.toggle('projector--focus', Boolean(!revealed && m.phase !== 'closed' && s.focus));

  if (before) say(s, before);
}

/** Tell a screen reader what changed: the phase at once, the counts now and then. */
function say(s, before) {
  const m = s.meeting;
  const b = before.meeting;
  let text = '';
  if (m.phase !== b.phase) text = TEXT.phaseSaid[m.phase] || '';
  else if (m.revealed && !b.revealed) text = TEXT.revealedSaid;
  if (text) { speak(text); return; }
  if (s.voted !== before.voted || s.admitted !== before.admitted) sayCountsSoon();
}

function speak(text) {
  ui.said.textContent = '';
  setTimeout(() => { ui.said.textContent = text; }, 50);
  lastSaid = Date.now();
}

function sayCountsSoon() {
  if (countTimer) return;
  const wait = Math.max(0, lastSaid + SAY_COUNTS_EVERY - Date.now());
  countTimer = setTimeout(() => {
    countTimer = null;
    const text = fill(TEXT.countsSaid, { voted: S.voted ?? 0, admitted: S.admitted ?? 0 });
    if (text !== saidCounts) { saidCounts = text; speak(text); }
  }, wait);
}

/** The join link and, for staff, its QR code. `code` null: nobody joins any more. */
function showJoin(code) {
  if (!code) { ui.join.hidden = true; return; }
  ui.join.hidden = false;
  const link = joinLink(code);
  const canDraw = getToken() && ['organiser', 'officer'].includes(getUser()?.role);
  if (canDraw && qrFor !== link) {
    qrFor = link;
    api('/qr', { method: 'POST', body: { links: [link] } })
      .then((r) => { qr = r.qr?.[0] || null; if (S) showJoin(S.meeting.phase !== 'closed' ? S.meeting.join_code : null); })
      .catch(() => { qr = null; }); // the link alone, then (signed out, or another address)
  }
  const image = qr && qrFor === link ? h('img', { class: 'projector__qr', id: 'join-qr', src: qr, alt: fill(TEXT.qrAlt, { link }) }) : null;
  // Drawn again only when it changes, not at every ballot (the QR code would flicker).
  const key = `${link} ${image ? 'qr' : ''}`;
  if (ui.join.dataset.shown === key) return;
  ui.join.dataset.shown = key;
  replace(ui.join,
    h('h2', { id: 'join-heading' }, TEXT.joinHeading),
    h('p', {}, TEXT.joinSlip),
    h('p', {}, image ? TEXT.joinLetter : TEXT.joinLetterNoQr),
    image,
    h('p', { class: 'projector__link', id: 'join-link' }, link.replace(/^https?:\/\//, '')),
    h('p', { class: 'projector__code' }, fill(TEXT.joinCode, { code })));
}

/** Focus mode: the proposal the chair is talking about. */
function showFocus(p) {
  if (!p) { ui.focus.hidden = true; ui.focus.replaceChildren(); return; }
  ui.focus.hidden = false;
  replace(ui.focus,
    h('p', { class: 'projector__eyebrow' }, TEXT.focusHeading),
    h('h2', { id: 'focus-heading' }, p.title),
    h('ul', { class: 'projector__facts' },
      h('li', {}, TEXT.kind[p.kind] || p.kind),
      h('li', {}, h('strong', {}, fill(p.kind === 'saving' ? TEXT.saves : TEXT.costs, { amount: money(p.amount) }))),
      p.service_name ? h('li', {}, fill(TEXT.service, { name: p.service_name })) : null),
    p.summary ? h('p', { class: 'projector__summary' }, p.summary) : null,
    p.details ? h('p', { class: 'projector__details' }, p.details) : null);
}

/** The meeting's kept count: protected and simple-majority scores side by side, as bars. */
function showResult(R) {
  ui.result.hidden = false;
  if (R.too_few) {
    replace(ui.result,
      h('h2', { id: 'result-heading' }, TEXT.resultHeading),
      h('p', { class: 'projector__too-few', id: 'too-few' }, fill(TEXT.tooFew, { n: R.ballots, min: R.min_group })));
    return;
  }
  const all = R.proposals || [];
  const byRank = (a, b) => Number(a.rank) - Number(b.rank);
  const savings = all.filter((p) => p.kind === 'saving').sort(byRank);
  const devs = all.filter((p) => p.kind !== 'saving').sort(byRank);
  const summary = R.summary || {};
  replace(ui.result,
    h('h2', { id: 'result-heading' }, TEXT.resultHeading),
    h('p', {}, fill(plural(R.ballots, TEXT.resultIntro), { n: R.ballots })),
    h('ul', { class: 'projector__facts' },
      h('li', {}, fill(TEXT.savingsAgreed, { amount: money(summary.savings_adopted ?? 0) })),
      h('li', {}, fill(TEXT.devSpent, { amount: money(summary.development_spent ?? 0) }))),
    h('ul', { class: 'legend' },
      h('li', {}, h('span', { class: 'swatch swatch--protected', 'aria-hidden': 'true' }), TEXT.legendProtected),
      h('li', {}, h('span', { class: 'swatch swatch--plain', 'aria-hidden': 'true' }), TEXT.legendPlain)),
    h('div', { class: 'projector__columns' },
      resultList('savings', TEXT.savingsHeading, savings),
      resultList('developments', TEXT.devHeading, devs)));
}

function resultList(key, heading, list) {
  if (!list.length) return null;
  const max = scoreScale(list);
  return h('section', { 'aria-labelledby': `${key}-heading` },
    h('h3', { id: `${key}-heading` }, heading),
    h('ol', { class: 'projector__results', role: 'list', id: `${key}-results` }, list.map((p) => h('li', { 'data-proposal': p.id },
      h('p', { class: 'projector__result-title' },
        h('span', { class: 'rank' }, fill(TEXT.rank, { rank: p.rank })), ' ', h('span', {}, p.title), ' ',
        h('span', { class: 'projector__outcome' },
          h('strong', { class: p.adopted ? 'is-yes' : 'is-no' }, p.adopted ? TEXT.adopted : TEXT.notAdopted),
          p.protected ? [' · ', h('strong', { class: 'is-protected' }, TEXT.protected)] : null,
          ' · ', fill(p.kind === 'saving' ? TEXT.saves : TEXT.costs, { amount: money(p.amount) }))),
      scoreChart(p, max, { protectedLabel: TEXT.scoreProtected, plainLabel: TEXT.scorePlain })))));
}

start();
