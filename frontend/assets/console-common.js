// Shared by the organiser console pages: who is signed in, the sign-out bar.
import { api, getToken, getUser, clearSession, saveSession } from './api.js';
import { h, oneAtATime } from './dom.js';
import { fill } from './format.js';

export const COMMON_TEXT = {
  signedInAs: 'Signed in as {email} ({role})',
  role: { admin: 'admin', organiser: 'organiser', commissioner: 'commissioner', officer: 'officer' },
  signOut: 'Sign out',
  console: 'Console home',
};

/** The signed-in user, checked with the server; or null after sending the reader to sign in. */
export async function requireUser() {
  if (!getToken()) {
    redirectToSignIn();
    return null;
  }
  try {
    const me = await api('/auth/me');
    saveSession(getToken(), me);
    return me;
  } catch (e) {
    if (e.status === 401) {
      clearSession();
      redirectToSignIn();
      return null;
    }
    return getUser();
  }
}

export function redirectToSignIn() {
  const here = location.pathname.split('/').pop() + location.search; // e.g. consultation.html?c=…
  const next = safePath(here);
  location.replace(next ? `index.html?next=${encodeURIComponent(next)}` : 'index.html');
}

export async function signOut() {
  try { await api('/auth/sign-out', { method: 'POST' }); } catch { /* the token is dropped anyway */ }
  clearSession();
  location.href = 'index.html';
}

export function consoleBar(user, { home = true } = {}) {
  return h('div', { class: 'console-bar' },
    h('p', {}, fill(COMMON_TEXT.signedInAs, { email: user.email, role: COMMON_TEXT.role[user.role] || user.role })),
    h('div', { class: 'btn-row btn-row--tight', style: 'margin:0' },
      home ? h('a', { href: 'index.html', class: 'btn btn--small btn--secondary' }, COMMON_TEXT.console) : null,
      h('button', { type: 'button', class: 'btn--small btn--secondary', id: 'sign-out', onclick: oneAtATime(signOut) }, COMMON_TEXT.signOut)));
}

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
// The only places a sign-in may lead on to, relative to console/index.html. Anything else
// is refused, however it is spelt: browsers drop tabs and line breaks from addresses, so a
// filter for "another site" lets `/%09/evil.example` through as `//evil.example`.
const NEXT_PAGES = [
  new RegExp(`^(consultation|letters|roll)\\.html\\?c=(${UUID})$`),
  new RegExp(`^(meeting|paper|slips)\\.html\\?m=(${UUID})$`),
  new RegExp(`^\\.\\./(results)\\.html\\?c=(${UUID})$`),
  /^(new|index|audit|accounts|two-step)\.html$/,
];

/** `path` if it is one of the console's own pages, rebuilt from what was matched; else null. */
function safePath(path) {
  for (const pattern of NEXT_PAGES) {
    const m = pattern.exec(path);
    if (!m) continue;
    if (m[1] === 'results') return `../results.html?c=${m[2].toLowerCase()}`;
    if (['meeting', 'paper', 'slips'].includes(m[1])) return `${m[1]}.html?m=${m[2].toLowerCase()}`;
    return m[2] ? `${m[1]}.html?c=${m[2].toLowerCase()}` : `${m[1]}.html`;
  }
  return null;
}

/** Where to go after signing in: the `next` page from the query string when it is one of the console's own, else null (the console home). */
export function safeNext() {
  return safePath(new URLSearchParams(location.search).get('next') || '');
}
