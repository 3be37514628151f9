// The ballot: residents rank what they WANT and what they DON'T WANT, then send it with their voter code.
// With `m=<meeting>` it is the hall's ballot at a live meeting: large type, the code from the
// slip's link filled in, sent to the meeting, and the meeting's state followed live.
import { api, param } from './api.js';
import { h, srOnly, focusEl, announce, quiet, field, setFieldError, icon, replace, oneAtATime } from './dom.js';
import { layout } from './layout.js';
import { formatMoney, formatDateTime, fill, shortFingerprint } from './format.js';
import { followMeeting } from './meeting-live.js';

const TEXT = {
  title: 'Your vote',
  loading: 'Loading the ballot…',
  noId: 'No consultation was chosen. Go back to the list of consultations and pick one.',
  notFound: 'We could not find this consultation. The link may be wrong or out of date.',
  loadError: 'We could not load the ballot: {detail}',
  backHome: 'See all consultations',
  moneyHeading: 'The money',
  mustSave: 'The council must save {amount}.',
  noTarget: 'The council does not have a set amount it must save.',
  canSpend: 'It can spend up to {amount} on new things.',
  noLimit: 'There is no fixed limit on new spending.',
  overall: 'Its overall budget is {amount}.',
  closesAt: 'Voting closes on {date}.',
  fingerprint: 'Rules fingerprint: ',
  fingerprintHelp: 'A short code for the counting rules and this list of proposals, which cannot change once voting opens. The results will show the same code.',
  notOpen: {
    draft: 'This consultation is not open for votes yet.',
    closed: 'Voting on this consultation has closed. Thank you to everyone who took part.',
    published: 'Voting on this consultation has closed and the results are published.',
    early: 'Voting opens on {date}. Please come back then.',
    late: 'Voting closed on {date}.',
  },
  resultsLink: 'See the results',
  howHeading: 'How to vote',
  how: [
    'Choose up to {n} proposals you want, the most important first, and up to {n} you don’t want, the one you most oppose first.',
    'Your first choice in each list counts the most. You don’t have to fill the lists, and a proposal can be in only one of them.',
    'Use the buttons under each proposal to add it to a list. In your lists you can move a choice up or down, or remove it.',
  ],
  jump: 'Go to your choices',
  savingsHeading: 'Savings: ways to cut spending',
  savingsIntro: 'Each of these would save money, but would cut or change something.',
  devHeading: 'New spending',
  devIntro: 'Each of these would cost money from the budget for new things.',
  kind: { saving: 'Saving', development: 'New spending' },
  saves: 'Saves {amount}',
  costs: 'Costs {amount}',
  service: 'Affects: {name}',
  moreDetails: 'More about this proposal',
  addWant: 'Add to want',
  removeWant: 'Remove from want',
  addDont: 'Add to don’t want',
  removeDont: 'Remove from don’t want',
  inWant: 'In your want list: number {pos} of {count}.',
  inDont: 'In your don’t want list: number {pos} of {count}.',
  listsHeading: 'Your choices',
  listName: { want: 'want list', dont: 'don’t want list' },
  wantHeading: 'What you want (most important first)',
  dontHeading: 'What you don’t want (most opposed first)',
  emptyList: 'Nothing here yet.',
  countOf: '{count} of {max} chosen',
  moveUp: 'Move up',
  moveDown: 'Move down',
  remove: 'Remove',
  announceAdded: '{title} added to your {list} at position {pos} of {count}.',
  announceSwitched: '{title} moved from your {from} to your {list}, position {pos} of {count}.',
  announceRemoved: '{title} removed from your {list}.',
  announceMoved: '{title} moved to position {pos} of {count} in your {list}.',
  announceTop: '{title} is already at the top of your {list}.',
  announceBottom: '{title} is already at the bottom of your {list}.',
  full: 'Your {list} is full: you can choose up to {max}. Remove one before adding another.',
  aboutHeading: 'About you',
  usesLegend: 'Which of these services do you or someone you care for use?',
  usesHint: 'Tick all that apply. People who use a service get a fair say on cuts to it, even if they are few. Your answer is not linked to your name.',
  usesHintVerified: 'Tick all that apply. Your answer is shown in the results, but on this ballot only people with a service-user code get the protected say on cuts to a service. Your answer is not linked to your name.',
  serviceCodeLabel: 'Service-user code (optional)',
  serviceCodeHint: 'If a service, such as a day centre or a library, gave you a service-user code, type it here. It shows that you use that service. It is not your voter code: leave this empty if you have none.',
  serviceCodeShape: 'A service-user code has 12 letters and numbers, for example M2XD-K7QF-9PRT. Check it against the card your service gave you, or leave this empty.',
  reviewServiceCode: 'Your service-user code',
  errorServiceCode: 'There is a problem with your service-user code: {detail}',
  areaLabel: 'Your area (optional)',
  areaHint: 'This is only used to show how different areas voted.',
  areaNone: 'Prefer not to say',
  codeHeading: 'Your voter code',
  codeLabel: 'Voter code',
  codeHint: 'It is on the letter we sent you, for example K7QF-M2XD-9PRT. Capital or small letters, with or without the dashes.',
  codeEmpty: 'Type the voter code from your letter.',
  codeShape: 'A voter code has 12 letters and numbers, for example K7QF-M2XD-9PRT. Check it against your letter.',
  codeInvalid: 'We don’t recognise this voter code for this consultation. Check it against your letter: it has 12 letters and numbers, for example K7QF-M2XD-9PRT.',
  rateLimited: 'Too many tries with a wrong code. Please wait {seconds} seconds and try again.',
  emailHeading: 'No code? Get one by e-mail',
  emailIntro: 'If you have not had a letter with a voter code, we can e-mail you one. Each e-mail address gets one code.',
  emailLabel: 'Your e-mail address',
  emailHint: 'For example name@example.org. We keep only a scrambled copy of it, to make sure each address gets one code, and delete that after the results are published.',
  emailSend: 'E-mail me a code',
  emailSending: 'Sending your code…',
  emailEmpty: 'Type your e-mail address.',
  emailShape: 'Type an e-mail address such as name@example.org.',
  emailSent: 'We have e-mailed a voter code to {email}. It should arrive in a few minutes: look in your spam or junk folder too. Then type the code above.',
  emailRateLimited: 'Too many requests from here. Please wait {minutes} minutes and try again.',
  emailError: 'We could not send your code: {detail}',
  review: 'Review my choices',
  reviewHeading: 'Check your vote before you send it',
  reviewWant: 'What you want',
  reviewDont: 'What you don’t want',
  reviewUses: 'Services you or someone you care for use',
  reviewArea: 'Your area',
  reviewCode: 'Your voter code',
  reviewNone: 'Nothing chosen.',
  reviewNoUses: 'None ticked.',
  reviewEmpty: 'You have not chosen anything. Your vote will count as taking part without a preference.',
  reviewAgain: 'You can vote again later with the same code. Your newest vote replaces the older one.',
  change: 'Change my choices',
  submit: 'Send my vote',
  sending: 'Sending…',
  announceSending: 'Sending your vote…',
  titleReview: 'Check your vote',
  titleDone: 'Vote received',
  titleError: 'Error',
  doneHeading: 'Your vote has been received',
  receiptLabel: 'Your receipt',
  keep: 'Keep this receipt: write it down, print this page or take a photo. It proves your vote arrived, without showing how you voted.',
  replaced: 'This vote replaces the one you sent before with the same code. Your newest vote is the one that counts.',
  receivedAt: 'Received on {date}.',
  print: 'Print this receipt',
  checkReceipt: 'Check your receipt',
  errorWrongPhase: 'Voting on this consultation has closed, so your vote could not be sent.',
  errorGeneric: 'Your vote could not be sent: {detail}',
  errorNetwork: 'We could not reach the server, so your vote has not been sent yet. Check your internet connection and try again.',
  errorTimeout: 'The server took too long to answer, so we don’t know if your vote arrived. Please try again.',
  errorBusy: 'The service is busy or restarting. Your vote has not been sent yet; please try again in a minute.',
  errorSafe: 'Sending it again is safe: if an earlier try did arrive, the newer vote with the same voter code replaces it, and only the newest receipt counts.',
  tryAgain: 'Try again',
  errorField: 'There is a problem with this list: {detail}',
  errorUses: 'There is a problem with the services you ticked: {detail}',
  errorArea: 'There is a problem with your area: {detail}',
  errorSummary: 'There is a problem',
  closedNoSend: 'Voting has closed, so votes can no longer be sent.',
  hall: {
    loadError: 'We could not find this meeting. The link may be wrong or out of date: ask a member of staff.',
    meeting: '{title}, {place}',
    phase: {
      planned: 'Voting has not started yet',
      voting: 'Voting is open',
      closed: 'Voting has closed',
    },
    more: {
      planned: 'You can make your choices now, and send your vote when the chair opens voting. This page changes by itself.',
      voting: 'Make your choices, check them and send your vote.',
      closed: 'Voting at this meeting has closed. Thank you for taking part.',
    },
    revealed: 'The meeting’s result is on the screen in the hall.',
    resultLink: 'See the meeting’s result',
    reset: 'The chair has started the vote again. Votes sent before at this meeting no longer count: please send yours again once voting is open.',
    offline: 'This page has lost touch with the meeting. It is trying again.',
    announce: {
      planned: 'Voting has not started yet.',
      voting: 'Voting is open. You can send your vote now.',
      closed: 'Voting at this meeting has closed.',
      revealed: 'The meeting’s result is ready.',
    },
    codeLabel: 'Your code',
    codeHint: 'It is on your admission slip or on your letter, for example K7QF-M2XD-9PRT. Capital or small letters, with or without the dashes.',
    codeFilled: 'The code from your slip’s link is filled in.',
    codeInvalid: 'We don’t recognise this code for this meeting. Check it against your slip or letter: it has 12 letters and numbers, for example K7QF-M2XD-9PRT.',
    waitToSend: 'Voting has not started yet. Your choices are kept: you can send your vote as soon as the chair opens voting. This page changes by itself.',
    closedError: 'Voting at this meeting has closed, so your vote could not be sent.',
    again: 'While voting is open at this meeting you can change your vote: send it again with the same code, and your newest vote replaces the older one.',
  },
};

const main = layout({ title: TEXT.title });
let id = param('c');
const meetingId = param('m');
const LISTS = ['want', 'dont'];
const SEND_TIMEOUT = 30000; // milliseconds before we stop waiting for the server

let C = null; // the consultation
let proposals = new Map();
let services = new Map();
let depth = 5;
// The choices. The voter code is deliberately not here: it is read from its field and never
// kept in the draft, so that on a shared computer the next person cannot vote with it.
const state = { want: [], dont: [], uses: [], area: '' };
const ui = {}; // elements we update
let baseTitle = '';
let sending = false;
let closedNow = false; // the server said voting has closed while this page was open
// The hall: the meeting's live state, the code that joined it, and the code from the link.
let hall = null;
let joinedCode = '';
const codeFromLink = takeCodeFromAddress();

/**
 * A short link (`/go#CODE`) opens this page with `#code=…`: take the code and remove it from
 * the address bar at once, so it is not left in the browser's history or shown on screen.
 */
function takeCodeFromAddress() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const code = fragment.get('code');
  if (code === null) return '';
  history.replaceState(history.state, '', location.pathname + location.search);
  return code.trim();
}

const draftKey = () => `pbvote.draft.${id}`;

function saveDraft() {
  const { want, dont, uses, area } = state;
  try { sessionStorage.setItem(draftKey(), JSON.stringify({ want, dont, uses, area })); } catch { /* storage full or blocked */ }
}

function loadDraft() {
  let d;
  try { d = JSON.parse(sessionStorage.getItem(draftKey()) || 'null'); } catch { d = null; }
  if (!d) return;
  const seen = new Set();
  for (const l of LISTS) {
    state[l] = (Array.isArray(d[l]) ? d[l] : []).filter((p) => proposals.has(p) && !seen.has(p) && seen.add(p)).slice(0, depth);
  }
  state.uses = (Array.isArray(d.uses) ? d.uses : []).filter((s) => services.has(s));
  state.area = (C.areas || []).includes(d.area) ? d.area : '';
  if ('code' in d) saveDraft(); // a draft saved by an older page held the code: drop it
}

function money(minor) { return formatMoney(minor, C.currency); }

/**
 * An element id made from a proposal's or service's id, different for different ids: letters,
 * digits and `-` stay, and every other character (`_` too) becomes `_<hex>_`, so `a.b` and
 * `a_b` no longer both become `a_b` (a click on one label then ticked the other's box).
 */
function domId(prefix, raw) {
  return `${prefix}-${String(raw).replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0).toString(16)}_`)}`;
}
function title(pid) { return proposals.get(pid)?.title ?? pid; }
function listOf(pid) { return LISTS.find((l) => state[l].includes(pid)) || null; }

function message(kind, text, { alert = false } = {}) {
  return h('div', { class: `notice notice--${kind}`, role: alert ? 'alert' : null }, h('p', {}, text));
}

// ---------- loading ----------

async function start() {
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.loading));
  if (meetingId) {
    document.body.classList.add('hall');
    try {
      hall = await api(`/meetings/${encodeURIComponent(meetingId)}/live`, { auth: false });
    } catch (e) {
      const text = e.status === 404 ? TEXT.hall.loadError : fill(TEXT.loadError, { detail: e.detail || e.message });
      replace(main, h('h1', {}, TEXT.title), message('error', text, { alert: true }), h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
      return;
    }
    id = hall.consultation.id;
  }
  if (!id) {
    replace(main, h('h1', {}, TEXT.title), message('error', TEXT.noId), h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
    return;
  }
  try {
    C = await api(`/consultations/${encodeURIComponent(id)}`);
  } catch (e) {
    const text = e.status === 404 ? TEXT.notFound : fill(TEXT.loadError, { detail: e.detail || e.message });
    replace(main, h('h1', {}, TEXT.title), message('error', text, { alert: true }), h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
    return;
  }
  document.title = `${C.title} – ${document.title}`;
  baseTitle = document.title;
  proposals = new Map((C.proposals || []).map((p) => [p.id, p]));
  services = new Map((C.services || []).map((s) => [s.id, s]));
  depth = Number(C.settings?.rank_depth) || 5;
  loadDraft();
  render();
  if (meetingId) {
    followMeeting(meetingId, { onState: applyHall, onConnection: (up) => { if (ui.hallOffline) ui.hallOffline.hidden = up; } });
    if (codeFromLink && ui.code) joinMeeting(codeFromLink, { onLoad: true });
  }
}

function budgetPanel() {
  const b = C.budget || {};
  const lines = [];
  lines.push(b.savings_target != null ? fill(TEXT.mustSave, { amount: money(b.savings_target) }) : TEXT.noTarget);
  lines.push(b.development_budget != null ? fill(TEXT.canSpend, { amount: money(b.development_budget) }) : TEXT.noLimit);
  const extra = [];
  if (b.overall_budget != null) extra.push(fill(TEXT.overall, { amount: money(b.overall_budget) }));
  if (C.phase === 'open' && C.closes_at) extra.push(fill(TEXT.closesAt, { date: formatDateTime(C.closes_at) }));
  return h('section', { class: 'panel budget', 'aria-labelledby': 'money-heading' },
    h('h2', { id: 'money-heading' }, TEXT.moneyHeading),
    h('p', { class: 'lead', id: 'budget-sentence' }, lines.join(' ')),
    extra.length ? h('p', {}, extra.join(' ')) : null,
    C.fingerprint ? h('p', { class: 'small fingerprint', id: 'fingerprint' }, TEXT.fingerprint, h('code', {}, shortFingerprint(C.fingerprint)), '. ', TEXT.fingerprintHelp) : null);
}

function notOpenReason() {
  const now = new Date();
  if (C.phase !== 'open') return TEXT.notOpen[C.phase] || TEXT.notOpen.closed;
  if (C.opens_at && new Date(C.opens_at) > now) return fill(TEXT.notOpen.early, { date: formatDateTime(C.opens_at) });
  if (C.closes_at && new Date(C.closes_at) <= now) return fill(TEXT.notOpen.late, { date: formatDateTime(C.closes_at) });
  return null;
}

// ---------- rendering ----------

function render() {
  const heading = h('h1', {}, C.title);
  const intro = C.description ? h('p', { class: 'lead' }, C.description) : null;
  const reason = notOpenReason();
  if (reason) {
    replace(main, heading, hallBanner(), intro || '', budgetPanel(), message('warning', reason),
      C.phase === 'published' ? h('p', {}, h('a', { class: 'btn', href: `results.html?c=${encodeURIComponent(C.id)}` }, TEXT.resultsLink)) : null,
      h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
    return;
  }

  ui.formError = h('div', { id: 'form-error', class: 'notice notice--error', hidden: true, tabindex: '-1' });
  ui.choose = h('div', { id: 'step-choose' });
  ui.review = h('div', { id: 'step-review', hidden: true });
  ui.done = h('div', { id: 'step-done', hidden: true });
  replace(main, heading, hallBanner(), intro || '', ui.formError, ui.choose, ui.review, ui.done);

  const savings = [...proposals.values()].filter((p) => p.kind === 'saving');
  const devs = [...proposals.values()].filter((p) => p.kind !== 'saving');
  ui.cards = new Map();

  const section = (hid, headingText, introText, list) => list.length ? h('section', { 'aria-labelledby': hid },
    h('h2', { id: hid }, headingText),
    h('p', {}, introText),
    h('ul', { class: 'card-list', role: 'list' }, list.map(card))) : null;

  ui.lists = {};
  const choices = h('section', { class: 'choices', 'aria-labelledby': 'choices-heading' },
    h('h2', { id: 'choices-heading' }, TEXT.listsHeading),
    choiceList('want'),
    choiceList('dont'));

  ui.choose.append(
    budgetPanel(),
    h('section', { 'aria-labelledby': 'how-heading' },
      h('h2', { id: 'how-heading' }, TEXT.howHeading),
      TEXT.how.map((t) => h('p', {}, fill(t, { n: depth }))),
      h('p', { class: 'jump-link' }, h('a', { href: '#choices-heading' }, TEXT.jump))),
    h('div', { class: 'ballot-layout' },
      h('div', {},
        section('savings-heading', TEXT.savingsHeading, TEXT.savingsIntro, savings),
        section('dev-heading', TEXT.devHeading, TEXT.devIntro, devs)),
      choices),
    aboutForm(),
    C.self_registration && !hall ? emailForm() : null);

  refresh();
  if (hall) showHallPhase();
}

function card(p) {
  const svc = p.service ? services.get(p.service) : null;
  const wantBtn = h('button', { type: 'button', class: 'btn--small', 'data-action': 'want', 'data-id': p.id, onclick: () => toggle('want', p.id) });
  const dontBtn = h('button', { type: 'button', class: 'btn--small btn--secondary', 'data-action': 'dont', 'data-id': p.id, onclick: () => toggle('dont', p.id) });
  const status = h('p', { class: 'card__status', hidden: true });
  const note = h('p', { class: 'field-error', hidden: true });
  const hid = domId('proposal', p.id);
  const el = h('li', { class: 'card', id: `card-${hid}`, 'data-proposal': p.id },
    h('h3', { id: hid }, p.title),
    h('ul', { class: 'card__meta' },
      h('li', {}, h('span', { class: `tag tag--${p.kind === 'saving' ? 'saving' : 'development'}` }, TEXT.kind[p.kind] || p.kind)),
      h('li', {}, h('strong', {}, fill(p.kind === 'saving' ? TEXT.saves : TEXT.costs, { amount: money(p.amount) }))),
      svc ? h('li', {}, fill(TEXT.service, { name: svc.name })) : null),
    p.summary ? h('p', {}, p.summary) : null,
    p.details ? h('details', {}, h('summary', {}, TEXT.moreDetails, srOnly(`: ${p.title}`)), h('div', {}, String(p.details).split(/\n{2,}/).map((para) => h('p', {}, para)))) : null,
    status,
    note,
    h('div', { class: 'btn-row btn-row--tight', role: 'group', 'aria-labelledby': hid }, wantBtn, dontBtn));
  ui.cards.set(p.id, { el, wantBtn, dontBtn, status, note });
  return el;
}

function choiceList(l) {
  const hid = `${l}-list-heading`;
  // role="list": Safari drops list semantics from a list styled with list-style: none.
  const ol = h('ol', { id: `${l}-list`, role: 'list', 'aria-labelledby': hid, 'aria-describedby': `${l}-count` });
  const count = h('p', { class: 'hint', id: `${l}-count` });
  const error = h('p', { class: 'field-error', id: l === 'want' ? 'want-error' : 'dont_want-error', hidden: true, tabindex: '-1' });
  const msg = h('p', { class: 'list-message hint', hidden: true });
  const heading = h('h3', { id: hid, tabindex: '-1' }, l === 'want' ? TEXT.wantHeading : TEXT.dontHeading);
  ui.lists[l] = { ol, count, error, msg, heading };
  return h('div', { class: `choice-list choice-list--${l}` }, heading, count, error, ol, msg);
}

function aboutForm() {
  const parts = [];
  const svcs = [...services.values()];
  ui.usesError = h('p', { class: 'field-error', id: 'uses-error', hidden: true, tabindex: '-1' });
  if (svcs.length) {
    ui.usesFieldset = h('fieldset', { class: 'field', id: 'uses-fieldset', 'aria-describedby': 'uses-hint' },
      h('legend', {}, TEXT.usesLegend),
      h('p', { class: 'hint', id: 'uses-hint' }, C.settings?.service_users === 'verified' ? TEXT.usesHintVerified : TEXT.usesHint),
      ui.usesError,
      h('ul', { class: 'checkboxes' }, svcs.map((s) => {
        const cid = domId('uses-box', s.id); // not 'uses-': a service called "error" would be #uses-error
        const box = h('input', { type: 'checkbox', id: cid, name: 'uses', value: s.id, checked: state.uses.includes(s.id), onchange: onUsesChange });
        return h('li', {}, h('label', { class: 'check', for: cid }, box, h('span', {}, s.name, s.description ? h('span', { class: 'hint', style: 'display:block' }, s.description) : null)));
      })));
    parts.push(ui.usesFieldset);
  }
  // Service-user codes: only on a consultation that verifies service users. Not kept in the
  // saved draft (like the voter code, it is a secret).
  if (svcs.length && C.settings?.service_users && C.settings.service_users !== 'declared') {
    ui.serviceCode = field({ id: 'service-user-code', label: TEXT.serviceCodeLabel, hint: TEXT.serviceCodeHint,
      attrs: { class: 'input--code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text' } });
    parts.push(ui.serviceCode.wrap);
  }
  if ((C.areas || []).length) {
    ui.area = field({ id: 'area', label: TEXT.areaLabel, hint: TEXT.areaHint, options: [['', TEXT.areaNone], ...C.areas.map((a) => [a, a])], value: state.area });
    ui.area.input.addEventListener('change', () => { state.area = ui.area.input.value; saveDraft(); });
    parts.push(ui.area.wrap);
  }
  ui.code = field({ id: 'voter-code', label: hall ? TEXT.hall.codeLabel : TEXT.codeLabel,
    hint: hall ? `${TEXT.hall.codeHint}${codeFromLink ? ` ${TEXT.hall.codeFilled}` : ''}` : TEXT.codeHint,
    value: codeFromLink,
    attrs: { class: 'input--code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text' } });
  const form = h('form', { id: 'ballot-form', novalidate: true, onsubmit: oneAtATime(toReview) },
    parts.length ? h('section', { 'aria-labelledby': 'about-heading' }, h('h2', { id: 'about-heading' }, TEXT.aboutHeading), parts) : null,
    h('section', { 'aria-labelledby': 'code-heading' }, h('h2', { id: 'code-heading' }, TEXT.codeHeading), ui.code.wrap),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'review-button' }, TEXT.review)));
  return form;
}

/** "No code? Get one by e-mail": a form of its own (forms cannot nest), after the ballot's. */
function emailForm() {
  ui.email = field({ id: 'email', label: TEXT.emailLabel, hint: TEXT.emailHint, type: 'email',
    attrs: { autocomplete: 'email', spellcheck: 'false', inputmode: 'email' } });
  ui.emailSent = h('p', { id: 'email-sent', class: 'notice notice--success', hidden: true, tabindex: '-1' });
  const form = h('form', { id: 'email-form', novalidate: true, onsubmit: oneAtATime(askForCode) },
    ui.email.wrap,
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'email-button', class: 'btn--secondary' }, TEXT.emailSend)));
  return h('section', { 'aria-labelledby': 'email-heading', id: 'email-section' },
    h('h2', { id: 'email-heading' }, TEXT.emailHeading),
    h('p', {}, TEXT.emailIntro),
    ui.emailSent,
    form);
}

async function askForCode() {
  const email = ui.email.input.value.trim();
  setFieldError(ui.email, '');
  ui.emailSent.hidden = true;
  const wrong = (text) => { setFieldError(ui.email, text); focusEl(ui.email.input); };
  if (!email) return wrong(TEXT.emailEmpty);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return wrong(TEXT.emailShape);
  announce(TEXT.emailSending);
  try {
    await api(`/consultations/${encodeURIComponent(C.id)}/registrations`, { method: 'POST', body: { email }, auth: false, timeout: 30000 });
  } catch (e) {
    quiet();
    if (e.type === 'rate-limited') return wrong(fill(TEXT.emailRateLimited, { minutes: Math.ceil((e.retryAfter || 3600) / 60) }));
    return wrong(String(e.field || '') === 'email' ? (e.detail || e.message) : fill(TEXT.emailError, { detail: e.detail || e.message }));
  }
  quiet();
  ui.emailSent.textContent = fill(TEXT.emailSent, { email });
  ui.emailSent.hidden = false;
  focusEl(ui.emailSent);
  return undefined;
}

function onUsesChange() {
  state.uses = [...document.querySelectorAll('input[name="uses"]:checked')].map((b) => b.value);
  saveDraft();
}

/** Bring every card and both lists up to date with `state`. */
function refresh() {
  for (const [pid, c] of ui.cards) {
    const l = listOf(pid);
    replace(c.wantBtn, l === 'want' ? TEXT.removeWant : TEXT.addWant, srOnly(`: ${title(pid)}`));
    replace(c.dontBtn, l === 'dont' ? TEXT.removeDont : TEXT.addDont, srOnly(`: ${title(pid)}`));
    // The label says what pressing does ("Remove from want"); no aria-pressed as well, which
    // would make a screen reader say "Remove from want, toggle button, pressed".
    c.el.classList.toggle('card--chosen-want', l === 'want');
    c.el.classList.toggle('card--chosen-dont', l === 'dont');
    if (l) {
      c.status.hidden = false;
      c.status.textContent = fill(l === 'want' ? TEXT.inWant : TEXT.inDont, { pos: state[l].indexOf(pid) + 1, count: state[l].length });
    } else {
      c.status.hidden = true;
      c.status.textContent = '';
    }
  }
  for (const l of LISTS) renderList(l);
  linkErrors();
}

/** Point the controls of a list (and the services fieldset) at their error while one shows. */
function linkErrors() {
  for (const l of LISTS) {
    const { error, ol } = ui.lists[l];
    const on = !error.hidden;
    for (const b of [...ui.choose.querySelectorAll(`button[data-action="${l}"]`), ...ol.querySelectorAll('button')]) describedBy(b, error.id, on);
    describedBy(ol, error.id, on);
  }
  if (ui.usesFieldset) describedBy(ui.usesFieldset, ui.usesError.id, !ui.usesError.hidden);
}

function describedBy(el, eid, on) {
  const ids = new Set((el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  if (on) ids.add(eid); else ids.delete(eid);
  if (ids.size) el.setAttribute('aria-describedby', [...ids].join(' '));
  else el.removeAttribute('aria-describedby');
}

function renderList(l) {
  const { ol, count, msg } = ui.lists[l];
  const items = state[l];
  count.textContent = fill(TEXT.countOf, { count: items.length, max: depth });
  if (items.length < depth) { msg.hidden = true; msg.textContent = ''; }
  if (!items.length) {
    replace(ol, h('li', { class: 'empty' }, TEXT.emptyList));
    return;
  }
  replace(ol, ...items.map((pid, i) => {
    const p = proposals.get(pid);
    const btn = (action, text, disabled, ic) => h('button', {
      type: 'button', class: `btn--small ${action === 'remove' ? 'btn--secondary' : 'btn--secondary'}`,
      'data-list': l, 'data-id': pid, 'data-action': action,
      'aria-disabled': disabled ? 'true' : null,
      onclick: () => listAction(l, pid, action),
    }, ic ? icon(ic) : null, text, srOnly(`: ${p.title}`));
    return h('li', { 'data-id': pid },
      // The position is in the text (not a CSS counter), so screen readers say it too.
      h('p', { class: 'choice-title', style: 'margin:0' }, h('span', { class: 'choice-number' }, `${i + 1}.`), ' ', h('span', {}, p.title, ' ', h('span', { class: 'muted small' }, `(${money(p.amount)})`))),
      h('div', { class: 'btn-row btn-row--tight' },
        btn('up', TEXT.moveUp, i === 0, 'up'),
        btn('down', TEXT.moveDown, i === items.length - 1, 'down'),
        btn('remove', TEXT.remove, false, 'cross')));
  }));
}

// ---------- actions ----------

function clearNotes() {
  for (const c of ui.cards.values()) { c.note.hidden = true; c.note.textContent = ''; }
}

function toggle(l, pid) {
  clearNotes();
  clearListErrors();
  const current = listOf(pid);
  const words = { title: title(pid), list: TEXT.listName[l] };
  if (current === l) {
    state[l] = state[l].filter((x) => x !== pid);
    announce(fill(TEXT.announceRemoved, words));
  } else {
    if (state[l].length >= depth) {
      const text = fill(TEXT.full, { list: TEXT.listName[l], max: depth });
      const c = ui.cards.get(pid);
      c.note.textContent = text;
      c.note.hidden = false;
      ui.lists[l].msg.textContent = text;
      ui.lists[l].msg.hidden = false;
      announce(text);
      return;
    }
    if (current) state[current] = state[current].filter((x) => x !== pid);
    state[l].push(pid);
    const pos = { pos: state[l].length, count: state[l].length };
    announce(current
      ? fill(TEXT.announceSwitched, { ...words, ...pos, from: TEXT.listName[current] })
      : fill(TEXT.announceAdded, { ...words, ...pos }));
  }
  saveDraft();
  refresh(); // buttons on the card are updated in place, so focus stays where it was
}

function listAction(l, pid, action) {
  clearNotes();
  const items = state[l];
  const i = items.indexOf(pid);
  if (i < 0) return;
  const words = { title: title(pid), list: TEXT.listName[l] };
  if (action === 'remove') {
    items.splice(i, 1);
    announce(fill(TEXT.announceRemoved, words));
    saveDraft();
    refresh();
    // Focus the next choice's Remove button, else the previous one, else the list heading.
    const next = items[i] ?? items[i - 1];
    if (next) focusButton(l, next, 'remove');
    else ui.lists[l].heading.focus();
    return;
  }
  const j = action === 'up' ? i - 1 : i + 1;
  if (j < 0 || j >= items.length) {
    announce(fill(action === 'up' ? TEXT.announceTop : TEXT.announceBottom, words));
    return;
  }
  [items[i], items[j]] = [items[j], items[i]];
  announce(fill(TEXT.announceMoved, { ...words, pos: j + 1, count: items.length }));
  saveDraft();
  refresh();
  focusButton(l, pid, action);
}

function focusButton(l, pid, action) {
  const b = [...ui.lists[l].ol.querySelectorAll('button')].find((x) => x.dataset.id === pid && x.dataset.action === action);
  if (b) b.focus();
}

// ---------- review and sending ----------

function normaliseCode(text) {
  return String(text || '').toUpperCase().replace(/[\s-]+/g, '');
}

function clearListErrors() {
  for (const l of LISTS) { ui.lists[l].error.hidden = true; ui.lists[l].error.textContent = ''; }
  if (ui.usesError) { ui.usesError.hidden = true; ui.usesError.textContent = ''; }
  linkErrors();
}

function clearErrors() {
  clearListErrors();
  ui.formError.hidden = true;
  ui.formError.replaceChildren();
  showStep(ui.review.hidden ? 'choose' : 'review'); // no "Error:" in the title any more
  setFieldError(ui.code, '');
  if (ui.area) setFieldError(ui.area, '');
  if (ui.serviceCode) setFieldError(ui.serviceCode, '');
}

async function toReview() {
  clearErrors();
  const code = normaliseCode(ui.code.input.value);
  if (!code) return showCodeError(TEXT.codeEmpty);
  if (code.length !== 12 || !/^[A-Z0-9]+$/.test(code)) return showCodeError(TEXT.codeShape);
  const serviceCode = ui.serviceCode ? normaliseCode(ui.serviceCode.input.value) : '';
  if (serviceCode && (serviceCode.length !== 12 || !/^[A-Z0-9]+$/.test(serviceCode))) return showServiceCodeError(TEXT.serviceCodeShape);
  // In the hall a typed code joins the meeting first (it counts as admitted), which also
  // tells the person at once if the code is wrong.
  if (hall && code !== joinedCode && !(await joinMeeting(ui.code.input.value))) return undefined;
  return showReview();
}

function showCodeError(text) {
  showStep('choose', { error: true });
  setFieldError(ui.code, text);
  focusEl(ui.code.input);
}

function showServiceCodeError(text) {
  showStep('choose', { error: true });
  setFieldError(ui.serviceCode, text);
  focusEl(ui.serviceCode.input);
}

/** Show one step of the ballot and name it in the page title. */
function showStep(step, { error = false } = {}) {
  ui.choose.hidden = step !== 'choose';
  ui.review.hidden = step !== 'review';
  ui.done.hidden = step !== 'done';
  const name = { review: `${TEXT.titleReview} – `, done: `${TEXT.titleDone} – ` }[step] || '';
  document.title = `${error ? `${TEXT.titleError}: ` : ''}${name}${baseTitle}`;
}

function showReview() {
  const list = (l) => state[l].length
    ? h('ol', { class: 'review-list' }, state[l].map((pid) => h('li', {}, `${title(pid)} (${money(proposals.get(pid).amount)})`)))
    : h('p', {}, TEXT.reviewNone);
  const heading = h('h2', { tabindex: '-1' }, TEXT.reviewHeading);
  const sendBtn = h('button', { type: 'button', id: 'send-button', onclick: () => send(sendBtn) }, TEXT.submit);
  ui.sendBtn = sendBtn;
  ui.waitToSend = hall ? h('div', { class: 'notice notice--warning', id: 'wait-to-send', hidden: true }, h('p', {}, TEXT.hall.waitToSend)) : null;
  ui.reviewAgain = h('p', { id: 'review-again' }, hall ? TEXT.hall.again : TEXT.reviewAgain);
  replace(ui.review, 
    heading,
    !state.want.length && !state.dont.length ? message('warning', TEXT.reviewEmpty) : null,
    h('div', { class: 'panel' },
      h('h3', {}, TEXT.reviewWant), list('want'),
      h('h3', {}, TEXT.reviewDont), list('dont'),
      services.size ? [h('h3', {}, TEXT.reviewUses), state.uses.length ? h('ul', {}, state.uses.map((s) => h('li', {}, services.get(s)?.name ?? s))) : h('p', {}, TEXT.reviewNoUses)] : null,
      (C.areas || []).length ? [h('h3', {}, TEXT.reviewArea), h('p', {}, state.area || TEXT.areaNone)] : null,
      ui.serviceCode?.input.value.trim() ? [h('h3', {}, TEXT.reviewServiceCode), h('p', { class: 'code-text' }, ui.serviceCode.input.value.trim().toUpperCase())] : null,
      h('h3', {}, TEXT.reviewCode), h('p', { class: 'code-text' }, ui.code.input.value.trim().toUpperCase())),
    closedNow ? message('warning', TEXT.closedNoSend) : ui.reviewAgain,
    ui.waitToSend,
    h('div', { class: 'btn-row' },
      h('button', { type: 'button', class: 'btn--secondary', id: 'change-button', onclick: () => { clearErrors(); showStep('choose'); focusEl(document.getElementById('review-button')); } }, TEXT.change),
      closedNow ? null : sendBtn));
  showStep('review');
  updateSending();
  focusEl(heading);
}

/**
 * Voting has closed while the page was open: take away everything that offers to send a vote
 * or promises another go, so the page says only what is true.
 */
function votingClosed() {
  closedNow = true;
  ui.sendBtn?.remove();
  ui.sendBtn = null;
  ui.reviewAgain?.remove();
  ui.waitToSend?.remove();
}

/**
 * Send the ballot. `btn` is the button pressed (Send my vote, or Try again): it keeps focus
 * (aria-disabled, never disabled) and says "Sending…"; a second press meanwhile does nothing.
 */
async function send(btn) {
  if (sending) return;
  sending = true;
  btn.setAttribute('aria-disabled', 'true');
  const label = btn.textContent;
  btn.textContent = TEXT.sending;
  announce(TEXT.announceSending);
  const body = { voter_code: ui.code.input.value.trim(), want: [...state.want], dont_want: [...state.dont], uses: [...state.uses] };
  if (state.area) body.area = state.area;
  if (ui.serviceCode?.input.value.trim()) body.service_user_code = ui.serviceCode.input.value.trim();
  const where = hall ? `/meetings/${encodeURIComponent(meetingId)}/ballots` : `/consultations/${encodeURIComponent(C.id)}/ballots`;
  let r;
  try {
    r = await api(where, { method: 'POST', body, auth: false, timeout: SEND_TIMEOUT });
  } catch (e) {
    sending = false;
    btn.removeAttribute('aria-disabled');
    btn.textContent = label;
    // "Sending your vote…" is no longer true: the error (or the field it is about) is read
    // out where focus goes next.
    quiet();
    await showSendError(e);
    return;
  }
  sending = false;
  quiet();
  try { sessionStorage.removeItem(draftKey()); } catch { /* ignore */ }
  showReceipt(r);
}

/**
 * A problem the resident can fix goes next to the field it is about (the voter code, a list);
 * anything else keeps them on the review step, with a summary and a "Try again" button.
 */
async function showSendError(e) {
  const f = String(e.field || '');
  const detail = e.detail || e.message;
  if (e.type === 'invalid-voter-code' || f === 'voter_code') {
    return showCodeError(e.type === 'invalid-voter-code' ? (hall ? TEXT.hall.codeInvalid : TEXT.codeInvalid) : detail);
  }
  if (e.type === 'rate-limited') {
    return showCodeError(fill(TEXT.rateLimited, { seconds: e.retryAfter || 60 }));
  }
  if (f === 'service_user_code' && ui.serviceCode) {
    return showServiceCodeError(fill(TEXT.errorServiceCode, { detail }));
  }
  if (e.type === 'invalid-field') {
    let target = null;
    if (f.startsWith('want')) target = ui.lists.want.error;
    else if (f.startsWith('dont_want')) target = ui.lists.dont.error;
    else if (f.startsWith('uses') && ui.usesError) target = ui.usesError;
    if (target) {
      ui.formError.hidden = true;
      showStep('choose', { error: true });
      target.textContent = fill(f.startsWith('uses') ? TEXT.errorUses : TEXT.errorField, { detail });
      target.hidden = false;
      linkErrors();
      return focusEl(target);
    }
    if (f.startsWith('area') && ui.area) {
      ui.formError.hidden = true;
      showStep('choose', { error: true });
      setFieldError(ui.area, fill(TEXT.errorArea, { detail }));
      return focusEl(ui.area.input);
    }
  }
  let text;
  let closed = e.type === 'wrong-phase';
  if (e.type === 'wrong-phase' && hall) {
    // The meeting has not opened yet, or has closed: ask where it is now.
    try { applyHall(await api(`/meetings/${encodeURIComponent(meetingId)}/live`, { auth: false })); } catch { /* the stream will tell */ }
    if (hall.meeting.phase === 'planned' && hall.consultation.phase === 'open') {
      closed = false;
      text = TEXT.hall.waitToSend;
    } else {
      text = hall.meeting.phase === 'closed' ? TEXT.hall.closedError : TEXT.errorWrongPhase;
    }
  } else if (e.type === 'wrong-phase') text = TEXT.errorWrongPhase;
  else if (e.type === 'network') text = TEXT.errorNetwork;
  else if (e.type === 'timeout') text = TEXT.errorTimeout;
  else if (e.type === 'unavailable') text = TEXT.errorBusy;
  else text = fill(TEXT.errorGeneric, { detail });
  // Trying again cannot help once voting has closed (nor before it opens: the send button
  // comes back by itself then).
  if (closed) votingClosed();
  const retry = e.type !== 'wrong-phase';
  const again = retry ? h('button', { type: 'button', id: 'retry-button', onclick: () => send(again) }, TEXT.tryAgain) : null;
  replace(ui.formError,
    h('h2', {}, TEXT.errorSummary),
    h('p', {}, text),
    retry ? h('p', {}, TEXT.errorSafe) : null,
    closed ? h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)) : null,
    again ? h('div', { class: 'btn-row' }, again) : null);
  ui.formError.hidden = false;
  showStep('review', { error: true });
  focusEl(ui.formError);
}

function showReceipt(r) {
  const heading = h('h2', { tabindex: '-1' }, icon('check'), ' ', TEXT.doneHeading);
  replace(ui.done, 
    h('div', { class: 'receipt-box', id: 'receipt-box' },
      heading,
      h('p', {}, TEXT.receiptLabel),
      h('strong', { class: 'receipt-code', id: 'receipt-code' }, r.receipt),
      h('p', {}, h('strong', {}, TEXT.keep)),
      r.replaced ? h('p', {}, TEXT.replaced) : null,
      r.received_at ? h('p', {}, fill(TEXT.receivedAt, { date: formatDateTime(r.received_at) })) : null),
    h('div', { class: 'btn-row' },
      h('button', { type: 'button', id: 'print-button', onclick: () => window.print() }, icon('print'), TEXT.print),
      h('a', { class: 'btn btn--secondary', href: `receipt.html?r=${encodeURIComponent(r.receipt)}` }, TEXT.checkReceipt)),
    h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
  ui.formError.hidden = true;
  showStep('done');
  focusEl(heading);
}

// ---------- the hall ----------

/** The meeting's state at the top of the hall's ballot: which meeting, and whether it votes. */
function hallBanner() {
  if (!hall) return null;
  ui.hallPhase = h('h2', { id: 'hall-phase' });
  ui.hallMore = h('p', { id: 'hall-more' });
  ui.hallReset = h('p', { id: 'hall-reset', hidden: true }, h('strong', {}, TEXT.hall.reset));
  ui.hallOffline = h('p', { id: 'hall-offline', class: 'small', hidden: true }, TEXT.hall.offline);
  ui.hallResult = h('div', { id: 'hall-result', hidden: true },
    h('p', {}, TEXT.hall.revealed),
    h('p', {}, h('a', { class: 'btn', id: 'hall-result-link', href: `projector.html?m=${encodeURIComponent(meetingId)}` }, TEXT.hall.resultLink)));
  ui.hall = h('section', { class: 'hall-banner', id: 'hall-banner', 'aria-labelledby': 'hall-phase' },
    h('p', { class: 'hall-meeting' }, fill(TEXT.hall.meeting, { title: hall.meeting.title, place: hall.meeting.place })),
    ui.hallPhase, ui.hallMore, ui.hallReset, ui.hallResult, ui.hallOffline);
  updateBanner();
  return ui.hall;
}

function updateBanner() {
  if (!ui.hall) return;
  const m = hall.meeting;
  ui.hall.className = `hall-banner hall-banner--${m.phase}`;
  ui.hallPhase.textContent = TEXT.hall.phase[m.phase] || m.phase;
  ui.hallMore.textContent = TEXT.hall.more[m.phase] || '';
  ui.hallResult.hidden = !(m.phase === 'closed' && m.revealed);
}

/** A new state from the meeting's stream. */
function applyHall(next) {
  const before = hall;
  hall = next;
  updateBanner();
  if (!before || !ui.choose) return;
  const was = before.meeting;
  const now = next.meeting;
  if (now.generation !== was.generation) {
    // A reset deleted the meeting's ballots: a receipt shown here no longer counts.
    ui.hallReset.hidden = false;
    joinedCode = '';
    if (!ui.done.hidden) showStep('choose');
  }
  if (now.phase !== was.phase) announce(TEXT.hall.announce[now.phase] || '');
  else if (now.revealed && !was.revealed) announce(TEXT.hall.announce.revealed);
  if (now.phase !== was.phase) showHallPhase();
  else updateSending();
}

/** Show the steps the meeting's phase allows: none to vote with once it has closed. */
function showHallPhase() {
  if (!ui.choose) return;
  if (hall.meeting.phase === 'closed') {
    votingClosed();
    // Someone who has just voted keeps their receipt on the screen.
    if (ui.done.hidden) {
      ui.choose.hidden = true;
      ui.review.hidden = true;
      ui.formError.hidden = true;
    }
    return;
  }
  if (ui.choose.hidden && ui.review.hidden && ui.done.hidden) showStep('choose');
  updateSending();
}

/** In the hall, "Send my vote" is there only while the meeting votes. */
function updateSending() {
  if (!hall || !ui.sendBtn) return;
  const voting = hall.meeting.phase === 'voting';
  ui.sendBtn.hidden = !voting;
  if (ui.waitToSend) ui.waitToSend.hidden = voting;
}

/**
 * Join the meeting with a code (a slip of this meeting, or a resident's letter): it is counted
 * as admitted. Returns true when it worked (or could not be checked now: sending checks again).
 */
async function joinMeeting(code, { onLoad = false } = {}) {
  try {
    await api(`/meetings/${encodeURIComponent(meetingId)}/join`, { method: 'POST', body: { voter_code: code }, auth: false });
    joinedCode = normaliseCode(code);
    return true;
  } catch (e) {
    let text = null;
    if (e.type === 'invalid-voter-code') text = TEXT.hall.codeInvalid;
    else if (String(e.field || '') === 'voter_code') text = e.detail || e.message;
    else if (e.type === 'rate-limited') text = fill(TEXT.rateLimited, { seconds: e.retryAfter || 60 });
    if (!text) return true; // closed, or the network: the banner and sending say what to do
    if (onLoad) {
      // Not a focus move while the page is still being read: the field shows it, and it is said.
      setFieldError(ui.code, text);
      announce(text);
    } else {
      showCodeError(text);
    }
    return false;
  }
}

start();
