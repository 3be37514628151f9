// The consultation details form, used to create a consultation and to change a draft.
import { h, field, setFieldError, focusEl, replace, oneAtATime, showErrorSummary } from './dom.js';
import { parseMoney, moneyInputValue, localTimeZone, fill } from './format.js';

export const FORM_TEXT = {
  title: 'Title',
  titleHint: 'For example “Riverside budget 2027”. Residents see this first.',
  description: 'Description',
  descriptionHint: 'Explain in plain English what the council must decide and why.',
  currency: 'Currency',
  moneyHeading: 'The money',
  moneyHint: 'Type amounts in {unit}, for example 800 or 1,200.50. Leave a box empty if there is no such figure.',
  unit: { GBP: 'pounds', EUR: 'euros', USD: 'dollars' },
  overall: 'Overall budget (optional)',
  target: 'Savings target: how much must be saved',
  dev: 'Budget for new spending',
  areas: 'Areas residents can choose from (optional)',
  areasHint: 'One per line, for example ward names or postcode districts. Used only to show how areas voted.',
  datesHeading: 'Dates (optional)',
  opensAt: 'Voting opens',
  closesAt: 'Voting closes',
  datesHint: 'Leave these empty to open and close voting by hand with the buttons.',
  datesZone: 'Times are in {zone}, the time zone this computer is set to.',
  settingsHeading: 'Counting settings',
  settingsHint: 'The usual values suit most consultations.',
  rank_depth: 'Most choices a resident can make in each list',
  rank_depthHint: 'From 1 to 20. Usually 5.',
  minority_share_percent: 'Share of the say guaranteed to the users of a service (%)',
  minority_share_percentHint: 'From 0 to 90. 50 means users together have as much say on a cut to their service as everyone else together.',
  max_weight: 'Most times a user’s vote can count on a proposal about their service',
  max_weightHint: 'At least 1. Usually 10.',
  min_group: 'Fewest users of a service needed before they get the extra say',
  min_groupHint: 'At least 1. Usually 5.',
  protect_threshold_percent: 'Share of a service’s users who must reject a cut to protect it (%)',
  protect_threshold_percentHint: 'From 1 to 100. Usually 50.',
  service_users: 'Whose “I use this service” counts',
  service_usersHint: 'Service-user codes are cards a service (a day centre, a library) hands to its users; a resident types one beside their voter code. You can change this only before voting opens.',
  service_usersOptions: {
    declared: 'What residents tick on the ballot (no service-user codes)',
    declared_or_verified: 'What residents tick, and service-user codes',
    verified: 'Only service-user codes (ticks are shown in the results but give no protected say)',
  },
  needTitle: 'Type a title.',
  badMoney: 'Type an amount in {unit}, like 800 or 1,200.50.',
  badNumber: 'Type a whole number from {min} to {max}.',
  badDate: 'Type a date and time.',
  problem: 'There is a problem',
};

export const SETTINGS = [
  ['rank_depth', 5, 1, 20],
  ['minority_share_percent', 50, 0, 90],
  ['max_weight', 10, 1, 1000],
  ['min_group', 5, 1, 100000],
  ['protect_threshold_percent', 50, 1, 100],
];

const CURRENCIES = [['GBP', 'Pounds sterling (£)'], ['EUR', 'Euros (€)'], ['USD', 'US dollars ($)']];

function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * Build the form. `c` is an existing consultation (or null for a new one).
 * Returns { element, fields, read(): body|null, showProblem(err): boolean }.
 */
export function consultationForm(c, { submitText, onSubmit }) {
  const T = FORM_TEXT;
  const currency = c?.currency || 'GBP';
  const b = c?.budget || {};
  const s = c?.settings || {};
  const unit = () => T.unit[fields.currency.input.value] || fields.currency.input.value;
  const fields = {
    title: field({ id: 'title', label: T.title, hint: T.titleHint, value: c?.title ?? '', attrs: { autocomplete: 'off' } }),
    description: field({ id: 'description', label: T.description, hint: T.descriptionHint, multiline: true, value: c?.description ?? '' }),
    currency: field({ id: 'currency', label: T.currency, options: CURRENCIES.some(([k]) => k === currency) ? CURRENCIES : [...CURRENCIES, [currency, currency]], value: currency }),
    overall_budget: field({ id: 'overall_budget', label: T.overall, value: moneyInputValue(b.overall_budget, currency), attrs: { inputmode: 'decimal', class: 'input--short' } }),
    savings_target: field({ id: 'savings_target', label: T.target, value: moneyInputValue(b.savings_target, currency), attrs: { inputmode: 'decimal', class: 'input--short' } }),
    development_budget: field({ id: 'development_budget', label: T.dev, value: moneyInputValue(b.development_budget, currency), attrs: { inputmode: 'decimal', class: 'input--short' } }),
    areas: field({ id: 'areas', label: T.areas, hint: T.areasHint, multiline: true, value: (c?.areas || []).join('\n') }),
    opens_at: field({ id: 'opens_at', label: T.opensAt, type: 'datetime-local', value: toLocalInput(c?.opens_at) }),
    closes_at: field({ id: 'closes_at', label: T.closesAt, type: 'datetime-local', value: toLocalInput(c?.closes_at) }),
  };
  fields.service_users = field({ id: 'service_users', label: T.service_users, hint: T.service_usersHint,
    options: Object.entries(T.service_usersOptions), value: s.service_users || 'declared' });
  for (const [key, def, min, max] of SETTINGS) {
    fields[key] = field({ id: key, label: T[key], hint: T[`${key}Hint`], type: 'number', value: s[key] ?? def, attrs: { min, max, step: 1, inputmode: 'numeric', class: 'input--short' } });
  }
  const moneyHint = h('p', { class: 'hint', id: 'money-hint' }, fill(T.moneyHint, { unit: unit() }));
  fields.currency.input.addEventListener('change', () => { moneyHint.textContent = fill(T.moneyHint, { unit: unit() }); });
  for (const k of ['overall_budget', 'savings_target', 'development_budget']) {
    fields[k].input.setAttribute('aria-describedby', 'money-hint');
  }
  const formError = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', id: 'details-error' });
  const button = h('button', { type: 'submit' }, submitText);

  function clear() {
    formError.hidden = true;
    for (const f of Object.values(fields)) setFieldError(f, '');
  }

  function read() {
    clear();
    const errors = [];
    const bad = (k, msg) => { setFieldError(fields[k], msg); errors.push([msg, fields[k].input]); };
    const title = fields.title.input.value.trim();
    if (!title) bad('title', T.needTitle);
    const cur = fields.currency.input.value;
    const budget = {};
    for (const k of ['overall_budget', 'savings_target', 'development_budget']) {
      const v = parseMoney(fields[k].input.value, cur);
      if (Number.isNaN(v)) bad(k, fill(T.badMoney, { unit: unit() }));
      budget[k] = v;
    }
    const settings = {};
    for (const [key, , min, max] of SETTINGS) {
      const raw = fields[key].input.value.trim();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < min || n > max) bad(key, fill(T.badNumber, { min, max }));
      settings[key] = n;
    }
    settings.service_users = fields.service_users.input.value;
    const dates = {};
    for (const k of ['opens_at', 'closes_at']) {
      const raw = fields[k].input.value;
      if (!raw) { dates[k] = null; continue; }
      const d = new Date(raw);
      if (Number.isNaN(d.getTime())) bad(k, T.badDate);
      else dates[k] = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    if (errors.length) {
      // One summary at the top of the form, with a link to each field, so that a second
      // problem is not missed when the first field gets focus.
      showErrorSummary(formError, T.problem, errors);
      return null;
    }
    return {
      title,
      description: fields.description.input.value.trim(),
      currency: cur,
      budget,
      settings,
      areas: fields.areas.input.value.split('\n').map((a) => a.trim()).filter(Boolean),
      ...dates,
    };
  }

  /** Show a problem from the server next to its field. */
  function showProblem(err) {
    const path = String(err.field || '');
    const key = path.replace(/^(budget|settings)\./, '').replace(/\[\d+\]$/, '');
    const f = fields[key];
    if (f) {
      setFieldError(f, err.detail || err.message);
      focusEl(f.input);
      return;
    }
    replace(formError, h('h2', {}, T.problem), h('p', {}, err.detail || err.message));
    formError.hidden = false;
    focusEl(formError);
  }

  const F = fields;
  const element = h('form', { novalidate: true, id: 'details-form', onsubmit: oneAtATime(async () => {
    const body = read();
    if (!body) return;
    await onSubmit(body);
  }) },
  formError,
  F.title.wrap, F.description.wrap, F.currency.wrap,
  h('fieldset', {}, h('legend', {}, T.moneyHeading), moneyHint,
    h('div', { class: 'form-grid form-grid--2' }, F.savings_target.wrap, F.development_budget.wrap), F.overall_budget.wrap),
  F.areas.wrap,
  h('fieldset', { 'aria-describedby': 'dates-hint' }, h('legend', {}, T.datesHeading),
    h('p', { class: 'hint', id: 'dates-hint' }, T.datesHint, ' ', fill(T.datesZone, { zone: localTimeZone() })),
    h('div', { class: 'form-grid form-grid--2' }, F.opens_at.wrap, F.closes_at.wrap)),
  h('details', {}, h('summary', {}, T.settingsHeading),
    h('div', {}, h('p', { class: 'hint' }, T.settingsHint), SETTINGS.map(([k]) => F[k].wrap), F.service_users.wrap)),
  h('div', { class: 'btn-row' }, button));

  return { element, fields, read, showProblem, clear };
}
