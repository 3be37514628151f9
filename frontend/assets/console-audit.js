// The audit record, for admins: every staff action, newest first, a check of the hash
// chain, and the whole record as a CSV file.
import { api } from './api.js';
import { h, replace, oneAtATime, focusEl } from './dom.js';
import { layout } from './layout.js';
import { fill, formatDateTime } from './format.js';
import { requireUser, consoleBar } from './console-common.js';

const TEXT = {
  title: 'Audit record',
  intro: 'Every change staff make is recorded here: who, what, when, and what it was before and after. Nobody can change an entry without the check below finding it. Residents’ votes are never in this record.',
  notAdmin: 'Only admins can read the audit record.',
  loading: 'Loading…',
  error: 'We could not load the audit record: {detail}',
  count: 'The record holds {length} entries. Showing the newest {shown}.',
  empty: 'Nothing has been recorded yet.',
  colSeq: 'No.',
  colWhen: 'When',
  colWho: 'Who',
  colWhat: 'What',
  colSubject: 'Done to',
  colChange: 'Before and after',
  before: 'Before',
  after: 'After',
  more: 'Show older entries',
  check: 'Check the record',
  checking: 'Checking…',
  intact: 'The record is intact: all {entries} entries check.',
  broken: 'The record has been changed. Entry {seq} {reason}. Tell whoever runs the database, and keep a copy of the download below.',
  checkError: 'We could not check the record: {detail}',
  download: 'Download the whole record (CSV spreadsheet)',
  downloading: 'Preparing the file…',
  downloadError: 'We could not download the record: {detail}',
  table: 'Audit entries, newest first',
  nothing: '–',
};

const PAGE = 100;
const main = layout({ title: TEXT.title, root: '../', current: 'console' });

/** The change as short readable lines: a JSON object shown key by key. */
function changeCell(entry) {
  const show = (label, value) => value == null ? null : h('details', {},
    h('summary', {}, label),
    h('pre', { class: 'small', style: 'white-space:pre-wrap;overflow-wrap:anywhere;margin:0' }, JSON.stringify(value, null, 2)));
  const parts = [show(TEXT.before, entry.before), show(TEXT.after, entry.after)].filter(Boolean);
  return parts.length ? parts : TEXT.nothing;
}

function row(e) {
  return h('tr', { 'data-seq': String(e.seq) },
    h('td', { class: 'num' }, String(e.seq)),
    h('td', {}, formatDateTime(e.at)),
    h('td', {}, e.actor),
    h('td', {}, h('code', {}, e.action)),
    h('td', { style: 'overflow-wrap:anywhere' }, e.subject),
    h('td', {}, changeCell(e)));
}

async function download(button, status) {
  button.textContent = TEXT.downloading;
  try {
    const text = await api('/audit/export', { raw: true });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    const a = h('a', { href: url, download: `pbvote-audit-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status.textContent = '';
  } catch (e) {
    status.textContent = fill(TEXT.downloadError, { detail: e.detail || e.message });
  } finally {
    button.textContent = TEXT.download;
  }
}

async function start() {
  const user = await requireUser();
  if (!user) return;
  if (user.role !== 'admin') {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.notAdmin)));
    return;
  }
  const checkResult = h('div', { id: 'check-result', tabindex: '-1', hidden: true });
  const checkButton = h('button', { type: 'button', id: 'check-audit' }, TEXT.check);
  checkButton.addEventListener('click', oneAtATime(async () => {
    checkButton.textContent = TEXT.checking;
    try {
      const v = await api('/audit/verify');
      replace(checkResult, h('div', { class: v.intact ? 'notice notice--success' : 'notice notice--error' },
        h('p', {}, v.intact ? fill(TEXT.intact, v) : fill(TEXT.broken, v.broken))));
    } catch (e) {
      replace(checkResult, h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.checkError, { detail: e.detail || e.message }))));
    } finally {
      checkButton.textContent = TEXT.check;
      checkResult.hidden = false;
      focusEl(checkResult);
    }
  }));
  const downloadStatus = h('p', { role: 'status', id: 'download-status' });
  const downloadButton = h('button', { type: 'button', class: 'btn--secondary', id: 'download-audit' }, TEXT.download);
  downloadButton.addEventListener('click', oneAtATime(() => download(downloadButton, downloadStatus)));
  const status = h('p', { role: 'status', id: 'audit-status' }, TEXT.loading);
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'btn--secondary', id: 'more-audit', hidden: true }, TEXT.more);
  replace(main,
    h('h1', { tabindex: '-1', id: 'audit-heading' }, TEXT.title),
    consoleBar(user),
    h('p', {}, TEXT.intro),
    h('div', { class: 'btn-row' }, checkButton, downloadButton),
    checkResult,
    downloadStatus,
    status,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table--wide', id: 'audit-table' },
      h('caption', { class: 'visually-hidden' }, TEXT.table),
      h('thead', {}, h('tr', {}, [TEXT.colSeq, TEXT.colWhen, TEXT.colWho, TEXT.colWhat, TEXT.colSubject, TEXT.colChange].map((t) => h('th', { scope: 'col' }, t)))),
      body)),
    more);
  // Newest first: the page before `end` (exclusive).
  let end = null;
  let shown = 0;
  let length = 0;
  const load = async () => {
    try {
      if (end === null) {
        length = (await api('/audit?limit=1')).length;
        end = length + 1;
      }
      const after = Math.max(0, end - 1 - PAGE);
      const page = end > 1 ? await api(`/audit?after=${after}&limit=${end - 1 - after}`) : { entries: [] };
      const rows = page.entries.slice().reverse();
      body.append(...rows.map(row));
      shown += rows.length;
      end = after + 1;
      status.textContent = length ? fill(TEXT.count, { length, shown }) : TEXT.empty;
      more.hidden = end <= 1;
    } catch (e) {
      status.textContent = fill(TEXT.error, { detail: e.detail || e.message });
    }
  };
  more.addEventListener('click', oneAtATime(load));
  await load();
}

start();
