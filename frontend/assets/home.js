// Home page: the consultations residents can take part in or see the results of.
import { api } from './api.js';
import { h, replace, srOnly } from './dom.js';
import { layout } from './layout.js';
import { formatMoney, formatDateTime, fill } from './format.js';

const TEXT = {
  title: 'Consultations',
  heading: 'Have your say on the council budget',
  intro: 'The council has to decide what to cut and what new things to pay for. Tell it what you want and what you don’t want. Each consultation below lists the ideas; you rank the ones you care about most.',
  loading: 'Loading consultations…',
  openHeading: 'Open for votes',
  pastHeading: 'Closed and results',
  noneOpen: 'There is nothing to vote on at the moment.',
  nonePast: 'No consultations have closed yet.',
  vote: 'Vote now',
  results: 'See the results',
  closesAt: 'Voting closes on {date}.',
  opensAt: 'Voting opens on {date}.',
  status: 'Status:',
  phase: { open: 'Open for votes', closed: 'Voting has closed', published: 'Results published', draft: 'Draft' },
  closedNote: 'Voting has closed. The results will appear here once they are published.',
  save: 'Must save {amount}',
  spend: 'Can spend up to {amount} on new things',
  error: 'We could not load the consultations: {detail}',
  receiptLink: 'Already voted? Check your receipt',
  consoleLink: 'Organisers and commissioners: sign in to the console',
};

const main = layout({ title: TEXT.title, current: 'home' });

function card(c) {
  const budget = c.budget || {};
  const meta = [];
  if (budget.savings_target != null) meta.push(fill(TEXT.save, { amount: formatMoney(budget.savings_target, c.currency) }));
  if (budget.development_budget != null) meta.push(fill(TEXT.spend, { amount: formatMoney(budget.development_budget, c.currency) }));
  let action;
  if (c.phase === 'open') {
    action = h('a', { class: 'btn', href: `vote.html?c=${encodeURIComponent(c.id)}` }, TEXT.vote, srOnly(`: ${c.title}`));
  } else if (c.phase === 'published') {
    action = h('a', { class: 'btn btn--secondary', href: `results.html?c=${encodeURIComponent(c.id)}` }, TEXT.results, srOnly(`: ${c.title}`));
  } else {
    action = h('p', {}, TEXT.closedNote);
  }
  return h('li', { class: 'card' },
    h('h3', {}, c.title),
    // A plain label, not a pill: on a phone a bordered pill looks like a button.
    h('p', { class: 'status-line' }, `${TEXT.status} `, h('strong', { class: 'tag tag--phase' }, TEXT.phase[c.phase] || c.phase)),
    c.description ? h('p', {}, c.description) : null,
    meta.length ? h('ul', { class: 'card__meta' }, meta.map((m) => h('li', {}, m))) : null,
    c.phase === 'open' && c.closes_at ? h('p', {}, fill(TEXT.closesAt, { date: formatDateTime(c.closes_at) })) : null,
    c.phase === 'open' && c.opens_at && new Date(c.opens_at) > new Date() ? h('p', {}, fill(TEXT.opensAt, { date: formatDateTime(c.opens_at) })) : null,
    action);
}

async function start() {
  const status = h('p', { role: 'status' }, TEXT.loading);
  replace(main, 
    h('h1', {}, TEXT.heading),
    h('p', { class: 'lead' }, TEXT.intro),
    status);
  let list;
  try {
    list = await api('/consultations', { auth: false });
  } catch (e) {
    status.replaceWith(h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message }))));
    return;
  }
  const items = Array.isArray(list) ? list : (list && (list.consultations || list.items)) || [];
  const open = items.filter((c) => c.phase === 'open');
  const past = items.filter((c) => c.phase !== 'open');
  status.remove();
  main.append(
    h('section', { 'aria-labelledby': 'open-heading' },
      h('h2', { id: 'open-heading' }, TEXT.openHeading),
      open.length ? h('ul', { class: 'card-list card-list--grid', role: 'list' }, open.map(card)) : h('p', {}, TEXT.noneOpen)),
    h('section', { 'aria-labelledby': 'past-heading' },
      h('h2', { id: 'past-heading' }, TEXT.pastHeading),
      past.length ? h('ul', { class: 'card-list card-list--grid', role: 'list' }, past.map(card)) : h('p', {}, TEXT.nonePast)),
    h('p', {}, h('a', { href: 'receipt.html' }, TEXT.receiptLink)),
    h('p', {}, h('a', { href: 'console/index.html' }, TEXT.consoleLink)));
}

start();
