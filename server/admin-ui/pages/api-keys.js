// API keys and their permissions: the list (getApiKeys), a new key shown once (createApiKey), revoking one (deleteApiKey).
import { rp } from '../api.js';
import { h, table, when } from '../dom.js';

const PERMISSIONS = ['sessions', 'accounts', 'users', 'servers', 'createserver', 'root'];

export default {
  id: 'apikeys',
  title: 'API keys',
  async render(view, ctx) {
    const { apikeys } = await rp('GET', 'apikeys');
    const name = (sid) => (sid === null ? 'all servers' : ctx.servers.find((s) => s.serverid === sid)?.serverName ?? sid);
    view.append(table([
      { title: 'Id', cell: (k) => h('span', { class: 'mono' }, k.id) },
      { title: 'Description', cell: (k) => k.description ?? '—' },
      { title: 'Permissions', cell: (k) => k.permissions.map((p) => h('div', {}, h('span', { class: 'tag' }, p.acl), ` on ${name(p.server)}`)) },
      { title: 'Created', cell: (k) => when(k.created) },
      { title: '', cell: (k) => h('button', { type: 'button', class: 'danger', 'data-revoke': k.id, onclick: async () => {
        if (!confirm(`Revoke ${k.id}? Its holder is refused from now on.`)) return;
        try {
          await rp('DELETE', `apikeys/${encodeURIComponent(k.id)}`);
          ctx.notify(`Revoked ${k.id}.`);
        } catch (err) {
          ctx.notify(`Not revoked: ${err.message}`, true);
        }
        await ctx.reload();
      } }, 'Revoke') },
    ], apikeys, (k) => ({ 'data-key': k.id })));

    const description = h('input', { id: 'new-key-description', name: 'description' });
    const scope = h('select', { id: 'new-key-scope', name: 'scope' },
      h('option', { value: ctx.server.serverid }, `on ${ctx.server.serverName} only`), h('option', { value: '' }, 'on all servers'));
    const boxes = PERMISSIONS.map((p) => h('label', {}, p, h('input', { type: 'checkbox', name: 'permission', value: p })));
    const form = h('form', { class: 'row', id: 'new-key-form' }, h('label', {}, 'Description', description), h('label', {}, 'Scope', scope), boxes, h('button', { type: 'submit' }, 'Create key'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const permissions = [...form.querySelectorAll('input[name=permission]:checked')].map((b) => b.value).join(',');
      try {
        const made = await rp('POST', 'apikeys', { query: { description: description.value, permissions, serverid: scope.value } });
        await ctx.reload();
        // After the reload: the key is shown this once, above the list.
        document.getElementById('page-apikeys').prepend(h('p', { class: 'secret' }, 'New key (shown only now): ', h('span', { class: 'mono', id: 'new-key-secret' }, made.apikey)));
      } catch (err) {
        ctx.notify(`Not created: ${err.message}`, true);
      }
    });
    view.append(h('h2', {}, 'New API key'), form);
  },
};
