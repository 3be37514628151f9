// What the console prints: QR codes of short links (drawn by the server, 200 a request).
import { api } from './api.js';

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
