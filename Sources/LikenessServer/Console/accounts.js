// Accounts (admins) and the caller's own API keys.
import { api, session } from './api.js';
import { h, field, toast, date } from './dom.js';

const ROLES = ['viewer', 'operator', 'admin'];
const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

export async function accountsView() {
  const accounts = await api('GET', '/v1/accounts');
  const me = session.load();
  const rows = accounts.map((a) => {
    const role = h('select', { 'aria-label': `Role of ${a.username}` }, ROLES.map((r) => h('option', { value: r, selected: r === a.role }, r)));
    role.addEventListener('change', () => change(a, { role: role.value }));
    const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, 'aria-label': `New password for ${a.username}` });
    return h('tr', { 'data-account': a.username },
      h('td', {}, a.username, a.username === me.username ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', {}, role),
      h('td', {}, a.disabled ? 'disabled' : 'enabled'),
      h('td', {}, date(a.created_at)),
      h('td', { class: 'row' },
        h('button', { type: 'button', class: a.disabled ? '' : 'danger small',
          onclick: () => change(a, { disabled: !a.disabled }) }, a.disabled ? 'Enable' : 'Disable'),
        h('form', { class: 'inline',
          onsubmit: (event) => { event.preventDefault(); change(a, { password: password.value }); } },
        password, h('button', { type: 'submit', class: 'small' }, 'Reset password')),
        deleteButton(a)));
  });
  return h('section', {},
    h('h1', { tabindex: '-1' }, 'Accounts'),
    h('div', { class: 'scroll' }, h('table', { id: 'accounts-table' },
      h('thead', {}, h('tr', {}, ['Username', 'Role', 'State', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    newAccountForm());
}

// Two steps, as for people: a slip of the mouse deletes nothing.
function deleteButton(account) {
  const confirm = h('button', { type: 'button', class: 'danger small', hidden: true,
    onclick: async () => {
      try {
        await api('DELETE', `/v1/accounts/${account.id}`);
        toast(`${account.username} deleted.`);
      } catch (e) { toast(e.message, 'error'); }
      refresh();
    } }, `Yes, delete ${account.username}`);
  const ask = h('button', { type: 'button', class: 'danger small',
    onclick: () => { ask.hidden = true; confirm.hidden = false; confirm.focus(); } }, 'Delete');
  return h('span', {}, ask, confirm);
}

async function change(account, patch) {
  try {
    await api('PATCH', `/v1/accounts/${account.id}`, { json: patch });
    toast(`${account.username} updated.`);
  } catch (e) {
    toast(e.message, 'error');
  }
  refresh();
}

function newAccountForm() {
  const username = h('input', { name: 'username', required: true, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r }, r)));
  return h('form', { class: 'card', id: 'new-account',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api('POST', '/v1/accounts', { json: { username: username.value.trim(), password: password.value, role: role.value } });
        toast(`Account ${username.value} created.`);
        refresh();
      } catch (e) { toast(e.message, 'error'); }
    } },
  h('h2', {}, 'New account'),
  h('div', { class: 'grid' }, field('Username', username), field('Password (8 characters or more)', password), field('Role', role)),
  h('button', { type: 'submit', class: 'primary' }, 'Create account'));
}

export async function keysView() {
  const keys = await api('GET', '/v1/api-keys');
  const secret = h('div', { 'aria-live': 'polite' });
  const rows = keys.map((k) => h('tr', {},
    h('td', {}, k.name), h('td', {}, h('code', {}, `${k.prefix}…`)),
    h('td', {}, date(k.created_at)), h('td', {}, k.expires_at ? date(k.expires_at) : 'never'),
    h('td', {}, k.revoked ? 'revoked' : h('button', { type: 'button', class: 'danger small',
      onclick: async () => {
        try { await api('DELETE', `/v1/api-keys/${k.id}`); toast(`Key ${k.name} revoked.`); } catch (e) { toast(e.message, 'error'); }
        refresh();
      } }, 'Revoke'))));

  const name = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const days = h('input', { name: 'expires_in_days', type: 'number', min: 1, max: 3650, inputmode: 'numeric' });
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const form = h('form', { class: 'card', id: 'new-key',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const key = await api('POST', '/v1/api-keys', { json: { name: name.value.trim(), password: password.value,
          expires_in_days: days.value ? Number(days.value) : undefined } });
        password.value = '';
        // The secret is shown once, here, and kept nowhere by the page.
        secret.replaceChildren(h('div', { class: 'card known' },
          h('p', {}, h('strong', {}, 'Copy this key now: it is not shown again.')),
          h('p', {}, h('code', { class: 'secret' }, key.key)),
          h('p', { class: 'muted' }, 'Send it as: Authorization: Bearer <key>')));
      } catch (e) { toast(e.message, 'error'); }
    } },
  h('h2', {}, 'New API key'),
  h('div', { class: 'grid' }, field('Name', name), field('Expires after (days, optional)', days), field('Your password', password)),
  h('button', { type: 'submit', class: 'primary' }, 'Create key'));

  return h('section', {},
    h('h1', { tabindex: '-1' }, 'API keys'),
    h('p', { class: 'muted' }, 'Keys act with your role, for scripts and services; revoke one the moment it leaks.'),
    keys.length ? h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Prefix', 'Created', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))) : h('p', { class: 'muted' }, 'No key yet.'),
    form, secret);
}

// The caller's own password: the current one confirms it; every other session ends, and this
// tab carries on with the fresh token the server answers.
export async function passwordView() {
  const current = h('input', { type: 'password', name: 'current_password', required: true, autocomplete: 'current-password' });
  const next = h('input', { type: 'password', name: 'new_password', required: true, minlength: 8, autocomplete: 'new-password' });
  const again = h('input', { type: 'password', name: 'new_password_again', required: true, minlength: 8, autocomplete: 'new-password' });
  const message = h('p', { role: 'status' });
  const form = h('form', { class: 'card narrow', id: 'password-form',
    onsubmit: async (event) => {
      event.preventDefault();
      message.className = 'error';
      if (next.value !== again.value) { message.textContent = 'The two new passwords differ.'; return; }
      try {
        const token = await api('POST', '/v1/accounts/me/password', { json: { current_password: current.value, new_password: next.value } });
        const me = session.load();
        session.save({ ...me, token: token.access_token });
        form.reset();
        message.className = '';
        message.textContent = 'Password changed; every other session of this account has ended.';
      } catch (e) { message.textContent = e.message; }
    } },
  h('h1', { tabindex: '-1' }, 'Change your password'),
  field('Current password', current), field('New password (8 characters or more)', next), field('New password again', again),
  h('button', { type: 'submit', class: 'primary' }, 'Change password'), message);
  return h('section', {}, form);
}
