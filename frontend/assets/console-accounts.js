// Staff accounts, for admins: invite someone (they set their own password with a one-time
// link), change roles, turn accounts off and on, send password resets.
import { api } from './api.js';
import { h, field, setFieldError, replace, oneAtATime, focusEl, announce } from './dom.js';
import { layout } from './layout.js';
import { fill, formatDateTime } from './format.js';
import { requireUser, consoleBar } from './console-common.js';

const TEXT = {
  title: 'Staff accounts',
  intro: 'Everyone who can sign in to this console. New staff get a one-time link to set their own password; it works once, for 72 hours.',
  notAdmin: 'Only admins can manage staff accounts.',
  inviteHeading: 'Invite a member of staff',
  email: 'Email address',
  role: 'What they can do',
  roles: {
    admin: 'Admin – manages staff accounts and reads the audit record',
    organiser: 'Organiser – builds and runs consultations and meetings',
    commissioner: 'Commissioner – reads results, decides and publishes',
    officer: 'Officer – types in paper ballots at their meetings',
  },
  roleShort: { admin: 'Admin', organiser: 'Organiser', commissioner: 'Commissioner', officer: 'Officer' },
  invite: 'Invite',
  inviting: 'Inviting…',
  emailEmpty: 'Type their email address.',
  linkHeading: 'Send this link to {email}',
  linkIntro: 'It lets them set their password once, until {date}. This is the only time it is shown: copy it now.',
  linkLabel: 'One-time link',
  copy: 'Copy the link',
  copied: 'Link copied.',
  listHeading: 'Accounts',
  loading: 'Loading…',
  error: 'We could not load the accounts: {detail}',
  colEmail: 'Email address',
  colRole: 'Role',
  colState: 'State',
  colActions: 'Actions',
  active: 'Active',
  disabled: 'Turned off',
  invited: 'Invited, no password yet',
  twoStepOn: 'two-step sign-in on',
  you: '(you)',
  changeRole: 'Change role',
  roleFor: 'Role for {email}',
  disable: 'Turn off',
  enable: 'Turn on',
  reset: 'Send a password reset',
  totpOff: 'Turn off two-step sign-in',
  done: 'Saved: {email}.',
  actionError: 'That did not work: {detail}',
  table: 'Staff accounts',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
let me = null;
let tbody = null;
let listStatus = null;
let linkBox = null;

function showLink(issued) {
  const input = h('input', { id: 'invite-link', type: 'text', readonly: true, value: issued.link, style: 'width:100%;max-width:none' });
  const copied = h('p', { role: 'status', id: 'copy-status' });
  replace(linkBox,
    h('div', { class: 'notice notice--success' },
      h('h3', { tabindex: '-1', id: 'link-heading' }, fill(TEXT.linkHeading, { email: issued.account.email })),
      h('p', {}, fill(TEXT.linkIntro, { date: formatDateTime(issued.expires_at) })),
      h('div', { class: 'field' }, h('label', { for: 'invite-link' }, TEXT.linkLabel), input),
      h('div', { class: 'btn-row' }, h('button', { type: 'button', id: 'copy-link', onclick: async () => {
        input.select();
        try { await navigator.clipboard.writeText(issued.link); } catch { document.execCommand?.('copy'); }
        copied.textContent = TEXT.copied;
      } }, TEXT.copy)),
      copied));
  linkBox.hidden = false;
  focusEl(document.getElementById('link-heading'));
}

function inviteForm() {
  const email = field({ id: 'invite-email', label: TEXT.email, type: 'email', attrs: { autocomplete: 'off', spellcheck: 'false' } });
  const role = field({ id: 'invite-role', label: TEXT.role, options: Object.entries(TEXT.roles), value: 'organiser' });
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1', id: 'invite-error' });
  const button = h('button', { type: 'submit', id: 'invite-button' }, TEXT.invite);
  return h('form', { novalidate: true, id: 'invite-form', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    setFieldError(email, '');
    if (!email.input.value.trim()) { setFieldError(email, TEXT.emailEmpty); email.input.focus(); return; }
    button.textContent = TEXT.inviting;
    try {
      const issued = await api('/accounts', { method: 'POST', body: { email: email.input.value.trim(), role: role.input.value } });
      email.input.value = '';
      showLink(issued);
      await loadList();
    } catch (e) {
      if (e.field === 'email') { setFieldError(email, e.detail); email.input.focus(); }
      else { replace(error, h('p', {}, fill(TEXT.actionError, { detail: e.detail || e.message }))); error.hidden = false; focusEl(error); }
    } finally {
      button.textContent = TEXT.invite;
    }
  }) }, error, email.wrap, role.wrap, h('div', { class: 'btn-row' }, button));
}

async function act(run, email) {
  try {
    const result = await run();
    if (result && result.link) showLink(result);
    else announce(fill(TEXT.done, { email }));
    await loadList();
  } catch (e) {
    listStatus.textContent = fill(TEXT.actionError, { detail: e.detail || e.message });
    focusEl(listStatus);
  }
}

function row(a) {
  const self = me && a.id === me.id;
  const state = a.disabled_at ? TEXT.disabled : (a.password_set ? TEXT.active : TEXT.invited);
  const enc = encodeURIComponent(a.id);
  const roleSelect = h('select', { id: `role-${a.id}`, 'aria-label': fill(TEXT.roleFor, { email: a.email }), disabled: self ? true : null },
    Object.keys(TEXT.roleShort).map((r) => h('option', { value: r, selected: r === a.role ? true : null }, TEXT.roleShort[r])));
  const actions = self ? h('p', { class: 'muted small', style: 'margin:0' }, TEXT.you) : h('div', { class: 'btn-row btn-row--tight', style: 'margin:0' },
    h('button', { type: 'button', class: 'btn--small btn--secondary', onclick: oneAtATime(() => act(() => api(`/accounts/${enc}`, { method: 'PATCH', body: { role: roleSelect.value } }), a.email)) },
      TEXT.changeRole, h('span', { class: 'visually-hidden' }, `: ${a.email}`)),
    h('button', { type: 'button', class: 'btn--small btn--secondary', 'data-action': a.disabled_at ? 'enable' : 'disable',
      onclick: oneAtATime(() => act(() => api(`/accounts/${enc}`, { method: 'PATCH', body: { disabled: !a.disabled_at } }), a.email)) },
      a.disabled_at ? TEXT.enable : TEXT.disable, h('span', { class: 'visually-hidden' }, `: ${a.email}`)),
    h('button', { type: 'button', class: 'btn--small btn--secondary', 'data-action': 'reset',
      onclick: oneAtATime(() => act(() => api(`/accounts/${enc}/reset`, { method: 'POST' }), a.email)) },
      TEXT.reset, h('span', { class: 'visually-hidden' }, `: ${a.email}`)),
    a.totp ? h('button', { type: 'button', class: 'btn--small btn--secondary', 'data-action': 'totp-off',
      onclick: oneAtATime(() => act(() => api(`/accounts/${enc}/totp`, { method: 'DELETE' }), a.email)) },
      TEXT.totpOff, h('span', { class: 'visually-hidden' }, `: ${a.email}`)) : null);
  return h('tr', { 'data-email': a.email },
    h('th', { scope: 'row', style: 'overflow-wrap:anywhere' }, a.email),
    h('td', {}, roleSelect),
    h('td', {}, state, a.totp ? h('span', { class: 'muted small' }, ` (${TEXT.twoStepOn})`) : null),
    h('td', {}, actions));
}

async function loadList() {
  try {
    const accounts = await api('/accounts');
    replace(tbody, ...accounts.map(row));
    listStatus.textContent = '';
  } catch (e) {
    listStatus.textContent = fill(TEXT.error, { detail: e.detail || e.message });
  }
}

async function start() {
  const user = await requireUser();
  if (!user) return;
  me = user;
  if (user.role !== 'admin') {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.notAdmin)));
    return;
  }
  linkBox = h('div', { id: 'link-box', hidden: true });
  listStatus = h('p', { role: 'status', id: 'accounts-status', tabindex: '-1' }, TEXT.loading);
  tbody = h('tbody', {});
  replace(main,
    h('h1', { tabindex: '-1', id: 'accounts-heading' }, TEXT.title),
    consoleBar(user),
    h('p', {}, TEXT.intro),
    h('h2', {}, TEXT.inviteHeading),
    inviteForm(),
    linkBox,
    h('h2', {}, TEXT.listHeading),
    listStatus,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table--wide', id: 'accounts-table' },
      h('caption', { class: 'visually-hidden' }, TEXT.table),
      h('thead', {}, h('tr', {}, [TEXT.colEmail, TEXT.colRole, TEXT.colState, TEXT.colActions].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)));
  await loadList();
}

start();
