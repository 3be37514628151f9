// The council staff's console: sign in, then (headed for the role signed in) the list of every
// consultation, or an officer's meetings.
import { api, getToken, saveSession, clearSession, getDeviceToken, saveDeviceToken } from './api.js';
import { h, field, setFieldError, focusEl, replace, oneAtATime } from './dom.js';
import { layout } from './layout.js';
import { formatDateTime, fill } from './format.js';
import { consoleBar, safeNext } from './console-common.js';

const TEXT = {
  title: 'Council staff console',
  roleTitle: { organiser: 'Organiser console', commissioner: 'Commissioners’ console', officer: 'Meeting officer console' },
  commissionerIntro: 'Once voting has closed, open a consultation’s review to see who said what, record a decision with its reason on each proposal, publish the results and post updates on what became of them.',
  review: 'Review, decide and publish',
  signInHeading: 'Sign in',
  signInIntro: 'For council staff: admins, organisers, commissioners and meeting officers. Residents don’t need to sign in: your voter code is all you need to vote.',
  email: 'Email address',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  emailEmpty: 'Type your email address.',
  passwordEmpty: 'Type your password.',
  totp: 'Code from your authenticator app',
  totpHint: 'Your account uses two-step sign-in. Open the app and type the 6-digit code it shows now.',
  totpEmpty: 'Type the 6-digit code from your authenticator app.',
  totpWrong: 'That code is not right. Type the code the app shows now.',
  wrong: 'The email address or password is not right.',
  rateLimited: 'Too many tries. Please wait {seconds} seconds and try again.',
  error: 'We could not sign you in: {detail}',
  heading: 'Consultations',
  create: 'Create a consultation',
  loading: 'Loading…',
  none: 'There are no consultations yet.',
  listError: 'We could not load the consultations: {detail}',
  colUpdated: 'Last changed',
  manage: 'Manage',
  ballot: 'Ballot page',
  results: 'Results',
  status: 'Status:',
  phase: { draft: 'Draft', open: 'Open for votes', closed: 'Voting closed', published: 'Results published' },
  meetingsHeading: 'Your meetings',
  meetingsIntro: 'You are an officer of these meetings: type in their paper ballots.',
  noMeetings: 'You are not an officer of any meeting yet. Ask the meeting’s organiser to assign you.',
  meetingsError: 'We could not load your meetings: {detail}',
  meetingPhase: { planned: 'Planned', voting: 'Voting', closed: 'Closed' },
  meetingWhen: '{place}, starting {date}',
  paper: 'Type in paper ballots',
  adminHeading: 'Staff and records',
  adminIntro: 'As an admin you manage who can sign in here, and you can read the record of everything staff have done.',
  audit: 'Audit record',
  auditHint: 'Who changed what, and when. Check it and download it.',
  accounts: 'Staff accounts',
  accountsHint: 'Invite staff, change what they can do, turn accounts off and on, and send password resets.',
  twoStep: 'Two-step sign-in',
  twoStepHint: 'Protect your own account with a code from an authenticator app.',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });

function signInForm() {
  const email = field({ id: 'email', label: TEXT.email, type: 'email', attrs: { autocomplete: 'username', spellcheck: 'false' } });
  const password = field({ id: 'password', label: TEXT.password, type: 'password', attrs: { autocomplete: 'current-password' } });
  const totp = field({ id: 'totp', label: TEXT.totp, hint: TEXT.totpHint, attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', spellcheck: 'false', maxlength: '12' } });
  totp.wrap.hidden = true;
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', id: 'sign-in-error' });
  const button = h('button', { type: 'submit' }, TEXT.signIn);
  // A wrong email or password is one message for both fields: both are marked invalid and
  // described by it.
  const markBoth = (on) => {
    for (const f of [email, password]) {
      const ids = new Set((f.input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
      if (on) { f.input.setAttribute('aria-invalid', 'true'); ids.add(error.id); } else { ids.delete(error.id); }
      if (ids.size) f.input.setAttribute('aria-describedby', [...ids].join(' ')); else f.input.removeAttribute('aria-describedby');
    }
  };
  const form = h('form', { novalidate: true, id: 'sign-in-form', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    markBoth(false);
    setFieldError(email, '');
    setFieldError(password, '');
    setFieldError(totp, '');
    if (!email.input.value.trim()) { setFieldError(email, TEXT.emailEmpty); email.input.focus(); return; }
    if (!password.input.value) { setFieldError(password, TEXT.passwordEmpty); password.input.focus(); return; }
    if (!totp.wrap.hidden && !totp.input.value.trim()) { setFieldError(totp, TEXT.totpEmpty); totp.input.focus(); return; }
    button.textContent = TEXT.signingIn; // aria-disabled meanwhile (oneAtATime), so focus stays
    try {
      const address = email.input.value.trim();
      // With this browser's device token for the account, if it has one (see api.js).
      const code = totp.wrap.hidden ? '' : totp.input.value.trim();
      const signIn = (device) => api('/auth/sign-in', { method: 'POST', auth: false,
        body: { email: address, password: password.input.value, ...(device ? { device_token: device } : {}), ...(code ? { totp: code } : {}) } });
      let r;
      try {
        r = await signIn(getDeviceToken(address));
      } catch (err) {
        // A stored token the server cannot read (changed by hand): forget it and try without.
        if (err.field !== 'device_token') throw err;
        saveDeviceToken(address, null);
        r = await signIn(null);
      }
      saveDeviceToken(address, r.device_token);
      saveSession(r.token, r.user);
      const next = safeNext();
      if (next) { location.href = next; return; }
      dashboard(r.user);
    } catch (err) {
      if (err.type === 'totp-required') {
        // The password was right: ask for the app's code (keeping the password typed).
        const shown = !totp.wrap.hidden;
        totp.wrap.hidden = false;
        setFieldError(totp, shown ? TEXT.totpWrong : '');
        totp.input.value = '';
        totp.input.focus();
        return;
      }
      let text;
      if (err.status === 401 || err.status === 422 || err.type === 'unauthenticated') text = TEXT.wrong;
      else if (err.status === 429) text = fill(TEXT.rateLimited, { seconds: err.retryAfter || 60 });
      else text = fill(TEXT.error, { detail: err.detail || err.message });
      replace(error, h('p', {}, text));
      error.hidden = false;
      if (text === TEXT.wrong) markBoth(true);
      focusEl(error);
      password.input.value = '';
    } finally {
      button.textContent = TEXT.signIn;
    }
  }) }, error, email.wrap, password.wrap, totp.wrap, h('div', { class: 'btn-row' }, button));
  replace(main, h('h1', {}, TEXT.title), h('h2', {}, TEXT.signInHeading), h('p', {}, TEXT.signInIntro), form);
}

/** An officer's console: the meetings they type paper ballots for. */
async function officerDashboard(user) {
  const status = h('p', { role: 'status' }, TEXT.loading);
  replace(main,
    h('h1', { tabindex: '-1', id: 'console-heading' }, TEXT.roleTitle.officer),
    consoleBar(user, { home: false }),
    h('h2', {}, TEXT.meetingsHeading),
    status,
    h('p', { class: 'muted' }, h('a', { href: 'two-step.html', id: 'two-step-link' }, TEXT.twoStep), ` – ${TEXT.twoStepHint}`));
  document.getElementById('console-heading').focus();
  let meetings;
  try {
    meetings = await api('/meetings/assigned');
  } catch (e) {
    if (e.status === 401) { signInForm(); return; }
    status.replaceWith(h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, fill(TEXT.meetingsError, { detail: e.detail || e.message }))));
    return;
  }
  if (!meetings.length) { status.replaceWith(h('p', {}, TEXT.noMeetings)); return; }
  const enc = encodeURIComponent;
  status.replaceWith(h('p', {}, TEXT.meetingsIntro), h('ul', { class: 'card-list card-list--grid', role: 'list', id: 'meetings' }, meetings.map((m) => h('li', { class: 'card', 'data-id': m.id },
    h('h3', {}, h('a', { href: `paper.html?m=${enc(m.id)}` }, m.title)),
    h('p', { class: 'status-line' }, `${TEXT.status} `, h('strong', { class: 'tag tag--phase' }, TEXT.meetingPhase[m.phase] || m.phase)),
    h('p', {}, m.starts_at ? fill(TEXT.meetingWhen, { place: m.place, date: formatDateTime(m.starts_at) }) : m.place),
    h('p', { style: 'margin:0' }, h('a', { class: 'btn btn--small', href: `paper.html?m=${enc(m.id)}` }, TEXT.paper, h('span', { class: 'visually-hidden' }, `: ${m.title}`)))))));
}

/** An admin's console: staff accounts and the audit record. */
function adminDashboard(user) {
  replace(main,
    h('h1', { tabindex: '-1', id: 'console-heading' }, TEXT.title),
    consoleBar(user, { home: false }),
    h('h2', {}, TEXT.adminHeading),
    h('p', {}, TEXT.adminIntro),
    h('ul', { class: 'card-list card-list--grid', role: 'list', id: 'admin-links' },
      h('li', { class: 'card' }, h('h3', {}, h('a', { href: 'accounts.html', id: 'accounts-link' }, TEXT.accounts)), h('p', {}, TEXT.accountsHint)),
      h('li', { class: 'card' }, h('h3', {}, h('a', { href: 'audit.html', id: 'audit-link' }, TEXT.audit)), h('p', {}, TEXT.auditHint)),
      h('li', { class: 'card' }, h('h3', {}, h('a', { href: 'two-step.html', id: 'two-step-link' }, TEXT.twoStep)), h('p', {}, TEXT.twoStepHint))));
  document.getElementById('console-heading').focus();
}

async function dashboard(user) {
  if (user.role === 'officer') { officerDashboard(user); return; }
  if (user.role === 'admin') { adminDashboard(user); return; }
  const status = h('p', { role: 'status' }, TEXT.loading);
  const title = TEXT.roleTitle[user.role] || TEXT.title;
  document.title = document.title.replace(TEXT.title, title);
  replace(main, 
    h('h1', { tabindex: '-1', id: 'console-heading' }, title),
    consoleBar(user, { home: false }),
    user.role === 'commissioner' ? h('p', { id: 'commissioner-intro' }, TEXT.commissionerIntro) : null,
    h('h2', {}, TEXT.heading),
    user.role === 'organiser' ? h('p', {}, h('a', { class: 'btn', href: 'new.html', id: 'create-link' }, TEXT.create)) : null,
    status,
    h('p', { class: 'muted' }, h('a', { href: 'two-step.html', id: 'two-step-link' }, TEXT.twoStep), ` – ${TEXT.twoStepHint}`));
  document.getElementById('console-heading').focus();
  let list;
  try {
    list = await api('/manage/consultations');
  } catch (e) {
    if (e.status === 401) { signInForm(); return; }
    status.replaceWith(h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, fill(TEXT.listError, { detail: e.detail || e.message }))));
    return;
  }
  const items = Array.isArray(list) ? list : (list && (list.consultations || list.items)) || [];
  if (!items.length) { status.replaceWith(h('p', {}, TEXT.none)); return; }
  const enc = encodeURIComponent;
  const hidden = (t) => h('span', { class: 'visually-hidden' }, `: ${t}`);
  status.replaceWith(h('ul', { class: 'card-list card-list--grid', role: 'list', id: 'consultations' }, items.map((c) => h('li', { class: 'card', 'data-id': c.id },
    h('h3', {}, h('a', { href: `consultation.html?c=${enc(c.id)}` }, c.title)),
    h('p', { class: 'status-line' }, `${TEXT.status} `, h('strong', { class: 'tag tag--phase' }, TEXT.phase[c.phase] || c.phase)),
    h('p', { class: 'muted small' }, `${TEXT.colUpdated}: ${formatDateTime(c.updated_at || c.created_at)}`),
    h('ul', { class: 'card__meta', style: 'margin:0' },
      h('li', {}, h('a', { href: `consultation.html?c=${enc(c.id)}` }, TEXT.manage, hidden(c.title))),
      c.phase !== 'draft' ? h('li', {}, h('a', { href: `../vote.html?c=${enc(c.id)}` }, TEXT.ballot, hidden(c.title))) : null,
      c.phase !== 'draft' ? h('li', {}, h('a', { href: `../results.html?c=${enc(c.id)}` },
        user.role === 'commissioner' && (c.phase === 'closed' || c.phase === 'published') ? TEXT.review : TEXT.results, hidden(c.title))) : null)))));
}

async function start() {
  if (!getToken()) { signInForm(); return; }
  try {
    const me = await api('/auth/me');
    saveSession(getToken(), me);
    const next = safeNext();
    if (next) { location.replace(next); return; }
    dashboard(me);
  } catch {
    clearSession();
    signInForm();
  }
}

start();
