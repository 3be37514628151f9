// A consultation's voter roll: import the council's CSV (checked first, nothing imported
// while a row is wrong), then print the letters or download them for a print house; and
// revoke or replace one person's code.
import { api, param } from './api.js';
import { h, field, setFieldError, replace, oneAtATime, focusEl } from './dom.js';
import { layout } from './layout.js';
import { fill } from './format.js';
import { requireUser, consoleBar } from './console-common.js';

const TEXT = {
  title: 'Voter roll',
  intro: 'Import the list of people to write to, as a CSV file from a spreadsheet. Its first line must name the columns name, address, reference (your own reference for each person) and, if you use areas, area. Each person gets one voter code.',
  notOrganiser: 'Only organisers can import voter rolls.',
  back: 'Back to the consultation',
  file: 'CSV file',
  fileHint: 'Saved from a spreadsheet as “CSV UTF-8”. Nothing is imported until you have checked it.',
  fileEmpty: 'Choose the CSV file first.',
  check: 'Check the file',
  checking: 'Checking…',
  ready: '{people} people can be imported. Check the first few below, then import.',
  problems: '{count} rows cannot be imported. Nothing will be imported until they are put right in the file:',
  colLine: 'Line',
  colProblem: 'What is wrong',
  colName: 'Name',
  colAddress: 'Address',
  colReference: 'Reference',
  colArea: 'Area',
  sample: 'The first people in the file',
  import: 'Import {people} people and make their codes',
  importing: 'Importing…',
  done: '{people} people imported, each with a voter code. The codes are shown only now: print the letters or download the file for the print house before you leave this page.',
  print: 'Print the letters',
  download: 'Download the letters for a mail merge (CSV)',
  error: 'That did not work: {detail}',
  revokeHeading: 'Revoke or replace one person’s code',
  revokeIntro: 'For a letter that came back, or a code that was lost or stolen. If you have the letter, type its code: the vote cast with it, if any, is then taken out of the count. Without it the code stops working, but a vote already cast with it cannot be found.',
  reference: 'Reference of the person',
  letterCode: 'Code on their letter (if you have it)',
  reason: 'Why',
  replaceIt: 'Make a new code for this person',
  revoke: 'Revoke the code',
  revoked: 'The code of {name} is revoked.',
  removed: ' Their vote has been taken out of the count.',
  newCode: ' Their new code is {code} (shown only now): print their letter below.',
  needReference: 'Type the person’s reference.',
  needReason: 'Say why the code is revoked.',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
const id = param('c');
const enc = encodeURIComponent;
const CODES_KEY = 'pbvote.codes';

function table(caption, heads, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

function keepLetters(c, letters) {
  sessionStorage.setItem(CODES_KEY, JSON.stringify({
    consultation_id: c.id, title: c.title, ballot_url: '',
    codes: letters.map((l) => l.code), links: letters.map((l) => l.link),
    people: letters.map((l) => ({ name: l.name, address: l.address })),
  }));
}

function csvCell(v) {
  const s = String(v ?? '');
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function downloadLetters(letters) {
  const lines = ['reference,name,address,area,code,short_link', ...letters.map((l) => [l.reference, l.name, l.address, l.area, l.code, l.link].map(csvCell).join(','))];
  const u = URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: u, download: 'roll-letters.csv' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(u), 10000);
}

function lettersReady(c, letters, heading) {
  keepLetters(c, letters);
  return h('div', { class: 'notice notice--warning', id: 'roll-letters' },
    h('p', { id: 'roll-done', tabindex: '-1' }, heading),
    h('div', { class: 'btn-row' },
      h('a', { class: 'btn', href: `letters.html?c=${enc(c.id)}`, id: 'print-roll-letters' }, TEXT.print),
      h('button', { type: 'button', class: 'btn--secondary', id: 'download-roll-letters', onclick: () => downloadLetters(letters) }, TEXT.download)));
}

function importSection(c) {
  const file = field({ id: 'roll-file', label: TEXT.file, type: 'file', hint: TEXT.fileHint, attrs: { accept: '.csv,text/csv' } });
  const result = h('div', { id: 'roll-result', tabindex: '-1' });
  const check = h('button', { type: 'submit', id: 'check-roll' }, TEXT.check);
  let text = null;
  const showError = (e) => { replace(result, h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message })))); focusEl(result); };
  const form = h('form', { novalidate: true, id: 'roll-form', onsubmit: oneAtATime(async () => {
    setFieldError(file, '');
    const chosen = file.input.files && file.input.files[0];
    if (!chosen) { setFieldError(file, TEXT.fileEmpty); file.input.focus(); return; }
    check.textContent = TEXT.checking;
    try {
      text = await chosen.text();
      const p = await api(`/consultations/${enc(c.id)}/roll`, { method: 'POST', body: { csv: text, preview: true } });
      if (p.problems.length) {
        replace(result, h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.problems, { count: p.problems.length }))),
          table(TEXT.problems, [TEXT.colLine, TEXT.colProblem], p.problems.map((x) => h('tr', {}, h('td', { class: 'num' }, String(x.line)), h('td', {}, x.problem)))));
      } else {
        const go = h('button', { type: 'button', id: 'import-roll' }, fill(TEXT.import, { people: p.people }));
        go.addEventListener('click', oneAtATime(async () => {
          go.textContent = TEXT.importing;
          try {
            const r = await api(`/consultations/${enc(c.id)}/roll`, { method: 'POST', body: { csv: text } });
            replace(result, lettersReady(c, r.letters, fill(TEXT.done, { people: r.letters.length })));
            focusEl(document.getElementById('roll-done'));
          } catch (e) { showError(e); }
        }));
        replace(result, h('div', { class: 'notice notice--success' }, h('p', {}, fill(TEXT.ready, { people: p.people }))),
          table(TEXT.sample, [TEXT.colLine, TEXT.colName, TEXT.colAddress, TEXT.colReference, TEXT.colArea],
            p.sample.map((r) => h('tr', {}, h('td', { class: 'num' }, String(r.line)), h('td', {}, r.name), h('td', {}, r.address), h('td', {}, r.reference), h('td', {}, r.area || '')))),
          h('div', { class: 'btn-row' }, go));
      }
      focusEl(result);
    } catch (e) { showError(e); } finally { check.textContent = TEXT.check; }
  }) }, file.wrap, h('div', { class: 'btn-row' }, check));
  return [form, result];
}

function revokeSection(c) {
  const reference = field({ id: 'revoke-reference', label: TEXT.reference, attrs: { autocomplete: 'off', spellcheck: 'false' } });
  const code = field({ id: 'revoke-code', label: TEXT.letterCode, attrs: { autocomplete: 'off', spellcheck: 'false' } });
  const reason = field({ id: 'revoke-reason', label: TEXT.reason, attrs: { autocomplete: 'off' } });
  const again = h('input', { type: 'checkbox', id: 'revoke-replace', checked: true });
  const result = h('div', { id: 'revoke-result', tabindex: '-1' });
  const form = h('form', { novalidate: true, id: 'revoke-form', onsubmit: oneAtATime(async () => {
    for (const f of [reference, code, reason]) setFieldError(f, '');
    if (!reference.input.value.trim()) { setFieldError(reference, TEXT.needReference); reference.input.focus(); return; }
    if (!reason.input.value.trim()) { setFieldError(reason, TEXT.needReason); reason.input.focus(); return; }
    try {
      const person = await api(`/consultations/${enc(c.id)}/roll?reference=${enc(reference.input.value.trim())}`);
      const body = { reason: reason.input.value.trim(), replace: again.checked, ...(code.input.value.trim() ? { letter_code: code.input.value.trim() } : {}) };
      const r = await api(`/roll-entries/${enc(person.id)}/revoke`, { method: 'POST', body });
      const said = fill(TEXT.revoked, { name: person.name }) + (r.ballot_removed ? TEXT.removed : '') + (r.letter ? fill(TEXT.newCode, { code: r.letter.code }) : '');
      replace(result, r.letter ? lettersReady(c, [r.letter], said) : h('div', { class: 'notice notice--success' }, h('p', {}, said)));
      focusEl(result);
    } catch (e) {
      const target = { letter_code: code, reason, reference }[e.field] || (e.status === 404 ? reference : null);
      if (target) { setFieldError(target, e.detail); target.input.focus(); return; }
      replace(result, h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message }))));
      focusEl(result);
    }
  }) }, reference.wrap, code.wrap, reason.wrap,
  h('ul', { class: 'checkboxes' }, h('li', {}, again, ' ', h('label', { for: 'revoke-replace' }, TEXT.replaceIt))),
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'revoke-button' }, TEXT.revoke)));
  return [form, result];
}

async function start() {
  const user = await requireUser();
  if (!user) return;
  const back = h('p', {}, h('a', { href: `consultation.html?c=${enc(id || '')}` }, TEXT.back));
  if (user.role !== 'organiser') {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.notOrganiser)), back);
    return;
  }
  let c;
  try { c = await api(`/consultations/${enc(id || '')}`); } catch (e) {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message }))), back);
    return;
  }
  replace(main,
    h('h1', {}, `${TEXT.title}: ${c.title}`),
    consoleBar(user),
    h('p', {}, TEXT.intro),
    ...importSection(c),
    h('h2', {}, TEXT.revokeHeading),
    h('p', {}, TEXT.revokeIntro),
    ...revokeSection(c),
    back);
}

start();
