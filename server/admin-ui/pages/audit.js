// The chosen server's audit log (listAudit), newest first: filters by action, account and outcome,
// and "Older" pages on with the answer's `next` (server-api.md §13).
import { rp } from '../api.js';
import { h, table, when } from '../dom.js';

const actorText = (a) => (a.id === null ? a.kind : `${a.kind} ${a.id}`);
const detailText = (d) => Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ');

export default {
  id: 'audit',
  title: 'Audit log',
  async render(view, ctx) {
    const base = `servers/${ctx.server.serverid}`;
    const action = h('input', { id: 'audit-action', name: 'action', placeholder: 'e.g. device.pinBlocked' });
    const account = h('input', { id: 'audit-account', name: 'account', inputmode: 'numeric', placeholder: 'account id' });
    const outcome = h('select', { id: 'audit-outcome', name: 'outcome' }, ['', 'ok', 'refused', 'failed'].map((o) => h('option', { value: o }, o || 'any outcome')));
    const form = h('form', { class: 'row', id: 'audit-filter' }, action, account, outcome, h('button', { type: 'submit' }, 'Filter'));
    const list = h('div', { id: 'audit-entries' });
    let before = null;

    async function show(more) {
      if (!more) before = null;
      const query = { limit: 50, before, action: action.value.trim(), account: account.value.trim(), outcome: outcome.value };
      let page;
      try {
        page = await rp('GET', `${base}/audit`, { query });
      } catch (err) {
        ctx.notify(`Audit log: ${err.message}`, true);
        return;
      }
      before = page.next;
      const rows = table([
        { title: 'When', cell: (e) => when(e.time) },
        { title: 'Action', cell: (e) => e.action },
        { title: 'Outcome', cell: (e) => e.outcome },
        { title: 'Who', cell: (e) => actorText(e.actor) },
        { title: 'Account', cell: (e) => e.account ?? '—' },
        { title: 'From', cell: (e) => e.ip ?? '—' },
        { title: 'Detail', cell: (e) => detailText(e.detail) },
      ], page.entries, (e) => ({ 'data-action': e.action, 'data-outcome': e.outcome }));
      const older = page.next === null ? null : h('button', { type: 'button', id: 'audit-older', onclick: () => show(true) }, 'Older');
      if (more) list.append(rows, older ?? '');
      else list.replaceChildren(page.entries.length === 0 ? h('p', { id: 'audit-empty' }, 'No entry.') : rows, older ?? '');
      list.querySelectorAll('#audit-older').forEach((b, i, all) => i < all.length - 1 && b.remove());
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void show(false);
    });
    view.append(h('p', { class: 'muted' }, 'Relying-party and console actions, and the device API\'s security events, on this server.'), form, list);
    await show(false);
  },
};
