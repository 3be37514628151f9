// The short links' page, `/go#CODE`: letters and admission slips carry `/go#K7QFM2XD9PRT` (and a
// QR code of it), the projector in a hall shows `/go#K7QF2M`. The code travels after `#`, so it
// never reaches a server or its logs; this page asks where it votes and opens the right ballot
// page, passing a voter code on in the fragment again (never in the query string).
import { api } from './api.js';
import { h, field, setFieldError, focusEl, replace, oneAtATime } from './dom.js';
import { layout } from './layout.js';
import { fill } from './format.js';

const TEXT = {
  title: 'Open your ballot',
  opening: 'Opening your ballot…',
  missing: 'This link has no code in it.',
  fromLink: 'The code in this link did not work.',
  intro: 'Type the code from your letter or admission slip, or the meeting code shown on the screen in the hall.',
  codeLabel: 'Your code',
  codeHint: 'A letter or slip has 12 letters and numbers, for example K7QF-M2XD-9PRT. The meeting code on the screen has 6, for example K7QF2M. Capital or small letters, with or without the dashes.',
  submit: 'Open my ballot',
  empty: 'Type the code from your letter or slip, or the meeting code from the screen.',
  shape: 'A code has 12 letters and numbers on a letter or slip, or 6 on the screen in the hall. Check it and try again.',
  unknownCode: 'We don’t recognise this code. Check it against your letter or slip: it has 12 letters and numbers, for example K7QF-M2XD-9PRT.',
  unknownMeeting: 'No meeting has this code. Check it against the screen in the hall: it has 6 letters and numbers, for example K7QF2M.',
  rateLimited: 'Too many tries with a wrong code. Please wait {seconds} seconds and try again.',
  error: 'We could not open your ballot: {detail}',
  help: 'If it still does not work, ask a member of staff at the meeting, or contact the council.',
  backHome: 'See all consultations',
};

const main = layout({ title: TEXT.title });

/** Upper case, without spaces or dashes. */
function compact(text) {
  return String(text || '').toUpperCase().replace(/[\s-]+/g, '');
}

/** A 12-character code in groups of four, as printed: K7QF-M2XD-9PRT. */
function grouped(code) {
  return code.length === 12 ? `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}` : code;
}

/** Where a code leads: the ballot page's address, or an Error whose message says what is wrong. */
async function destination(raw) {
  const code = compact(raw);
  if (!code) throw new Error(TEXT.empty);
  if (!/^[A-Z0-9]+$/.test(code) || (code.length !== 12 && code.length !== 6)) throw new Error(TEXT.shape);
  try {
    if (code.length === 6) {
      // A meeting's join code finds its hall's ballot; the person types their own code there.
      const m = await api(`/join/${encodeURIComponent(code)}`, { auth: false });
      return `vote.html?c=${encodeURIComponent(m.consultation_id)}&m=${encodeURIComponent(m.meeting_id)}`;
    }
    const found = await api('/codes/find', { method: 'POST', body: { voter_code: code }, auth: false });
    const meeting = found.meeting_id ? `&m=${encodeURIComponent(found.meeting_id)}` : '';
    return `vote.html?c=${encodeURIComponent(found.consultation_id)}${meeting}#code=${grouped(code)}`;
  } catch (e) {
    if (e.status === 404 && code.length === 6) throw new Error(TEXT.unknownMeeting);
    if (e.type === 'invalid-voter-code' || e.field === 'voter_code' || e.field === 'code') {
      throw new Error(code.length === 6 ? TEXT.unknownMeeting : TEXT.unknownCode);
    }
    if (e.type === 'rate-limited') throw new Error(fill(TEXT.rateLimited, { seconds: e.retryAfter || 60 }));
    throw new Error(fill(TEXT.error, { detail: e.detail || e.message }));
  }
}

/** The form for typing a code, with what went wrong (if anything) above it and at the field. */
function showForm({ notice = null, value = '', problem = null } = {}) {
  const code = field({ id: 'code', label: TEXT.codeLabel, hint: TEXT.codeHint, value,
    attrs: { class: 'input--code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false' } });
  const form = h('form', { id: 'code-form', novalidate: true, onsubmit: oneAtATime(async () => {
    setFieldError(code, '');
    try {
      location.assign(await destination(code.input.value));
    } catch (e) {
      setFieldError(code, e.message);
      focusEl(code.input);
    }
  }) },
  code.wrap,
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'open-button' }, TEXT.submit)));
  const box = notice ? h('div', { class: 'notice notice--warning', id: 'go-notice', tabindex: '-1' }, h('p', {}, notice)) : null;
  replace(main,
    h('h1', {}, TEXT.title),
    box,
    h('p', {}, TEXT.intro),
    form,
    h('p', {}, TEXT.help),
    h('p', {}, h('a', { href: 'index.html' }, TEXT.backHome)));
  if (problem) {
    setFieldError(code, problem);
    focusEl(code.input);
  } else if (box) {
    focusEl(box);
  }
}

async function start() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, ''));
  // The code leaves the address bar at once: if this page stays (a wrong code), it is not
  // kept in the history; if it moves on, the next page replaces this one in the history.
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  if (!compact(raw)) {
    showForm({ notice: TEXT.missing });
    return;
  }
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.opening));
  try {
    location.replace(await destination(raw));
  } catch (e) {
    showForm({ notice: TEXT.fromLink, value: raw.trim(), problem: e.message });
  }
}

// Another short link opened in this tab while the page is showing (only the part after # changes).
window.addEventListener('hashchange', start);
start();
