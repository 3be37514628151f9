// Printable letters: one voter code per printed page, with its short link and a QR code of it.
import { param } from './api.js';
import { h, icon, replace } from './dom.js';
import { layout } from './layout.js';
import { fill } from './format.js';
import { requireUser } from './console-common.js';
import { drawQrCodes } from './printing.js';

const TEXT = {
  title: 'Letters with voter codes',
  intro: 'Each letter below prints on its own page. There are {count} letters.',
  onlyOnce: 'These codes are shown only once. Print the letters now; close this page once they are printed.',
  drawing: 'Drawing the QR codes: {done} of {count}…',
  qrFailed: 'We could not draw the QR codes ({detail}). The letters still have their short links and codes.',
  print: 'Print the letters',
  back: 'Back to the consultation',
  none: 'There are no codes to print. Codes are shown only once, just after they are made. Make a new batch on the consultation page.',
  letterHeading: 'Have your say: {title}',
  letterIntro: 'The council is asking residents what it should cut and what new things it should pay for. Your views count.',
  scan: 'To vote, scan the square code with your phone’s camera, or type this address:',
  goTo: 'To vote, go to this address:',
  typeCode: 'and type your voter code:',
  codeInLink: 'If you are asked for your voter code, it is:',
  codeLabel: 'Your voter code',
  qrAlt: 'QR code of {link}',
  private: 'Keep this code private: it lets one person vote. If you vote again with it, your newest vote replaces the older one.',
  noCodeNeededToRead: 'You can read all the proposals before you decide.',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
const id = param('c');

async function start() {
  const user = await requireUser();
  if (!user) return;
  let batch = null;
  try { batch = JSON.parse(sessionStorage.getItem('pbvote.codes') || 'null'); } catch { batch = null; }
  if (batch && id && batch.consultation_id !== id) batch = null;
  const back = h('a', { href: `consultation.html?c=${encodeURIComponent(id || batch?.consultation_id || '')}` }, TEXT.back);
  if (!batch || !batch.codes?.length) {
    replace(main, h('h1', {}, TEXT.title), h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.none)), h('p', {}, back));
    return;
  }
  // Batches made before short links existed have none: they print the ballot address.
  const links = Array.isArray(batch.links) && batch.links.length === batch.codes.length ? batch.links : null;
  const status = h('p', { role: 'status', id: 'qr-status' });
  replace(main,
    h('div', { class: 'no-print' },
      h('h1', {}, TEXT.title),
      h('p', {}, fill(TEXT.intro, { count: batch.codes.length })),
      h('div', { class: 'notice notice--warning' }, h('p', {}, h('strong', {}, TEXT.onlyOnce))),
      status));
  let qr = [];
  if (links) {
    try {
      qr = await drawQrCodes(links, (done) => { status.textContent = fill(TEXT.drawing, { done, count: links.length }); });
      status.textContent = '';
    } catch (e) {
      qr = [];
      status.textContent = fill(TEXT.qrFailed, { detail: e.detail || e.message });
    }
  }
  main.firstChild.append(h('div', { class: 'btn-row' }, h('button', { type: 'button', id: 'print-letters', onclick: () => window.print() }, icon('print'), TEXT.print), back));
  main.append(h('div', { id: 'letters' }, batch.codes.map((code, i) => h('article', { class: 'letter', 'aria-labelledby': `letter-${i}` },
    // A roll's letters are addressed to their person.
    batch.people?.[i] ? h('p', { class: 'letter-to' }, batch.people[i].name, batch.people[i].address.split(/\n|, /).map((line) => [h('br'), line])) : null,
    h('h2', { id: `letter-${i}` }, fill(TEXT.letterHeading, { title: batch.title })),
    h('p', {}, TEXT.letterIntro),
    links ? [
      h('p', {}, TEXT.scan),
      qr[i] ? h('img', { class: 'letter-qr', src: qr[i], alt: fill(TEXT.qrAlt, { link: links[i] }) }) : null,
      h('p', { class: 'letter-url' }, links[i]),
      h('p', {}, TEXT.codeInLink),
    ] : [
      h('p', {}, TEXT.goTo),
      h('p', { class: 'letter-url' }, batch.ballot_url),
      h('p', {}, TEXT.typeCode),
    ],
    h('p', { class: 'letter-code' }, h('span', { class: 'visually-hidden' }, `${TEXT.codeLabel}: `), code),
    h('p', {}, TEXT.noCodeNeededToRead),
    h('p', {}, TEXT.private)))));
}

start();
