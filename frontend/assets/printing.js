// What the console prints: QR codes of short links (drawn by the server, 200 a request), and an
// admission slip as it is printed (the sheet of slips, and a slip made at the door): the
// meeting, the QR code and short link that open the hall's ballot with the code filled in, and
// the code itself for typing.
import { api } from './api.js';
import { h } from './dom.js';
import { fill } from './format.js';

/** At most this many QR codes per request (the server's limit). */
const QR_BATCH = 200;

/** QR codes (data: URIs) of this service's short links, 200 at a time; `progress(done)` after each batch. */
export async function drawQrCodes(links, progress = () => {}) {
  const out = [];
  for (let i = 0; i < links.length; i += QR_BATCH) {
    const r = await api('/qr', { method: 'POST', body: { links: links.slice(i, i + QR_BATCH) } });
    out.push(...r.qr);
    progress(out.length);
  }
  return out;
}

export const SLIP_TEXT = {
  heading: 'Admission slip: {title}',
  scan: 'To vote, scan the square code with your phone’s camera, or go to:',
  code: 'Your code:',
  private: 'One vote per slip. Keep it to yourself.',
  qrAlt: 'QR code of {link}',
};

/**
 * `slip` is {code, link, qr?}; `key` makes the element ids unique on the page; `level` is the
 * heading's level where the slip stands ('h2' on the sheet, 'h3' in a section).
 */
export function slipCard(slip, title, key, level = 'h3') {
  const hid = `slip-${key}-heading`;
  return h('article', { class: 'slip', id: `slip-${key}`, 'aria-labelledby': hid },
    h(level, { id: hid, class: 'slip__heading' }, fill(SLIP_TEXT.heading, { title })),
    slip.qr ? h('img', { class: 'slip__qr', src: slip.qr, alt: fill(SLIP_TEXT.qrAlt, { link: slip.link }) }) : null,
    h('div', { class: 'slip__text' },
      h('p', {}, SLIP_TEXT.scan),
      h('p', { class: 'slip__link' }, slip.link),
      h('p', {}, SLIP_TEXT.code, ' ', h('strong', { class: 'slip__code' }, slip.code)),
      h('p', { class: 'slip__private' }, SLIP_TEXT.private)));
}
