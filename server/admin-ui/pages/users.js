// Users and their accounts on the chosen server: search the users (getUsers), then an account
// list (listAccounts, of the chosen user or all) with block/unblock (updateAccount), resetting a
// blocked PIN's failure count (unblockPin), the admin role (grantRole/revokeRole) and deletion.
import { rp } from '../api.js';
import { h, table, when } from '../dom.js';

export default {
  id: 'users',
  title: 'Users and accounts',
  async render(view, ctx) {
    const sid = ctx.server.serverid;
    const base = `servers/${sid}`;
    const search = h('input', { id: 'user-search', type: 'search', name: 'search', placeholder: 'userid contains…' });
    const form = h('form', { class: 'row', id: 'user-search-form' }, h('label', {}, 'Search users', search), h('button', { type: 'submit' }, 'Search'));
    const usersBox = h('div', { id: 'users' });
    const accountsBox = h('div', { id: 'accounts' });
    let chosen = null;
    const act = async (what, work) => {
      try {
        await work();
        ctx.notify(what);
      } catch (err) {
        ctx.notify(`${what} failed: ${err.message}`, true);
      }
      await showAccounts();
    };

    async function showUsers() {
      const { users, totalnumber } = await rp('GET', `${base}/users`, { query: { search: search.value, sort: 'userid', limit: 100 } });
      usersBox.replaceChildren(h('p', { class: 'muted' }, `${totalnumber} user(s)`), table([
        { title: 'User', cell: (u) => h('a', { href: '#users', 'data-user': u.userid, onclick: (e) => { e.preventDefault(); chosen = u.userid; showUsers(); showAccounts(); } }, u.userid) },
        { title: 'Accounts', cell: (u) => u.numberaccounts },
        { title: 'Last login', cell: (u) => when(u.lastlogin) },
        { title: '', cell: (u) => h('button', { class: 'danger', type: 'button', 'data-delete-user': u.userid, onclick: () => confirm(`Delete ${u.userid} and all their accounts?`) && act(`Deleted ${u.userid}`, async () => { await rp('DELETE', `${base}/users/${encodeURIComponent(u.userid)}`); chosen = null; await showUsers(); }) }, 'Delete user') },
      ], users, (u) => ({ class: u.userid === chosen ? 'selected' : null })));
    }

    async function showAccounts() {
      const [{ accounts, totalnumber }, { roles }] = await Promise.all([
        rp('GET', `${base}/accounts`, { query: { filter: chosen === null ? undefined : `userid=${chosen}`, sort: 'id', limit: 200 } }),
        rp('GET', `${base}/roles`),
      ]);
      const admins = new Set(roles.filter((r) => r.role === 'admin').map((r) => r.accountid));
      accountsBox.replaceChildren(
        h('h2', {}, chosen === null ? `All accounts (${totalnumber})` : `Accounts of ${chosen} (${totalnumber})`,
          chosen === null ? '' : h('button', { type: 'button', id: 'all-accounts', onclick: () => { chosen = null; showUsers(); showAccounts(); } }, 'Show all')),
        table([
          { title: 'Id', cell: (a) => a.id },
          { title: 'User', cell: (a) => a.userid ?? '—' },
          { title: 'Description', cell: (a) => a.description ?? '—' },
          { title: 'State', cell: (a) => [a.blocked ? h('span', { class: 'tag bad' }, 'blocked') : '', a.pinfailures > 0 ? h('span', { class: 'tag bad', 'data-pinfailures': a.pinfailures }, `${a.pinfailures} PIN failure(s)`) : '', admins.has(a.id) ? h('span', { class: 'tag' }, 'admin') : ''] },
          { title: 'Push', cell: (a) => a.push ?? '—' },
          { title: 'Last login', cell: (a) => when(a.lastlogin) },
          { title: 'Actions', cell: (a) => [
            h('button', { type: 'button', 'data-action': a.blocked ? 'unblock' : 'block', onclick: () => act(`${a.blocked ? 'Unblocked' : 'Blocked'} account ${a.id}`, () => rp('PUT', `${base}/accounts/${a.id}`, { query: { blocked: String(!a.blocked) } })) }, a.blocked ? 'Unblock' : 'Block'),
            h('button', { type: 'button', 'data-action': 'unblockpin', disabled: a.pinfailures === 0, onclick: () => act(`Reset the PIN failures of account ${a.id}`, () => rp('POST', `${base}/accounts/${a.id}/unblockpin`)) }, 'Reset PIN failures'),
            sid !== ctx.admin.server ? '' : admins.has(a.id)
              ? h('button', { type: 'button', 'data-action': 'revoke-admin', disabled: a.id === ctx.admin.account && sid === ctx.admin.server, onclick: () => act(`Revoked admin of account ${a.id}`, () => rp('DELETE', `${base}/accounts/${a.id}/roles/admin`)) }, 'Revoke admin')
              : h('button', { type: 'button', 'data-action': 'grant-admin', onclick: () => confirm(`Make account ${a.id} an administrator?`) && act(`Account ${a.id} is an administrator`, () => rp('PUT', `${base}/accounts/${a.id}/roles/admin`)) }, 'Make admin'),
            h('button', { type: 'button', class: 'danger', 'data-action': 'delete', onclick: () => confirm(`Delete account ${a.id}? Its device is told.`) && act(`Deleted account ${a.id}`, () => rp('DELETE', `${base}/accounts/${a.id}`)) }, 'Delete'),
          ] },
        ], accounts, (a) => ({ 'data-account': a.id })));
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      chosen = null;
      showUsers().then(showAccounts).catch((err) => ctx.notify(err.message, true));
    });
    await Promise.all([showUsers(), showAccounts()]);
    view.append(form, usersBox, accountsBox);
  },
};
