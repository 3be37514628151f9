// Two-step sign-in for your own account: a secret for an authenticator app, confirmed with
// the app's first code. Afterwards signing in needs the app's code as well as the password.
import { api, saveSession, getToken } from './api.js';
import { h, field, setFieldError, replace, oneAtATime, focusEl } from './dom.js';
import { layout } from './layout.js';
import { fill } from './format.js';
import { requireUser, consoleBar } from './console-common.js';

const TEXT = {
  title: 'Two-step sign-in',
  intro: 'With two-step sign-in, signing in needs your password and a 6-digit code from an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator or FreeOTP). Someone who learns your password still cannot sign in.',
  on: 'Two-step sign-in is on for {email}. If you lose your phone, ask an admin to turn it off, then set it up again.',
  required: 'Admins must use two-step sign-in here. Set it up to carry on.',
  start: 'Set up two-step sign-in',
  again: 'Set up a new phone',
  starting: 'Preparing…',
  step1: '1. In your authenticator app, add an account and scan this QR code with it, or choose to type a key and type the key below.',
  qrAlt: 'QR code for your authenticator app. If you cannot scan it, type the key below instead.',
  keyLabel: 'Key for the app',
  step2: 'Or, if the app can take a setup address, use this one:',
  addressLabel: 'Setup address',
  step3: '2. Type the 6-digit code the app now shows for this account:',
  code: 'Code from the app',
  confirm: 'Turn on two-step sign-in',
  confirming: 'Checking…',
  codeEmpty: 'Type the 6-digit code from the app.',
  done: 'Two-step sign-in is now on. Next time you sign in, have your phone ready.',
  error: 'That did not work: {detail}',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });

async function start() {
  const user = await requireUser();
  if (!user) return;
  const result = h('div', { id: 'two-step-result', tabindex: '-1', hidden: true });
  const setupBox = h('div', { id: 'two-step-setup' });
  const begin = h('button', { type: 'button', id: 'start-two-step' }, user.totp ? TEXT.again : TEXT.start);
  begin.addEventListener('click', oneAtATime(async () => {
    begin.textContent = TEXT.starting;
    try {
      const setup = await api('/auth/totp/setup', { method: 'POST' });
      showSetup(setup, setupBox, result);
    } catch (e) {
      replace(result, h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message }))));
      result.hidden = false;
      focusEl(result);
    } finally {
      begin.textContent = user.totp ? TEXT.again : TEXT.start;
    }
  }));
  replace(main,
    h('h1', { tabindex: '-1', id: 'two-step-heading' }, TEXT.title),
    consoleBar(user),
    h('p', {}, TEXT.intro),
    user.totp ? h('div', { class: 'notice notice--success', id: 'two-step-on' }, h('p', {}, fill(TEXT.on, user))) : null,
    !user.totp && user.role === 'admin' ? h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.required)) : null,
    h('div', { class: 'btn-row' }, begin),
    setupBox,
    result);
}

function showSetup(setup, box, result) {
  const code = field({ id: 'totp-code', label: TEXT.code, attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', spellcheck: 'false', maxlength: '12' } });
  const button = h('button', { type: 'submit', id: 'confirm-two-step' }, TEXT.confirm);
  const form = h('form', { novalidate: true, id: 'two-step-form', onsubmit: oneAtATime(async () => {
    setFieldError(code, '');
    if (!code.input.value.trim()) { setFieldError(code, TEXT.codeEmpty); code.input.focus(); return; }
    button.textContent = TEXT.confirming;
    try {
      const me = await api('/auth/totp/confirm', { method: 'POST', body: { code: code.input.value.trim() } });
      saveSession(getToken(), me);
      replace(box);
      replace(result, h('div', { class: 'notice notice--success' }, h('p', {}, TEXT.done)));
      result.hidden = false;
      focusEl(result);
    } catch (e) {
      if (e.field === 'code') { setFieldError(code, e.detail); code.input.focus(); }
      else {
        replace(result, h('div', { class: 'notice notice--error' }, h('p', {}, fill(TEXT.error, { detail: e.detail || e.message }))));
        result.hidden = false;
        focusEl(result);
      }
    } finally {
      button.textContent = TEXT.confirm;
    }
  }) }, code.wrap, h('div', { class: 'btn-row' }, button));
  replace(box,
    h('p', {}, TEXT.step1),
    setup.qr ? h('img', { id: 'totp-qr', src: setup.qr, alt: TEXT.qrAlt, width: 200, height: 200, style: 'background:#fff;padding:8px' }) : null,
    h('div', { class: 'field' }, h('label', { for: 'totp-secret' }, TEXT.keyLabel),
      h('input', { id: 'totp-secret', type: 'text', readonly: true, value: setup.secret, spellcheck: 'false', class: 'letter-code' })),
    h('p', {}, TEXT.step2),
    h('div', { class: 'field' }, h('label', { for: 'totp-address' }, TEXT.addressLabel),
      h('input', { id: 'totp-address', type: 'text', readonly: true, value: setup.otpauth_url, spellcheck: 'false' })),
    h('p', {}, TEXT.step3),
    form);
  code.input.focus();
}

start();
