// The console's shell: log in, the navigation, and one view per location hash.
import { api, session, whenUnauthorized, can } from './api.js';
import { h, replace, field, toast } from './dom.js';
import { peopleView, personView } from './people.js';
import { identifyView, verifyView } from './recognition.js';
import { systemView } from './system.js';
import { accountsView, keysView, passwordView } from './accounts.js';

const main = document.getElementById('main');

const routes = [
  [/^#\/people\/(.+)$/, (m) => personView(decodeURIComponent(m[1]))],
  [/^#\/people(?:\?(.*))?$/, (m) => peopleView(m[1] || '')],
  [/^#\/identify$/, () => identifyView()],
  [/^#\/verify$/, () => verifyView()],
  [/^#\/system$/, () => systemView()],
  [/^#\/accounts$/, () => accountsView()],
  [/^#\/keys$/, () => keysView()],
  [/^#\/password$/, () => passwordView()],
];

async function render() {
  const current = session.load();
  updateHeader(current);
  if (!current) {
    replace(main, loginView());
    return;
  }
  const hash = location.hash || '#/people';
  const route = routes.find(([pattern]) => pattern.test(hash));
  if (!route) {
    location.hash = '#/people';
    return;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === hash.replace(/^(#\/people)[/?].*/, '$1')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const view = await route[1](hash.match(route[0]));
    replace(main, view);
  } catch (e) {
    replace(main, h('h1', { tabindex: '-1' }, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, e.message));
  }
  const heading = main.querySelector('h1');
  if (heading) heading.focus();
}

function updateHeader(current) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const logout = document.getElementById('logout');
  nav.hidden = !current;
  logout.hidden = !current;
  who.textContent = current ? `${current.username} (${current.role})` : '';
  for (const link of nav.querySelectorAll('[data-role]')) link.hidden = !can(link.dataset.role);
}

function loginView() {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card narrow', id: 'login-form',
    onsubmit: async (event) => {
      event.preventDefault();
      message.textContent = '';
      try {
        await logIn(username.value, password.value);
      } catch (e) {
        message.textContent = e.message;
      }
    } },
  h('h1', { tabindex: '-1' }, 'Log in'),
  field('Username', username), field('Password', password),
  h('button', { type: 'submit', class: 'primary' }, 'Log in'), message);

  // A fresh server has no account: the first one registered becomes its admin.
  const newName = h('input', { name: 'new-username', autocomplete: 'username', required: true });
  const newPassword = h('input', { name: 'new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const firstMessage = h('p', { role: 'status' });
  const first = h('details', { class: 'card narrow' },
    h('summary', {}, 'First start? Create the admin account'),
    h('form', { onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api('POST', '/v1/accounts', { json: { username: newName.value, password: newPassword.value }, anonymous: true });
        await logIn(newName.value, newPassword.value);
      } catch (e) {
        firstMessage.textContent = e.status === 401 || e.status === 403 ? 'This server already has accounts: ask an admin for one.' : e.message;
      }
    } }, field('Username', newName), field('Password (8 characters or more)', newPassword),
    h('button', { type: 'submit' }, 'Create and log in'), firstMessage));
  return h('div', {}, form, first);
}

async function logIn(username, password) {
  const token = await api('POST', '/v1/auth/login', { json: { username, password }, anonymous: true });
  session.save({ token: token.access_token, role: token.role, username });
  const me = await api('GET', '/v1/accounts/me');
  session.save({ token: token.access_token, role: me.role, username: me.username });
  if (!location.hash || location.hash === '#/') location.hash = '#/people';
  await render();
}

whenUnauthorized(() => {
  session.clear();
  toast('Your session ended: log in again.', 'error');
  render();
});

// Logging out ends the account's tokens on the server too, not only in this tab.
document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/v1/logout'); } catch { /* the session ends here either way */ }
  session.clear();
  render();
});
window.addEventListener('hashchange', render);
render();
