// Virtual servers and their parameters: the list, the chosen server's settings (updateServer), a new server (createServer).
import { rp } from '../api.js';
import { h, table } from '../dom.js';

const FIELDS = [
  ['serverName', 'Name', 'text'],
  ['pingTime', 'Ping time (s, 0: no continuous login)', 'number'],
  ['pinTimeout', 'PIN timeout (min)', 'number'],
  ['pinAttemptLimit', 'PIN attempt limit', 'number'],
];

export default {
  id: 'servers',
  title: 'Virtual servers',
  async render(view, ctx) {
    view.append(table([
      { title: 'Name', cell: (s) => s.serverName },
      { title: 'Id', cell: (s) => h('span', { class: 'mono' }, s.serverid) },
      { title: 'Accounts', cell: (s) => s.accountCount },
      { title: 'Ping (s)', cell: (s) => s.pingTime },
      { title: 'PIN timeout (min)', cell: (s) => s.pinTimeout },
      { title: 'PIN attempts', cell: (s) => s.pinAttemptLimit },
    ], ctx.servers, (s) => ({ class: s.serverid === ctx.server?.serverid ? 'selected' : null })));
    const s = ctx.server;
    if (s) {
      const inputs = Object.fromEntries(FIELDS.map(([key, , type]) => [key, h('input', { id: `server-${key}`, name: key, type, value: s[key], required: true })]));
      const logo = h('input', { id: 'server-logo', name: 'logo', type: 'text', value: s.logo ?? '', placeholder: 'https://… or empty' });
      const form = h('form', { class: 'row', id: 'server-form' },
        FIELDS.map(([key, label]) => h('label', {}, label, inputs[key])),
        h('label', {}, 'Logo URL', logo),
        h('button', { type: 'submit' }, 'Save'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = { serverName: inputs.serverName.value, logo: logo.value === '' ? null : logo.value };
        for (const [key, , type] of FIELDS) if (type === 'number') body[key] = Number(inputs[key].value);
        try {
          await rp('PUT', `servers/${s.serverid}`, { body });
          await ctx.refreshServers();
          ctx.notify(`Saved ${body.serverName}.`);
          await ctx.reload();
        } catch (err) {
          ctx.notify(`Not saved: ${err.message}`, true);
        }
      });
      view.append(h('h2', {}, `Parameters of ${s.serverName}`), form);
    }
    const name = h('input', { id: 'new-server-name', name: 'serverName', required: true });
    const create = h('form', { class: 'row', id: 'new-server-form' }, h('label', {}, 'Name', name), h('button', { type: 'submit' }, 'Create server'));
    create.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const made = await rp('POST', 'servers', { body: { serverName: name.value } });
        await ctx.refreshServers();
        ctx.notify(`Created ${made.serverName}; choose it in the header.`);
        await ctx.reload();
      } catch (err) {
        ctx.notify(`Not created: ${err.message}`, true);
      }
    });
    view.append(h('h2', {}, 'New virtual server'), create);
  },
};
