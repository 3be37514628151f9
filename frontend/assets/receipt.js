// Check a receipt: proves a ballot arrived, without saying what is in it.
import { api, param } from './api.js';
import { h, field, setFieldError, focusEl, replace } from './dom.js';
import { layout } from './layout.js';
import { formatDay, fill } from './format.js';

const TEXT = {
  title: 'Check a receipt',
  heading: 'Check a receipt',
  intro: 'When you vote you get a receipt. Type it here to check that your vote arrived. The receipt does not show how you voted.',
  label: 'Your receipt',
  hint: 'It starts with R-, for example R-K7QF-M2XD-9PRT-ABCD.',
  submit: 'Check receipt',
  checking: 'Checking…',
  empty: 'Type your receipt.',
  found: 'Your vote arrived',
  foundText: 'We received a vote with receipt {receipt} for “{title}” on {date}.',
  foundNote: 'If you voted more than once with the same voter code, each of your receipts shows here in the same way, and your newest vote is the one that counts. Nobody else can tell from a receipt whether you voted again.',
  notFound: 'We could not find that receipt. Check you typed it exactly.',
  error: 'We could not check the receipt: {detail}',
  voteLink: 'Go back to the consultation',
};

const main = layout({ title: TEXT.title, current: 'receipt' });

const f = field({ id: 'receipt', label: TEXT.label, hint: TEXT.hint, attrs: { autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', class: 'input--code' } });
const result = h('div', { id: 'receipt-result' });
const button = h('button', { type: 'submit' }, TEXT.submit);
const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); check(); } }, f.wrap, h('div', { class: 'btn-row' }, button));
replace(main, h('h1', {}, TEXT.heading), h('p', { class: 'lead' }, TEXT.intro), form, result);

async function check() {
  const value = f.input.value.trim().toUpperCase().replace(/\s+/g, '');
  result.replaceChildren();
  if (!value) {
    setFieldError(f, TEXT.empty);
    f.input.focus();
    return;
  }
  setFieldError(f, '');
  button.disabled = true;
  button.textContent = TEXT.checking;
  try {
    const r = await api(`/receipts/${encodeURIComponent(value)}`, { auth: false });
    const box = h('div', { class: 'notice notice--success', tabindex: '-1' },
      h('h2', {}, TEXT.found),
      h('p', {}, fill(TEXT.foundText, { receipt: r.receipt, title: r.consultation_title, date: formatDay(r.received_on) })),
      h('p', {}, TEXT.foundNote));
    replace(result, box);
    history.replaceState(null, '', `?r=${encodeURIComponent(r.receipt)}`);
    focusEl(box);
  } catch (e) {
    if (e.status === 404 || e.type === 'not-found') {
      setFieldError(f, TEXT.notFound);
    } else {
      setFieldError(f, fill(TEXT.error, { detail: e.detail || e.message }));
    }
    f.input.focus();
  } finally {
    button.disabled = false;
    button.textContent = TEXT.submit;
  }
}

const initial = param('r');
if (initial) {
  f.input.value = initial;
  check();
}
