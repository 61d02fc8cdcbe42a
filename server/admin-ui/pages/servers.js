// Virtual servers and their parameters: the list, the chosen server's settings (updateServer), a new server (createServer).
import { rp } from '../api.js';
import { h, table } from '../dom.js';

const FIELDS = [
  ['serverName', 'Name', 'text'],
  ['pingTime', 'Ping time (s, 0: no continuous login)', 'number'],
  ['pinTimeout', 'PIN timeout (min)', 'number'],
  ['pinTransTimeout', 'PIN timeout for transactions (min)', 'number'],
  ['pinAttemptLimit', 'PIN attempt limit', 'number'],
];
// Optional links and text (server-api.md: Server); empty is null.
const OPTIONAL = [
  ['siteurl', 'Website'],
  ['appurl', 'App URL'],
  ['appandroid', 'Android app link'],
  ['appios', 'iOS app link'],
  ['owner', 'Owner'],
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
      const optional = Object.fromEntries(OPTIONAL.map(([key]) => [key, h('input', { id: `server-${key}`, name: key, type: 'text', value: s[key] ?? '' })]));
      const origins = h('input', { id: 'server-returnOrigins', name: 'returnOrigins', type: 'text', value: s.returnOrigins.join(' '), placeholder: 'https://shop.example …' });
      const unique = h('input', { id: 'server-uniqueDisplayNames', name: 'uniqueDisplayNames', type: 'checkbox', checked: s.serverFlags.includes('uniqueDisplayNames') });
      const form = h('form', { class: 'row', id: 'server-form' },
        FIELDS.map(([key, label]) => h('label', {}, label, inputs[key])),
        h('label', {}, 'Logo URL', logo),
        OPTIONAL.map(([key, label]) => h('label', {}, label, optional[key])),
        h('label', {}, 'Return origins of app-to-app logins (space-separated)', origins),
        h('label', {}, unique, 'Unique display names on the device'),
        h('button', { type: 'submit' }, 'Save'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = { serverName: inputs.serverName.value, logo: logo.value === '' ? null : logo.value };
        for (const [key, , type] of FIELDS) if (type === 'number') body[key] = Number(inputs[key].value);
        for (const [key] of OPTIONAL) body[key] = optional[key].value.trim() === '' ? null : optional[key].value.trim();
        body.returnOrigins = origins.value.split(/[\s,]+/).filter(Boolean);
        body.serverFlags = unique.checked ? ['uniqueDisplayNames'] : [];
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
