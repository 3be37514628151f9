// Results: savings and new spending ranked, with the protected count beside the simple majority count.
import { api, param, getUser } from './api.js';
import { h, icon, srOnly, replace } from './dom.js';
import { layout } from './layout.js';
import { formatMoney, formatScore, fill, plural, shortFingerprint } from './format.js';
import { scoreScale, scoreChart } from './bars.js';
import { reviewSections } from './review.js';

const TEXT = {
  title: 'Results',
  heading: 'Results: {title}',
  loading: 'Loading the results…',
  noId: 'No consultation was chosen. Go back to the list of consultations and pick one.',
  backHome: 'See all consultations',
  notFound: 'We could not find this consultation.',
  notPublic: 'These results are not public yet. They will appear here once the council publishes them.',
  signInHint: 'Commissioners and organisers can see them before then:',
  signIn: 'sign in to the council staff console',
  loadError: 'We could not load the results: {detail}',
  signedInAs: 'You are signed in as {email}.',
  notYet: 'Voting is still open. Results are counted when voting closes, for everyone at once: until then nobody, staff included, sees how people voted.',
  turnout: 'At least {used} of {issued} voter codes have been used so far. While voting is open this number goes up in steps of {step}, so that nobody can tell when one person voted.',
  phase: {
    draft: 'This consultation is still a draft.',
    closed: 'Voting has closed. These results are not public yet: only commissioners and organisers can see them.',
    published: 'These are the published results.',
  },
  summaryHeading: 'Summary',
  ballots: 'Votes counted',
  codesUsed: '{used} of {issued} voter codes used.',
  codesGiven: 'Voter codes given out: {all} ({letters} by letter, {slips} at meetings); {late} of them made after voting opened.',
  codesGivenEmail: 'Voter codes given out: {all} ({letters} by letter, {email} by e-mail, {slips} at meetings); {late} of them made after voting opened.',
  rollSize: ' People on the voter roll: {roll}.',
  savingsStat: 'Savings',
  target: 'Target: save {amount}.',
  noTarget: 'There was no savings target.',
  agreed: 'Savings agreed: {amount}.',
  targetMet: 'Target met',
  targetMissed: 'Target missed by {amount}',
  plainSavings: 'A simple majority count would have agreed {amount} of savings.',
  devStat: 'New spending',
  spent: 'Spent {spent} of {budget}.',
  spentNoLimit: 'Spent {spent}. There was no fixed limit.',
  left: '{left} left.',
  protectedStat: 'Protected cuts',
  protectedCount: { one: '1 cut is protected', other: '{n} cuts are protected' },
  protectedNone: 'No cut is protected.',
  protectedWhy: 'Most of the people who use the service rejected these cuts, so the count does not agree them. The commissioners must make and record a decision about each one. Each card says whether it would have been agreed without protection.',
  shortfallHeading: 'Closing the gap',
  shortfall: 'The savings agreed are {amount} short of the target. These savings, next in the ranking, would close the gap:',
  shortfallItem: '{title} ({amount}): savings would then come to {total}.',
  shortfallProtected: 'Protected: it can be agreed only by a recorded decision of the commissioners.',
  fingerprint: 'Rules fingerprint: ',
  fingerprintHelp: 'A short code for the counting rules and the list of proposals. The ballot page showed the same code while people voted; the file of votes carries it too.',
  usersHeading: 'Who uses each service',
  usersIntro: {
    declared: 'A service’s users are the people who ticked it on their ballot.',
    declared_or_verified: 'A service’s users are the people who ticked it, and the people who gave a service-user code from that service with their vote.',
    verified: 'Only people who gave a service-user code from a service with their vote count as its users. People who ticked a service without a code are shown, but did not get the protected say.',
  },
  usersCaption: 'Users of each service: said they use it, proved it with a service-user code, and counted',
  usersService: 'Service',
  usersDeclared: 'Said they use it',
  usersVerified: 'Service-user code',
  usersCounted: 'Counted as users',
  fewerThan: 'fewer than {n}',
  howHeading: 'How the count works',
  how: [
    'Everyone could list what they want and what they don’t want, most important first. A first choice earns the most points, the next one a little fewer, and so on. Points from “want” lists count for a proposal and points from “don’t want” lists count against it. The score is the difference.',
    'On a proposal that affects a service, the people who use that service get {share}, as long as at least {min} of them took part. Their votes can count up to {max} times as much as other votes on that proposal, but only on that proposal.',
    'A cut that at least {threshold}% of its users put in their “don’t want” list is protected: the count does not agree it, and the commissioners must make and record a decision about it.',
    'Savings are agreed from the top of the list until the savings target is met. New spending is agreed from the top whenever it still fits in the money left. Anything with a score of zero or less is not agreed.',
    'Beside each score you can see the simple majority score, where every vote counts the same, so that everyone can see what the protection changed.',
  ],
  shareHalf: 'as much say, together, as everyone else together',
  shareOther: 'at least {phi}% of the say',
  legend: 'How to read the bars',
  legendProtected: 'Score with protection (the result)',
  legendPlain: 'Simple majority score',
  legendZero: 'Bars to the left of the zero line are negative: more people did not want it.',
  savingsHeading: 'Savings, ranked',
  devHeading: 'New spending, ranked',
  none: 'There were no proposals of this kind.',
  rank: 'Rank {rank}',
  saves: 'Saves {amount}',
  costs: 'Costs {amount}',
  service: 'Affects: {name}',
  resultLabel: 'Result (with protection)',
  plainLabel: 'Simple majority count',
  adopted: 'Agreed',
  notAdopted: 'Not agreed',
  protected: 'Protected',
  protectedNote: 'Protected:',
  changed: 'Protection changed the outcome for this proposal.',
  changedByVeto: 'Protection changed the outcome: the simple majority count agreed it, but most of its users rejected it.',
  changedByWeight: 'The simple majority count agreed it. With its users’ extra say its score is {score}, so it would not have been agreed even if it were not protected.',
  scoreProtected: 'Score with protection',
  scorePlain: 'Simple majority score',
  countsWant: { one: 'In 1 “want” list', other: 'In {n} “want” lists' },
  countsDont: { one: ' and 1 “don’t want” list.', other: ' and {n} “don’t want” lists.' },
  users: { one: '1 person said they or someone they care for use {service}; on this proposal their vote counted {weight} times.', other: '{users} people said they or someone they care for use {service}; on this proposal each of their votes counted {weight} times.' },
  usersSmall: { one: '1 person said they or someone they care for use {service}.', other: '{users} people said they or someone they care for use {service}.' },
  exportHeading: 'Check the count yourself',
  export: 'Download every counted vote (to recount it yourself)',
  exportNote: 'The file lists the votes in a fixed order with nothing that shows who voted or when. Anyone can recount it with the pbvote program.',
  exportPrivacy: 'About this file: {note}',
  exportError: 'We could not download the votes: {detail}',
  exportLater: 'The file of every counted vote can be downloaded once voting has closed.',
};

const main = layout({ title: TEXT.title });
const id = param('c');

function num(x) { const n = Number(x); return Number.isFinite(n) ? n : 0; }

function notice(kind, ...children) {
  return h('div', { class: `notice notice--${kind}` }, children);
}

async function start() {
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.loading));
  if (!id) {
    replace(main, h('h1', {}, TEXT.title), notice('error', h('p', {}, TEXT.noId)), h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
    return;
  }
  let R;
  try {
    R = await api(`/consultations/${encodeURIComponent(id)}/results`);
  } catch (e) {
    let body;
    if (e.status === 401 || e.status === 403) {
      const next = encodeURIComponent(`../results.html?c=${id}`); // relative to the console's sign-in page
      body = notice('warning', h('p', {}, TEXT.notPublic), h('p', {}, TEXT.signInHint, ' ', h('a', { href: `console/index.html?next=${next}` }, TEXT.signIn), '.'));
    } else if (e.status === 404) {
      body = notice('error', h('p', {}, TEXT.notFound));
    } else if (e.type === 'wrong-phase') {
      body = notice('warning', h('p', { id: 'not-yet' }, e.detail || TEXT.notYet));
      // Staff see the turnout, in steps, while voting is open.
      if (getUser()) {
        const turnout = h('p', { id: 'turnout', hidden: true });
        body = h('div', {}, body, turnout);
        api(`/consultations/${encodeURIComponent(id)}/voter-codes/stats`).then((s) => {
          if (s.exact === false) {
            turnout.textContent = fill(TEXT.turnout, s);
            turnout.hidden = false;
          }
        }).catch(() => {});
      }
    } else {
      body = notice('error', h('p', {}, fill(TEXT.loadError, { detail: e.detail || e.message })));
    }
    replace(main, h('h1', {}, TEXT.title), body, h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
    return;
  }
  render(R);
}

function render(R) {
  const C = R.consultation || {};
  const S = R.summary || {};
  const cur = C.currency || 'GBP';
  const money = (m) => formatMoney(m, cur);
  const settings = C.settings || {};
  const budget = C.budget || {};
  const all = (R.proposals || []).slice();
  const savings = all.filter((p) => p.kind === 'saving').sort((a, b) => num(a.rank) - num(b.rank));
  const devs = all.filter((p) => p.kind !== 'saving').sort((a, b) => num(a.rank) - num(b.rank));
  const protectedOnes = savings.filter((p) => p.protected);
  document.title = `${fill(TEXT.heading, { title: C.title || '' })} – ${document.title.split(' – ').slice(-1)[0]}`;

  const user = getUser();
  const codesLine = h('p', { class: 'muted', id: 'codes-used', hidden: true });
  // Every code given out, against which the votes can be read (numbers only).
  const K = R.codes;
  const codesGiven = K ? h('p', { class: 'muted', id: 'codes-given' }, fill(K.email ? TEXT.codesGivenEmail : TEXT.codesGiven,
    { all: K.letters + (K.email || 0) + K.slips, letters: K.letters, email: K.email || 0, slips: K.slips, late: K.after_opening })
    + (K.roll > 0 ? fill(TEXT.rollSize, { roll: K.roll }) : '')) : null;

  // Summary
  const target = budget.savings_target;
  const savingsStat = h('div', { class: `stat ${target == null ? '' : (S.target_reached ? 'stat--good' : 'stat--bad')}` },
    h('h3', {}, TEXT.savingsStat),
    h('p', {}, target != null ? fill(TEXT.target, { amount: money(target) }) : TEXT.noTarget),
    h('p', { class: 'big' }, fill(TEXT.agreed, { amount: money(S.savings_adopted ?? 0) })),
    target != null ? h('p', { class: `outcome ${S.target_reached ? 'outcome--yes' : 'outcome--no'}` },
      icon(S.target_reached ? 'check' : 'cross'),
      S.target_reached ? TEXT.targetMet : fill(TEXT.targetMissed, { amount: money(S.shortfall ?? 0) })) : null,
    S.plain_savings_adopted != null ? h('p', { class: 'small' }, fill(TEXT.plainSavings, { amount: money(S.plain_savings_adopted) })) : null);
  const devBudget = budget.development_budget;
  const devStat = h('div', { class: 'stat' },
    h('h3', {}, TEXT.devStat),
    h('p', { class: 'big' }, devBudget != null
      ? fill(TEXT.spent, { spent: money(S.development_spent ?? 0), budget: money(devBudget) })
      : fill(TEXT.spentNoLimit, { spent: money(S.development_spent ?? 0) })),
    S.development_left != null ? h('p', {}, fill(TEXT.left, { left: money(S.development_left) })) : null);
  const protStat = h('div', { class: `stat ${protectedOnes.length ? '' : ''}`, style: protectedOnes.length ? 'border-left-color: var(--protected)' : null },
    h('h3', {}, TEXT.protectedStat),
    h('p', { class: 'big' }, protectedOnes.length
      ? fill(protectedOnes.length === 1 ? TEXT.protectedCount.one : TEXT.protectedCount.other, { n: protectedOnes.length })
      : TEXT.protectedNone),
    protectedOnes.length ? h('p', { class: 'small' }, TEXT.protectedWhy) : null);

  const phi = num(settings.minority_share_percent ?? 50);
  const how = h('section', { 'aria-labelledby': 'how-heading', class: 'panel' },
    h('h2', { id: 'how-heading' }, TEXT.howHeading),
    TEXT.how.map((t) => h('p', {}, fill(t, {
      share: phi === 50 ? TEXT.shareHalf : fill(TEXT.shareOther, { phi }),
      min: settings.min_group ?? 5,
      max: settings.max_weight ?? 10,
      threshold: settings.protect_threshold_percent ?? 50,
    }))));

  // Declared, verified and counted users side by side, where codes were part of the ballot.
  const U = R.service_users;
  const usersTable = U && U.counted_as && U.counted_as !== 'declared' && (U.services || []).length
    ? h('section', { class: 'panel', 'aria-labelledby': 'users-heading', id: 'service-users' },
      h('h2', { id: 'users-heading' }, TEXT.usersHeading),
      h('p', {}, TEXT.usersIntro[U.counted_as] || ''),
      h('div', { class: 'table-wrap' }, h('table', { id: 'service-users-table' },
        h('caption', {}, TEXT.usersCaption),
        h('thead', {}, h('tr', {}, [TEXT.usersService, TEXT.usersDeclared, TEXT.usersVerified, TEXT.usersCounted].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
        h('tbody', {}, U.services.map((s) => h('tr', { 'data-service': s.id },
          h('th', { scope: 'row' }, s.name || s.id),
          ...['declared', 'verified', 'counted'].map((k) => h('td', { class: 'num' }, s[k] == null ? fill(TEXT.fewerThan, { n: U.fewer_than }) : String(s[k]))))))))) : null;

  // The per-ballot file exists only once voting has closed (the server answers 409 before).
  const canExport = C.phase === 'closed' || C.phase === 'published';
  const exportBtn = canExport ? h('button', { type: 'button', class: 'btn--secondary', id: 'export-button', onclick: () => download(C) }, TEXT.export) : null;
  const exportMsg = h('p', { class: 'field-error', hidden: true, id: 'export-error' });

  const fingerprint = R.fingerprint || C.fingerprint;
  const closing = Array.isArray(R.closing_the_shortfall) ? R.closing_the_shortfall : [];
  const titleOf = (pid) => (all.find((p) => p.id === pid) || {}).title || pid;
  const shortfall = closing.length && num(S.shortfall) > 0 ? h('section', { class: 'panel', 'aria-labelledby': 'shortfall-heading', id: 'shortfall' },
    h('h2', { id: 'shortfall-heading' }, TEXT.shortfallHeading),
    h('p', {}, fill(TEXT.shortfall, { amount: money(S.shortfall) })),
    h('ol', { id: 'shortfall-list' }, closing.map((c) => h('li', { 'data-proposal': c.id },
      fill(TEXT.shortfallItem, { title: titleOf(c.id), amount: money(c.amount), total: money(c.savings_then) }),
      c.protected ? [' ', h('strong', {}, TEXT.shortfallProtected)] : null)))) : null;

  replace(main, 
    h('h1', {}, fill(TEXT.heading, { title: C.title || '' })),
    h('div', { class: `notice notice--${C.phase === 'published' ? 'success' : 'warning'}`, id: 'phase-notice', tabindex: '-1' }, h('p', {}, TEXT.phase[C.phase] || '')),
    fingerprint ? h('p', { class: 'fingerprint', id: 'fingerprint' }, TEXT.fingerprint, h('code', {}, shortFingerprint(fingerprint)),
      h('br'), h('span', { class: 'small muted' }, TEXT.fingerprintHelp)) : null,
    user ? h('p', { class: 'muted' }, fill(TEXT.signedInAs, { email: user.email })) : null,
    h('section', { 'aria-labelledby': 'summary-heading' },
      h('h2', { id: 'summary-heading' }, TEXT.summaryHeading),
      h('div', { class: 'summary-grid' },
        h('div', { class: 'stat' }, h('h3', {}, TEXT.ballots), h('p', { class: 'big', id: 'ballot-count' }, String(S.ballots ?? 0)), codesLine, codesGiven),
        savingsStat, devStat, protStat)),
    shortfall,
    how,
    usersTable,
    h('section', { 'aria-labelledby': 'legend-heading' },
      h('h2', { id: 'legend-heading', class: 'visually-hidden' }, TEXT.legend),
      h('ul', { class: 'legend' },
        h('li', {}, h('span', { class: 'swatch swatch--protected', 'aria-hidden': 'true' }), TEXT.legendProtected),
        h('li', {}, h('span', { class: 'swatch swatch--plain', 'aria-hidden': 'true' }), TEXT.legendPlain),
        h('li', {}, TEXT.legendZero))),
    section('savings', TEXT.savingsHeading, savings, money),
    section('developments', TEXT.devHeading, devs, money),
    h('section', { class: 'panel', 'aria-labelledby': 'export-heading' }, h('h2', { id: 'export-heading' }, TEXT.exportHeading), h('p', {}, TEXT.exportNote),
      R.note ? h('p', { id: 'export-privacy', class: 'small' }, fill(TEXT.exportPrivacy, { note: R.note })) : null,
      canExport ? null : h('p', { id: 'export-later' }, TEXT.exportLater), exportBtn, exportMsg),
    reviewSections(R, user, { reload: start }));

  if (user) {
    api(`/consultations/${encodeURIComponent(C.id || id)}/voter-codes/stats`).then((s) => {
      codesLine.textContent = fill(TEXT.codesUsed, { used: s.used, issued: s.issued });
      codesLine.hidden = false;
    }).catch(() => {});
  }

  async function download(C) {
    exportMsg.hidden = true;
    try {
      const text = await api(`/consultations/${encodeURIComponent(C.id || id)}/export`, { raw: true });
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const a = h('a', { href: url, download: `pbvote-${C.id || id}-votes.json` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      exportMsg.textContent = e.type === 'wrong-phase' ? TEXT.exportLater : fill(TEXT.exportError, { detail: e.detail || e.message });
      exportMsg.hidden = false;
    }
  }
}

function section(key, heading, list, money) {
  const hid = `${key}-heading`;
  const max = scoreScale(list);
  return h('section', { 'aria-labelledby': hid },
    h('h2', { id: hid }, heading),
    list.length ? h('ol', { class: 'card-list', role: 'list', id: `${key}-results` }, list.map((p) => result(p, money, max))) : h('p', {}, TEXT.none));
}

function outcome(label, yes, cls) {
  return h('li', { class: `outcome ${yes ? 'outcome--yes' : 'outcome--no'} ${cls}` },
    icon(yes ? 'check' : 'cross'),
    h('span', {}, h('span', { class: 'muted', style: 'font-weight:400' }, `${label}: `), yes ? TEXT.adopted : TEXT.notAdopted));
}

/** What made the protected count and the simple majority count differ, without crediting protection for a cut that would have failed anyway. */
function changedText(p) {
  if (!p.protected) return TEXT.changed;
  return num(p.score) > 0 ? TEXT.changedByVeto : fill(TEXT.changedByWeight, { score: formatScore(p.score) });
}

function result(p, money, max) {
  const changed = Boolean(p.adopted) !== Boolean(p.plain_adopted);
  const weight = num(p.user_weight);
  return h('li', { class: `result ${p.protected ? 'result--protected' : ''}`, 'data-proposal': p.id, id: `result-${p.id}` },
    h('h3', {},
      h('span', { class: 'rank' }, fill(TEXT.rank, { rank: p.rank }), srOnly(':')),
      h('span', {}, p.title),
      p.protected ? h('span', { class: 'tag tag--protected' }, icon('shield'), TEXT.protected) : null),
    h('ul', { class: 'card__meta' },
      h('li', {}, h('strong', {}, fill(p.kind === 'saving' ? TEXT.saves : TEXT.costs, { amount: money(p.amount) }))),
      p.service_name || p.service ? h('li', {}, fill(TEXT.service, { name: p.service_name || p.service })) : null),
    h('ul', { class: 'outcomes' },
      outcome(TEXT.resultLabel, p.adopted, 'outcome-result'),
      outcome(TEXT.plainLabel, p.plain_adopted, 'outcome-plain')),
    changed ? h('p', { class: 'small changed-note' }, h('strong', {}, changedText(p))) : null,
    p.protected ? h('p', { class: 'protected-note' }, h('strong', {}, TEXT.protectedNote), ' ', p.explanation || '') : null,
    scoreChart(p, max, { protectedLabel: TEXT.scoreProtected, plainLabel: TEXT.scorePlain }),
    h('p', { class: 'numbers' },
      fill(plural(num(p.want_count), TEXT.countsWant), { n: num(p.want_count) }),
      fill(plural(num(p.dont_want_count), TEXT.countsDont), { n: num(p.dont_want_count) }),
      num(p.users) > 0 ? ' ' + fill(plural(num(p.users), weight > 1 ? TEXT.users : TEXT.usersSmall), { users: p.users, service: p.service_name || p.service, weight: formatScore(weight) }) : ''),
    !p.protected && p.explanation ? h('p', { class: 'explanation' }, p.explanation) : null);
}

start();
