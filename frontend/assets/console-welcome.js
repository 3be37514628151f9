// A one-time link from an admin (an invitation, or a password reset): set your password.
// The link's token is after # so it never reaches a server log; it is cleared from the
// address bar at once.
import { api } from './api.js';
import { h, field, setFieldError, replace, oneAtATime, focusEl } from './dom.js';
import { layout } from './layout.js';
import { fill, formatDateTime } from './format.js';

const TEXT = {
  title: 'Set your password',
  checking: 'Checking your link…',
  inviteIntro: 'Welcome. You have been invited to the council’s consultation console as {email}. Choose a password to finish.',
  resetIntro: 'Choose a new password for {email}. Your old password stops working once you save this one.',
  expires: 'This link works once, until {date}.',
  password: 'New password',
  passwordHint: 'At least 10 characters. A few words you will remember make a good password.',
  again: 'Type the new password again',
  save: 'Save my password',
  saving: 'Saving…',
  tooShort: 'Your password needs at least 10 characters.',
  differ: 'The two passwords are different. Type the same password in both boxes.',
  done: 'Your password is saved. You can now sign in with {email}.',
  signIn: 'Go to sign in',
  noLink: 'This page needs the whole link from your invitation. Open the link from the message you were sent, or ask an admin for a new one.',
  gone: 'This link does not work any more: it has been used, replaced by a newer one, or it is more than 72 hours old. Ask an admin to send you a new one.',
  error: 'We could not save your password: {detail}',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });

function message(kind, text, extra = null) {
  replace(main, h('h1', {}, TEXT.title), h('div', { class: `notice notice--${kind}`, tabindex: '-1', id: 'welcome-message' }, h('p', {}, text)), extra);
  focusEl(document.getElementById('welcome-message'));
}

async function start() {
  const token = location.hash.replace(/^#/, '').trim();
  if (token) history.replaceState(null, '', location.pathname);
  if (!/^[0-9a-fA-F]{64}$/.test(token)) { message('warning', TEXT.noLink); return; }
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.checking));
  let link;
  try {
    link = await api('/invitations/look', { method: 'POST', auth: false, body: { token } });
  } catch (e) {
    message('warning', e.status === 404 ? TEXT.gone : fill(TEXT.error, { detail: e.detail || e.message }));
    return;
  }
  const password = field({ id: 'new-password', label: TEXT.password, type: 'password', hint: TEXT.passwordHint, attrs: { autocomplete: 'new-password' } });
  const again = field({ id: 'new-password-again', label: TEXT.again, type: 'password', attrs: { autocomplete: 'new-password' } });
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', id: 'welcome-error' });
  const button = h('button', { type: 'submit', id: 'save-password' }, TEXT.save);
  const form = h('form', { novalidate: true, id: 'welcome-form', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    setFieldError(password, '');
    setFieldError(again, '');
    if ([...password.input.value].length < 10) { setFieldError(password, TEXT.tooShort); password.input.focus(); return; }
    if (password.input.value !== again.input.value) { setFieldError(again, TEXT.differ); again.input.focus(); return; }
    button.textContent = TEXT.saving;
    try {
      await api('/invitations/accept', { method: 'POST', auth: false, body: { token, password: password.input.value } });
      message('success', fill(TEXT.done, { email: link.email }), h('p', {}, h('a', { class: 'btn', href: 'index.html', id: 'go-sign-in' }, TEXT.signIn)));
    } catch (e) {
      if (e.field === 'password') { setFieldError(password, e.detail); password.input.focus(); }
      else if (e.status === 404) message('warning', TEXT.gone);
      else { replace(error, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message }))); error.hidden = false; focusEl(error); }
    } finally {
      button.textContent = TEXT.save;
    }
  }) }, error, password.wrap, again.wrap, h('div', { class: 'btn-row' }, button));
  replace(main,
    h('h1', { tabindex: '-1', id: 'welcome-heading' }, TEXT.title),
    h('p', {}, fill(link.purpose === 'reset' ? TEXT.resetIntro : TEXT.inviteIntro, { email: link.email })),
    h('p', { class: 'muted' }, fill(TEXT.expires, { date: formatDateTime(link.expires_at) })),
    form);
  password.input.focus();
}

start();
