// Shared by the organiser console pages: who is signed in, the sign-out bar.
import { api, getToken, getUser, clearSession, saveSession } from './api.js';
import { h, oneAtATime } from './dom.js';
import { fill } from './format.js';

export const COMMON_TEXT = {
  signedInAs: 'Signed in as {email} ({role})',
  role: { organiser: 'organiser', commissioner: 'commissioner' },
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
  const here = location.pathname.split('/').slice(-2).join('/') + location.search; // e.g. console/consultation.html?c=…
  location.replace(`index.html?next=${encodeURIComponent('../' + here)}`);
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

/** A relative `next` address from the query string, or null (never another site). */
export function safeNext() {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || /^[a-z][a-z0-9+.-]*:/i.test(next) || next.startsWith('//') || next.includes('\\')) return null;
  return next;
}
