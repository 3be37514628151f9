// The commissioners' review, below the ranked result on results.html once voting has closed:
// who said what (by channel, by area, by users and non-users of a service), who got nothing,
// turnout against population; and for staff the decisions with their reasons (append-only,
// history shown), the budget as decided against the count, publishing, and updates.
//
// No figure over fewer than `min_group` votes is shown: the server never sends one, and the
// page says "fewer than N" where it left one out.
import { api } from './api.js';
import { h, replace, field, setFieldError, focusEl, announce, oneAtATime, srOnly } from './dom.js';
import { formatMoney, formatScore, formatDateTime, parseMoney, currencySymbol, fill, plural } from './format.js';

export const REVIEW_TEXT = {
  heading: 'Commissioners’ review',
  intro: 'Who said what, who came away with nothing, and whether every area took part. Then record a decision with its reason on each proposal, and publish.',
  publicHeading: 'More about how people voted',
  publicIntro: 'Who said what, who came away with nothing, and whether every area took part.',
  contents: 'In this review',
  saves: 'Saves {amount}',
  costs: 'Costs {amount}',
  loading: 'Loading the review…',
  loadError: 'We could not load the review: {detail}',
  fewerThan: 'fewer than {n}',
  // who said what
  breakdownsHeading: 'Who said what',
  breakdownsIntro: 'For each proposal: how many put it in their “want” and “don’t want” lists (with the points their rankings gave), and its simple majority score, by how people voted, where they live, and whether they use the service it affects. A group of fewer than {m} votes is never shown as a number, so that nobody’s vote can be worked out: it says “fewer than {m}”.',
  breakdownFor: 'Who said what: {title}',
  colGroup: 'Group',
  colVotes: 'Votes',
  colWant: '“Want”',
  colDont: '“Don’t want”',
  colScore: 'Simple majority score',
  lists: { one: '1 list, {points} points', other: '{count} lists, {points} points' },
  points: { one: '1 point', other: '{points} points' },
  byChannel: 'How people voted',
  byArea: 'Where people live',
  byUsers: 'Users of {service}',
  channel: { online: 'Online', meeting: 'At a meeting, on a phone', paper: 'At a meeting, on paper', unspecified: 'Not shown (too few to show apart)', withheld: 'Not broken down (too few alike to show)' },
  noArea: 'No area given, or too few to show',
  withheld: 'Not broken down (too few alike to show)',
  users: 'Use {service}',
  others: 'Don’t use it',
  hiddenPair: 'Both sides are left out when either has fewer than {m} votes, so that neither can be worked out from the total.',
  rejecting: { one: '1 of them put it in “don’t want”.', other: '{n} of them put it in “don’t want”.' },
  // who got nothing
  nothingHeading: 'Who got nothing',
  nothingIntro: 'For each group: the share of votes with at least one “want” agreed, and the share whose first “don’t want” was not agreed (by the result of the count). The worst served groups come first.',
  colWish: 'At least one “want” agreed',
  colSpared: 'First “don’t want” not agreed',
  everyone: 'Everyone',
  area: 'Lives in {area}',
  share: '{percent}% ({got} of {of})',
  // representativeness
  repHeading: 'Who took part, against who lives here',
  repIntro: 'Turnout in each area against its population, as the council knows it. An area is flagged when its share of the votes is under half its share of the population. The count does not weight anyone for this: it is for you to weigh.',
  repNone: 'No population figures have been entered yet. Organisers can enter them on the consultation’s page in the console.',
  repEnter: 'Enter population figures',
  colArea: 'Area',
  byAreaCaption: 'Turnout by area',
  byServiceCaption: 'Turnout of each service’s users',
  nothingCaption: 'Who got nothing, worst served first',
  colPeople: 'People',
  colTurnout: 'Turnout',
  colShareVotes: 'Share of votes',
  colSharePeople: 'Share of people',
  colFlag: 'Under-represented?',
  flagged: 'Under-represented',
  notFlagged: 'No',
  unknown: 'Not known',
  percent: '{n}%',
  colService: 'Service',
  colUsersVoted: 'Users who voted',
  colKnownUsers: 'Users the council knows of',
  // decisions
  decisionsHeading: 'Decisions',
  decisionsIntro: 'Record what the council decided about each proposal, and why, in plain English: residents will read it. A decision that differs from the result of the count, and any decision on a protected cut, cannot be saved without a reason. Decisions are never changed: a new decision is added to the history.',
  decisionsReadOnly: 'Only commissioners record decisions.',
  budgetHeading: 'The budget: counted and decided',
  budgetCaption: 'The budget as counted and as decided',
  colWhat: 'What',
  colCounted: 'Counted (with protection)',
  colDecided: 'Decided',
  colLimit: 'Target or budget',
  savingsRow: 'Savings',
  spendingRow: 'New spending',
  noLimit: 'None set',
  stillShort: 'The decisions so far leave the savings target {amount} short.',
  targetMetDecided: 'The decisions so far meet the savings target.',
  overBudget: 'The decisions so far spend {amount} more than the budget for new spending.',
  undecided: { one: '1 proposal has no decision yet.', other: '{n} proposals have no decision yet.' },
  allDecided: 'Every proposal has a decision.',
  computed: 'Result of the count: ',
  agreed: 'Agreed',
  notAgreed: 'Not agreed',
  protectedTag: 'Protected',
  current: 'Decision: ',
  none: 'No decision yet.',
  names: { adopt: 'Adopt', reject: 'Reject', defer: 'Decide later (defer)', amend: 'Adopt with another amount (amend)' },
  done: { adopt: 'Adopted', reject: 'Rejected', defer: 'Decision put off', amend: 'Adopted with another amount: {amount}' },
  departs: 'Differs from the result of the vote',
  historyHeading: 'History of decisions on this proposal (oldest first)',
  historyItem: '{date}: {decision}',
  by: 'recorded by {who}',
  decisionLegend: 'Your decision on “{title}”',
  chooseDecision: 'Choose a decision.',
  amount: 'Amended amount ({unit})',
  amountHint: 'Only for “Adopt with another amount”. It was {amount}.',
  badAmount: 'Type the amended amount, for example 650 or 1,200.50.',
  reason: 'Reason',
  reasonProtected: 'This cut is protected: the count left it to you, so every decision on it needs a reason residents can read.',
  reasonHint: 'Needed when your decision differs from the result of the count. It is published with the decision.',
  record: 'Record the decision',
  recorded: 'Decision on “{title}” recorded: {decision}.',
  error: 'Something went wrong: {detail}',
  // downloads
  filesHeading: 'Download the figures',
  filesIntro: 'The same figures as files, for your papers or a spreadsheet. Small groups are left out of them as they are here. The SHA-256 lets anyone check they have the same file.',
  files: { 'results.csv': 'Ranked result (CSV)', 'breakdowns.csv': 'Who said what (CSV)', 'decisions.csv': 'Decisions (CSV)', 'ballots.pb': 'The votes’ “want” lists (pabulib .pb)' },
  fileSha: 'SHA-256 of the file you downloaded: {sha}',
  fileError: 'We could not download the file: {detail}',
  // publishing
  publishHeading: 'Publish',
  publishText: 'Publishing makes the results, who said what, the decisions and their reasons public at a permanent address. It cannot be undone. Decisions recorded after publishing are added to the public record too, with their history.',
  publish: 'Publish the results',
  confirmPublish: 'Publish the results of “{title}”? Anyone will be able to see them. This cannot be undone.',
  published: 'The results are published.',
  publicRecord: 'Read the public record: we asked, you said, we did',
  // updates
  updatesHeading: 'Updates: what became of each decision',
  updatesIntro: 'Post dated milestones on the proposals you decided: where each has got to, and for savings the money actually saved each year. They appear on the public record under “What has happened since”.',
  noUpdates: 'No updates yet.',
  updateProposal: 'Proposal',
  updateStatus: 'Where it has got to',
  statuses: { planned: 'Planned', started: 'Started', done: 'Done', stopped: 'Stopped' },
  progress: 'Progress in percent (optional)',
  progressHint: 'From 0 to 100.',
  badProgress: 'Type a whole number from 0 to 100, or leave it empty.',
  note: 'Note (optional)',
  savedLegend: 'Money saved (savings only, optional)',
  savedYear: 'Year',
  savedAmount: 'Saved that year ({unit})',
  badYear: 'Type a year such as 2027.',
  post: 'Post the update',
  posted: 'Update on “{title}” posted.',
  updateLine: '{date} — {title}: {status}',
  progressDone: '{n}% done',
  savedIn: '{amount} saved in {year}',
};
const T = REVIEW_TEXT;

function num(x) { const n = Number(x); return Number.isFinite(n) ? n : 0; }
const enc = encodeURIComponent;
/** An element id for a proposal id (which may hold `.` and `/`): each other character escaped, so two ids never meet. */
const key = (raw) => String(raw).replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0).toString(16)}_`);

/** A table that scrolls sideways on its own at a small width, reachable by keyboard. */
function tableBox(id, caption, head, bodies) {
  const capId = `${id}-caption`;
  return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': capId },
    h('table', { class: 'review-table', id },
      h('caption', { id: capId }, caption),
      h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
      bodies));
}

/**
 * The review sections for the results page. Returns an element filled when the server has
 * answered; `reload` redraws the whole page (after publishing).
 */
export function reviewSections(R, user, { reload } = {}) {
  const C = R.consultation || {};
  const box = h('div', { id: 'review' });
  if (C.phase !== 'closed' && C.phase !== 'published') return box;
  const staff = user && (user.role === 'organiser' || user.role === 'commissioner');
  if (!staff && C.phase !== 'published') return box;
  const status = h('p', { role: 'status' }, T.loading);
  box.append(h('section', { 'aria-labelledby': 'review-heading' },
    h('h2', { id: 'review-heading' }, staff ? T.heading : T.publicHeading), h('p', {}, staff ? T.intro : T.publicIntro), status));
  const money = (m) => formatMoney(m, C.currency);
  const proposals = (R.proposals || []).slice().sort((a, b) => (a.kind === b.kind ? num(a.rank) - num(b.rank) : (a.kind === 'saving' ? -1 : 1)));
  const ctx = { R, C, user, money, proposals, reload, staff };
  Promise.all([
    api(`/consultations/${enc(C.id)}/breakdowns`),
    staff ? api(`/consultations/${enc(C.id)}/decisions`) : Promise.resolve(null),
    C.phase === 'published' ? api(`/consultations/${enc(C.id)}/updates`, { auth: false }) : Promise.resolve([]),
  ]).then(([B, D, U]) => {
    status.remove();
    // A short list of the parts, so that a keyboard reader can jump past the long tables.
    const parts = [['breakdowns', T.breakdownsHeading], ['who-got-nothing', T.nothingHeading], ['representativeness', T.repHeading],
      staff ? ['decisions', T.decisionsHeading] : null, staff ? ['files', T.filesHeading] : null,
      C.phase === 'published' || staff ? ['publish', T.publishHeading] : null, C.phase === 'published' ? ['updates', T.updatesHeading] : null].filter(Boolean);
    box.querySelector('section').append(h('nav', { 'aria-label': T.contents, id: 'review-contents' },
      h('ul', {}, parts.map(([to, label]) => h('li', {}, h('a', { href: `#${to}` }, label))))));
    box.append(
      breakdownSection(ctx, B),
      nothingSection(ctx, B),
      representativenessSection(ctx, B),
      staff ? decisionsSection(ctx, D) : null,
      staff ? filesSection(ctx) : null,
      publishSection(ctx),
      C.phase === 'published' ? updatesSection(ctx, U) : null);
  }).catch((e) => {
    replace(status, fill(T.loadError, { detail: e.detail || e.message }));
    status.classList.add('field-error');
  });
  return box;
}

// ---------- who said what ----------

function breakdownSection(ctx, B) {
  const b = B.breakdowns || {};
  const m = num(b.min_group) || 1;
  const fewer = fill(T.fewerThan, { n: m });
  const label = (g, channel) => {
    if (g.withheld) return T.withheld;
    if (channel) return T.channel[g.label] || g.label;
    return g.label == null ? T.noArea : g.label;
  };
  const cells = (c) => [
    h('td', {}, fill(plural(c.want_count, T.lists), { count: c.want_count, points: c.want_points })),
    h('td', {}, fill(plural(c.dont_want_count, T.lists), { count: c.dont_want_count, points: c.dont_want_points })),
    h('td', { class: 'num' }, formatScore(c.plain_score))];
  const groupRows = (title, groups, id, channel) => groups.length ? h('tbody', {},
    h('tr', {}, h('th', { scope: 'rowgroup', colspan: 5, class: 'rowgroup' }, title)),
    groups.map((g) => {
      const c = (g.proposals || []).find((x) => x.id === id);
      return h('tr', {}, h('th', { scope: 'row' }, label(g, channel)), h('td', { class: 'num' }, String(g.ballots)),
        c ? cells(c) : h('td', { colspan: 3 }, '—'));
    })) : null;
  const side = (name, s) => s
    ? h('tr', {}, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, String(s.ballots)),
      h('td', {}, fill(plural(s.want_points, T.points), { points: s.want_points })),
      h('td', {}, fill(plural(s.dont_want_points, T.points), { points: s.dont_want_points }),
        s.rejecting != null ? [' ', h('br'), h('span', { class: 'small' }, fill(plural(s.rejecting, T.rejecting), { n: s.rejecting }))] : null),
      h('td', { class: 'num' }, formatScore(s.plain_score)))
    : h('tr', { class: 'suppressed' }, h('th', { scope: 'row' }, name), h('td', { colspan: 4 }, fewer));
  const items = ctx.proposals.map((p) => {
    const split = (b.by_users || []).find((u) => u.id === p.id);
    const service = p.service_name || p.service;
    const usersBody = split ? h('tbody', {},
      h('tr', {}, h('th', { scope: 'rowgroup', colspan: 5, class: 'rowgroup' }, fill(T.byUsers, { service }))),
      side(fill(T.users, { service }), split.users),
      side(T.others, split.others),
      !split.users || !split.others ? h('tr', {}, h('td', { colspan: 5, class: 'small' }, fill(T.hiddenPair, { m }))) : null) : null;
    return h('details', { class: 'breakdown', id: `breakdown-${key(p.id)}`, 'data-proposal': p.id },
      h('summary', {}, p.title),
      tableBox(`breakdown-table-${key(p.id)}`, fill(T.breakdownFor, { title: p.title }), [T.colGroup, T.colVotes, T.colWant, T.colDont, T.colScore], [
        groupRows(T.byChannel, b.by_channel || [], p.id, true),
        groupRows(T.byArea, b.by_area || [], p.id, false),
        usersBody]));
  });
  return h('section', { 'aria-labelledby': 'breakdowns-heading', id: 'breakdowns' },
    h('h3', { id: 'breakdowns-heading' }, T.breakdownsHeading),
    h('p', {}, fill(T.breakdownsIntro, { m })),
    items);
}

// ---------- who got nothing ----------

function nothingSection(ctx, B) {
  const s = B.satisfaction || {};
  const m = num(s.min_group) || 1;
  const shareCell = (x) => h('td', {}, x && x.of != null ? fill(T.share, { percent: x.percent, got: x.got, of: x.of }) : fill(T.fewerThan, { n: m }));
  const name = (g) => {
    if (g.kind === 'everyone') return T.everyone;
    if (g.kind === 'withheld') return T.withheld;
    if (g.kind === 'users') return fill(T.users, { service: g.service_name || g.label });
    return g.label == null ? T.noArea : fill(T.area, { area: g.label });
  };
  const row = (g, cls) => h('tr', { class: cls || null }, h('th', { scope: 'row' }, name(g)),
    h('td', { class: 'num' }, g.ballots == null ? fill(T.fewerThan, { n: m }) : String(g.ballots)),
    shareCell(g.wish_granted), shareCell(g.first_dont_want_spared));
  return h('section', { 'aria-labelledby': 'nothing-heading', id: 'who-got-nothing' },
    h('h3', { id: 'nothing-heading' }, T.nothingHeading),
    h('p', {}, T.nothingIntro),
    tableBox('nothing-table', T.nothingCaption, [T.colGroup, T.colVotes, T.colWish, T.colSpared], [
      h('tbody', {}, s.everyone ? row(s.everyone, 'total') : null, (s.groups || []).map((g) => row(g)))]));
}

// ---------- representativeness ----------

function representativenessSection(ctx, B) {
  const r = B.representativeness || {};
  const m = num((B.breakdowns || {}).min_group) || 1;
  const pct = (v) => (v == null ? T.unknown : fill(T.percent, { n: v }));
  const count = (v) => (v == null ? T.unknown : String(v));
  const anyPopulation = (r.areas || []).some((a) => a.population != null) || (r.services || []).some((s) => s.known_users != null);
  const organiser = ctx.user && ctx.user.role === 'organiser';
  return h('section', { 'aria-labelledby': 'rep-heading', id: 'representativeness' },
    h('h3', { id: 'rep-heading' }, T.repHeading),
    h('p', {}, T.repIntro),
    anyPopulation ? null : h('p', { id: 'rep-none' }, T.repNone, organiser ? [' ', h('a', { href: `console/consultation.html?c=${enc(ctx.C.id)}#population-heading` }, T.repEnter)] : null),
    (r.areas || []).length ? tableBox('rep-areas', T.byAreaCaption, [T.colArea, T.colVotes, T.colPeople, T.colTurnout, T.colShareVotes, T.colSharePeople, T.colFlag], [
      h('tbody', {}, r.areas.map((a) => h('tr', { class: a.under_represented ? 'flagged' : null, 'data-area': a.area },
        h('th', { scope: 'row' }, a.area),
        h('td', { class: 'num' }, a.ballots == null ? fill(T.fewerThan, { n: a.fewer_than || m }) : String(a.ballots)),
        h('td', { class: 'num' }, count(a.population)),
        h('td', { class: 'num' }, pct(a.turnout_percent)),
        h('td', { class: 'num' }, a.ballots == null ? fill(T.fewerThan, { n: a.fewer_than || m }) : pct(a.share_of_ballots_percent)),
        h('td', { class: 'num' }, pct(a.share_of_population_percent)),
        h('td', {}, a.under_represented == null ? T.unknown : (a.under_represented ? h('strong', { class: 'tag tag--bad' }, T.flagged) : T.notFlagged)))))]) : null,
    (r.services || []).length ? tableBox('rep-services', T.byServiceCaption, [T.colService, T.colUsersVoted, T.colKnownUsers, T.colTurnout], [
      h('tbody', {}, r.services.map((s) => h('tr', {},
        h('th', { scope: 'row' }, s.name || s.service),
        h('td', { class: 'num' }, s.users_who_voted == null ? fill(T.fewerThan, { n: m }) : String(s.users_who_voted)),
        h('td', { class: 'num' }, count(s.known_users)),
        h('td', { class: 'num' }, pct(s.turnout_percent)))))]) : null);
}

// ---------- decisions ----------

function decisionsSection(ctx, D) {
  const { C, R, money } = ctx;
  let view = D || { history: [], current: [], budget: {} };
  const commissioner = ctx.user.role === 'commissioner';
  const budgetBox = h('div', { id: 'decided-budget' });
  const cards = new Map();
  const drawBudget = () => {
    const b = view.budget || {};
    const S = R.summary || {};
    replace(budgetBox,
      tableBox('budget-table', T.budgetCaption, [T.colWhat, T.colCounted, T.colDecided, T.colLimit], [h('tbody', {},
        h('tr', { id: 'budget-savings' }, h('th', { scope: 'row' }, T.savingsRow), h('td', { class: 'num' }, money(S.savings_adopted ?? 0)),
          h('td', { class: 'num' }, money(b.savings_decided ?? 0)), h('td', { class: 'num' }, b.savings_target == null ? T.noLimit : money(b.savings_target))),
        h('tr', { id: 'budget-spending' }, h('th', { scope: 'row' }, T.spendingRow), h('td', { class: 'num' }, money(S.development_spent ?? 0)),
          h('td', { class: 'num' }, money(b.spending_decided ?? 0)), h('td', { class: 'num' }, b.development_budget == null ? T.noLimit : money(b.development_budget))))]),
      h('ul', { id: 'budget-notes' },
        b.savings_target != null ? h('li', {}, num(b.savings_shortfall) > 0 ? fill(T.stillShort, { amount: money(b.savings_shortfall) }) : T.targetMetDecided) : null,
        num(b.over_budget_by) > 0 ? h('li', {}, fill(T.overBudget, { amount: money(b.over_budget_by) })) : null,
        h('li', {}, num(b.undecided) > 0 ? fill(plural(num(b.undecided), T.undecided), { n: b.undecided }) : T.allDecided)));
  };
  const describe = (d) => (d.decision === 'amend' ? fill(T.done.amend, { amount: money(d.amount) }) : T.done[d.decision] || d.decision);
  const drawCard = (p) => {
    const { state } = cards.get(p.id);
    const history = (view.history || []).filter((d) => d.proposal === p.id);
    const latest = history[history.length - 1];
    replace(state,
      h('p', { class: 'decision-current' }, h('strong', {}, T.current), latest ? describe(latest) : T.none,
        latest && latest.departs ? [' ', h('span', { class: 'tag tag--departs' }, T.departs)] : null),
      history.length ? h('div', {},
        h('h5', { id: `history-${key(p.id)}-heading` }, T.historyHeading),
        h('ol', { class: 'decision-history', id: `history-${key(p.id)}`, 'aria-labelledby': `history-${key(p.id)}-heading` }, history.map((d) => h('li', {},
          fill(T.historyItem, { date: formatDateTime(d.decided_at), decision: describe(d) }),
          d.departs ? [' — ', h('em', {}, T.departs)] : null,
          d.decided_by ? [' — ', fill(T.by, { who: d.decided_by })] : null,
          d.reason ? h('p', { class: 'decision-reason' }, `“${d.reason}”`) : null)))) : null);
  };
  const list = h('ol', { class: 'card-list', role: 'list', id: 'decision-list' }, ctx.proposals.map((p) => {
    const state = h('div', { class: 'decision-state' });
    const message = h('p', { class: 'notice notice--success', id: `decide-${key(p.id)}-done`, tabindex: '-1', hidden: true });
    cards.set(p.id, { state, message });
    const li = h('li', { class: `card ${p.protected ? 'result--protected' : ''}`, id: `decide-${key(p.id)}`, 'data-proposal': p.id },
      h('h4', {}, p.title, p.protected ? [' ', h('span', { class: 'tag tag--protected' }, T.protectedTag)] : null),
      h('p', {}, h('strong', {}, T.computed), p.adopted ? T.agreed : T.notAgreed,
        ' · ', fill(p.kind === 'saving' ? T.saves : T.costs, { amount: money(p.amount) })),
      state,
      message,
      commissioner ? decisionForm(ctx, p, async (decision) => {
        view = await api(`/consultations/${enc(C.id)}/decisions`);
        drawBudget();
        drawCard(p);
        message.textContent = fill(T.recorded, { title: p.title, decision: describe(decision) });
        message.hidden = false;
        focusEl(message);
      }) : null);
    return li;
  }));
  drawBudget();
  ctx.proposals.forEach(drawCard);
  return h('section', { 'aria-labelledby': 'decisions-heading', id: 'decisions' },
    h('h3', { id: 'decisions-heading' }, T.decisionsHeading),
    h('p', {}, T.decisionsIntro),
    commissioner ? null : h('p', { class: 'hint' }, T.decisionsReadOnly),
    h('h4', { id: 'budget-heading' }, T.budgetHeading),
    budgetBox,
    list);
}

function decisionForm(ctx, p, saved) {
  const { C, money } = ctx;
  const k = key(p.id);
  const kinds = ['adopt', 'reject', 'defer', 'amend'];
  const kindError = h('p', { class: 'field-error', id: `dec-${k}-decision-error`, hidden: true });
  const radios = kinds.map((kind) => h('li', {}, h('label', { class: 'check', for: `dec-${k}-${kind}` },
    h('input', { type: 'radio', name: `dec-${k}`, id: `dec-${k}-${kind}`, value: kind }),
    h('span', {}, T.names[kind]))));
  const fieldset = h('fieldset', { class: 'field', id: `dec-${k}-decision` },
    h('legend', {}, fill(T.decisionLegend, { title: p.title })), kindError, h('ul', { class: 'radios' }, radios));
  const amount = field({ id: `dec-${k}-amount`, label: fill(T.amount, { unit: currencySymbol(C.currency) }), hint: fill(T.amountHint, { amount: money(p.amount) }), attrs: { inputmode: 'decimal', class: 'input--short', autocomplete: 'off' } });
  const reason = field({ id: `dec-${k}-reason`, label: T.reason, hint: p.protected ? T.reasonProtected : T.reasonHint, multiline: true, attrs: { maxlength: 2000 } });
  const markKind = (text) => {
    kindError.textContent = text;
    kindError.hidden = !text;
    for (const r of fieldset.querySelectorAll('input')) {
      if (text) { r.setAttribute('aria-invalid', 'true'); r.setAttribute('aria-describedby', kindError.id); } else { r.removeAttribute('aria-invalid'); r.removeAttribute('aria-describedby'); }
    }
  };
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', role: 'alert' });
  return h('form', { novalidate: true, class: 'decision-form', id: `dec-${k}-form`, onsubmit: oneAtATime(async (e) => {
    const form = e.currentTarget || e.target;
    error.hidden = true;
    markKind('');
    setFieldError(amount, '');
    setFieldError(reason, '');
    const chosen = form.querySelector(`input[name="dec-${k}"]:checked`);
    if (!chosen) { markKind(T.chooseDecision); focusEl(fieldset.querySelector('input')); return; }
    const body = { proposal: p.id, decision: chosen.value, reason: reason.input.value.trim() };
    if (chosen.value === 'amend') {
      const a = parseMoney(amount.input.value, C.currency);
      if (a === null || Number.isNaN(a)) { setFieldError(amount, T.badAmount); focusEl(amount.input); return; }
      body.amount = a;
    }
    try {
      const d = await api(`/consultations/${enc(C.id)}/decisions`, { method: 'POST', body });
      form.reset();
      await saved(d);
    } catch (err) {
      const f = String(err.field || '');
      if (f === 'reason') { setFieldError(reason, err.detail); focusEl(reason.input); return; }
      if (f === 'amount') { setFieldError(amount, err.detail); focusEl(amount.input); return; }
      if (f === 'decision') { markKind(err.detail); focusEl(fieldset.querySelector('input')); return; }
      replace(error, h('p', {}, fill(T.error, { detail: err.detail || err.message })));
      error.hidden = false;
      focusEl(error);
    }
  }) },
  error, fieldset, amount.wrap, reason.wrap,
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: `dec-${k}-submit` }, T.record, srOnly(`: ${p.title}`))));
}

// ---------- downloads ----------

async function sha256(text) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The files, fetched with the staff member's token (a plain link would not carry it before publication). */
function filesSection(ctx) {
  const { C } = ctx;
  const status = h('p', { id: 'file-status', class: 'small', hidden: true, tabindex: '-1' });
  const button = (name) => h('button', { type: 'button', class: 'btn--secondary btn--small', 'data-file': name, onclick: oneAtATime(async () => {
    status.hidden = true;
    try {
      const body = await api(`/consultations/${enc(C.id)}/files/${name}`, { raw: true });
      const blob = new Blob([body], { type: name.endsWith('.csv') ? 'text/csv;charset=utf-8' : 'text/plain;charset=utf-8' });
      const href = URL.createObjectURL(blob);
      const a = h('a', { href, download: `consultation-${C.id}-${name}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10000);
      const sha = await sha256(body);
      if (sha) { status.textContent = `${T.files[name]}: ${fill(T.fileSha, { sha })}`; status.hidden = false; }
    } catch (e) {
      status.textContent = fill(T.fileError, { detail: e.detail || e.message });
      status.hidden = false;
      focusEl(status);
    }
  }) }, T.files[name]);
  return h('section', { 'aria-labelledby': 'files-heading', id: 'files' },
    h('h3', { id: 'files-heading' }, T.filesHeading),
    h('p', {}, T.filesIntro),
    h('div', { class: 'btn-row' }, Object.keys(T.files).map(button)),
    status);
}

// ---------- publishing ----------

function publishSection(ctx) {
  const { C } = ctx;
  const record = h('p', {}, h('a', { href: `/published/${enc(C.id)}`, id: 'public-record-link' }, T.publicRecord));
  if (C.phase === 'published') {
    return h('section', { 'aria-labelledby': 'publish-heading', id: 'publish' },
      h('h3', { id: 'publish-heading' }, T.publishHeading), h('p', {}, T.published), record);
  }
  if (!ctx.staff) return null;
  const message = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', id: 'publish-error' });
  return h('section', { 'aria-labelledby': 'publish-heading', id: 'publish', class: 'panel' },
    h('h3', { id: 'publish-heading' }, T.publishHeading),
    h('p', {}, T.publishText),
    message,
    h('div', { class: 'btn-row' }, h('button', { type: 'button', id: 'publish-button', onclick: oneAtATime(async () => {
      if (!window.confirm(fill(T.confirmPublish, { title: C.title }))) return;
      message.hidden = true;
      try {
        await api(`/consultations/${enc(C.id)}/publish`, { method: 'POST' });
      } catch (e) {
        replace(message, h('p', {}, fill(T.error, { detail: e.detail || e.message })));
        message.hidden = false;
        focusEl(message);
        return;
      }
      if (ctx.reload) await ctx.reload();
      // The page is drawn again as published: its notice says so, and focus goes there.
      const notice = document.getElementById('phase-notice');
      if (notice) focusEl(notice); else announce(T.published);
    }) }, T.publish)));
}

// ---------- updates ----------

function updatesSection(ctx, updates) {
  const { C, money } = ctx;
  const titleOf = (pid) => (ctx.proposals.find((p) => p.id === pid) || {}).title || pid;
  const list = h('ol', { id: 'updates-list', class: 'updates-list' });
  const draw = (items) => {
    replace(list, (items || []).slice().reverse().map((u) => h('li', {},
      fill(T.updateLine, { date: formatDateTime(u.posted_at), title: titleOf(u.proposal), status: T.statuses[u.status] || u.status }),
      u.progress != null ? ` (${fill(T.progressDone, { n: u.progress })})` : '',
      u.saved_year != null && u.saved_amount != null ? ` · ${fill(T.savedIn, { amount: money(u.saved_amount), year: u.saved_year })}` : '',
      u.note ? h('p', {}, u.note) : null)));
    list.hidden = !(items || []).length;
    empty.hidden = Boolean((items || []).length);
  };
  const empty = h('p', { id: 'no-updates' }, T.noUpdates);
  draw(updates);
  const commissioner = ctx.user && ctx.user.role === 'commissioner';
  return h('section', { 'aria-labelledby': 'updates-heading', id: 'updates' },
    h('h3', { id: 'updates-heading' }, T.updatesHeading),
    h('p', {}, T.updatesIntro),
    empty, list,
    commissioner ? updateForm(ctx, async () => draw(await api(`/consultations/${enc(C.id)}/updates`, { auth: false }))) : null);
}

function updateForm(ctx, saved) {
  const { C } = ctx;
  const unit = currencySymbol(C.currency);
  const proposal = field({ id: 'update-proposal', label: T.updateProposal, options: ctx.proposals.map((p) => [p.id, p.title]) });
  const status = field({ id: 'update-status', label: T.updateStatus, options: Object.entries(T.statuses) });
  const progress = field({ id: 'update-progress', label: T.progress, hint: T.progressHint, attrs: { inputmode: 'numeric', class: 'input--short', autocomplete: 'off' } });
  const note = field({ id: 'update-note', label: T.note, multiline: true, attrs: { maxlength: 2000 } });
  const year = field({ id: 'update-year', label: T.savedYear, attrs: { inputmode: 'numeric', class: 'input--short', autocomplete: 'off' } });
  const amount = field({ id: 'update-saved', label: fill(T.savedAmount, { unit }), attrs: { inputmode: 'decimal', class: 'input--short', autocomplete: 'off' } });
  const done = h('p', { class: 'notice notice--success', id: 'update-done', tabindex: '-1', hidden: true });
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', role: 'alert' });
  const fields = { proposal, status, progress, note, saved: year, 'saved.year': year, 'saved.amount': amount };
  return h('form', { novalidate: true, id: 'update-form', class: 'panel', onsubmit: oneAtATime(async (e) => {
    const form = e.currentTarget || e.target;
    error.hidden = true;
    done.hidden = true;
    for (const f of [proposal, status, progress, note, year, amount]) setFieldError(f, '');
    const body = { proposal: proposal.input.value, status: status.input.value, note: note.input.value.trim() };
    const p = progress.input.value.trim();
    if (p) {
      if (!/^\d{1,3}$/.test(p) || Number(p) > 100) { setFieldError(progress, T.badProgress); focusEl(progress.input); return; }
      body.progress = Number(p);
    }
    const y = year.input.value.trim();
    const a = amount.input.value.trim();
    if (y || a) {
      if (!/^\d{4}$/.test(y)) { setFieldError(year, T.badYear); focusEl(year.input); return; }
      const minor = parseMoney(a, C.currency);
      if (minor === null || Number.isNaN(minor)) { setFieldError(amount, T.badAmount); focusEl(amount.input); return; }
      body.saved = { year: Number(y), amount: minor };
    }
    try {
      const u = await api(`/consultations/${enc(C.id)}/updates`, { method: 'POST', body });
      const title = proposal.input.selectedOptions[0]?.textContent || body.proposal;
      form.reset();
      await saved(u);
      done.textContent = fill(T.posted, { title });
      done.hidden = false;
      focusEl(done);
    } catch (err) {
      const f = fields[String(err.field || '')];
      if (f) { setFieldError(f, err.detail); focusEl(f.input); return; }
      replace(error, h('p', {}, fill(T.error, { detail: err.detail || err.message })));
      error.hidden = false;
      focusEl(error);
    }
  }) },
  h('h4', {}, T.post),
  done, error,
  proposal.wrap, status.wrap, progress.wrap, note.wrap,
  h('fieldset', { class: 'field' }, h('legend', {}, T.savedLegend), year.wrap, amount.wrap),
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'update-submit' }, T.post)));
}
