// The printable sheet of admission slips for a meeting: each slip with its code, short link and
// QR code, eight to a sheet of A4, to cut out and hand out at the door.
import { param } from './api.js';
import { h, icon, replace } from './dom.js';
import { layout } from './layout.js';
import { fill } from './format.js';
import { requireUser } from './console-common.js';
import { drawQrCodes, slipCard } from './printing.js';

const TEXT = {
  title: 'Admission slips',
  intro: '{count} slips for “{title}”. They print eight to a sheet of A4: cut along the dashed lines and hand out one per person at the door.',
  onlyOnce: 'These codes are shown only once. Print the slips now; close this page once they are printed.',
  drawing: 'Drawing the QR codes: {done} of {count}…',
  drawn: '{count} slips are ready to print.',
  qrFailed: 'We could not draw the QR codes ({detail}). The slips still have their short links and codes.',
  print: 'Print the slips',
  back: 'Back to the meeting',
  none: 'There are no slips to print. Slips are shown only once, just after they are made. Make new ones on the meeting’s page.',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
const mid = param('m');

async function start() {
  const user = await requireUser();
  if (!user) return;
  let batch = null;
  try { batch = JSON.parse(sessionStorage.getItem('pbvote.slips') || 'null'); } catch { batch = null; }
  if (batch && mid && batch.meeting_id !== mid) batch = null;
  const back = h('a', { href: `meeting.html?m=${encodeURIComponent(mid || batch?.meeting_id || '')}` }, TEXT.back);
  if (!batch || !batch.slips?.length) {
    replace(main, h('h1', {}, TEXT.title), h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.none)), h('p', {}, back));
    return;
  }
  const count = batch.slips.length;
  const status = h('p', { role: 'status', id: 'qr-status' }, fill(TEXT.drawing, { done: 0, count }));
  replace(main,
    h('div', { class: 'no-print' },
      h('h1', {}, TEXT.title),
      h('p', {}, fill(TEXT.intro, { count, title: batch.title })),
      h('div', { class: 'notice notice--warning' }, h('p', {}, h('strong', {}, TEXT.onlyOnce))),
      status));
  let qr = [];
  try {
    qr = await drawQrCodes(batch.slips.map((s) => s.link), (done) => { status.textContent = fill(TEXT.drawing, { done, count }); });
    status.textContent = fill(TEXT.drawn, { count });
  } catch (e) {
    status.textContent = fill(TEXT.qrFailed, { detail: e.detail || e.message });
  }
  main.firstChild.append(h('div', { class: 'btn-row' }, h('button', { type: 'button', id: 'print-slips', onclick: () => window.print() }, icon('print'), TEXT.print), back));
  main.append(h('div', { class: 'slip-sheet', id: 'slips' }, batch.slips.map((s, i) => slipCard({ ...s, qr: qr[i] }, batch.title, i, 'h2'))));
}

start();
