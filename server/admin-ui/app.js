// The console's shell: signs in (login.js), then shows the pages of pages.js, one at a time by the
// URL's #fragment, for the server chosen in the header.
import { api, rp } from './api.js';
import { h } from './dom.js';
import { showSignIn } from './login.js';
import { PAGES } from './pages.js';

const $ = (id) => document.getElementById(id);
const main = $('main');
const noticeEl = $('notice');
let leaving = [];
let noticeTimer;

const ctx = {
  admin: null,
  /** The chosen virtual server: { serverid, serverName, … } as the REST API answers it. */
  server: null,
  servers: [],
  notify(text, isError = false) {
    noticeEl.textContent = text;
    noticeEl.className = isError ? 'error' : '';
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { noticeEl.textContent = ''; }, 6000);
  },
  onLeave(fn) {
    leaving.push(fn);
  },
  /** Reloads the server list (after an edit) and shows the page again. */
  async refreshServers() {
    ctx.servers = (await rp('GET', 'servers')).servers;
    ctx.server = ctx.servers.find((s) => s.serverid === ctx.server?.serverid) ?? ctx.servers[0] ?? null;
    const select = $('server');
    select.replaceChildren(...ctx.servers.map((s) => h('option', { value: s.serverid, selected: s.serverid === ctx.server?.serverid }, `${s.serverName} (${s.serverid.slice(0, 6)}…)`)));
  },
};

function leave() {
  for (const fn of leaving.splice(0)) fn();
}

async function show() {
  leave();
  const page = PAGES.find((p) => `#${p.id}` === location.hash) ?? PAGES[0];
  document.body.dataset.page = page.id;
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.getAttribute('href') === `#${page.id}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const view = h('section', { id: `page-${page.id}` }, h('h2', {}, page.title));
    await page.render(view, ctx);
    main.replaceChildren(view);
  } catch (err) {
    if (err.status === 401) return signIn();
    main.replaceChildren(h('p', { class: 'error' }, `Could not load: ${err.message}`));
  }
}

ctx.reload = show;

function signIn() {
  leave();
  for (const id of ['nav', 'server-picker', 'signout']) $(id).hidden = true;
  $('who').textContent = '';
  showSignIn(main, start);
}

async function start() {
  try {
    ctx.admin = (await api('GET', 'session')).admin;
  } catch (err) {
    if (err.status === 401) return signIn();
    throw err;
  }
  await ctx.refreshServers();
  $('who').textContent = `${ctx.admin.userid ?? 'account'} #${ctx.admin.account}`;
  $('nav').replaceChildren(...PAGES.map((p) => h('a', { href: `#${p.id}` }, p.title)));
  for (const id of ['nav', 'server-picker', 'signout']) $(id).hidden = false;
  await show();
}

$('server').addEventListener('change', (e) => {
  ctx.server = ctx.servers.find((s) => s.serverid === e.target.value) ?? null;
  show();
});
$('signout').addEventListener('click', async () => {
  await api('POST', 'logout').catch(() => {});
  signIn();
});
window.addEventListener('hashchange', () => ctx.admin && show());
start();
