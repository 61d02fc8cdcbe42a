// The logged-in relying-party sessions of the chosen server, kept current by the server's status
// channel (every session's events): a session is named by a digest of its nonce, never the nonce.
import { api } from '../api.js';
import { h, table, when } from '../dom.js';

const CHANGES = ['loggedin', 'loggedout', 'registered'];

export default {
  id: 'sessions',
  title: 'Live sessions',
  async render(view, ctx) {
    const sid = ctx.server.serverid;
    const box = h('div', { id: 'live-sessions' });
    const state = h('p', { class: 'muted', id: 'live-state' }, 'Connecting to the status channel…');
    async function show() {
      const { sessions } = await api('GET', `servers/${sid}/live`);
      box.replaceChildren(h('p', { class: 'muted' }, `${sessions.length} logged-in session(s)`), table([
        { title: 'Session', cell: (s) => h('span', { class: 'mono' }, s.session) },
        { title: 'User', cell: (s) => s.userid ?? '—' },
        { title: 'Account', cell: (s) => s.accountid },
        { title: 'Second factor', cell: (s) => s.factor ?? '—' },
        { title: 'Logged in', cell: (s) => when(s.loggedinat) },
        { title: 'Last seen', cell: (s) => when(s.lastseen) },
        { title: '', cell: (s) => (s.console ? h('span', { class: 'tag' }, 'admin console') : '') },
      ], sessions, (s) => ({ 'data-session': s.session, 'data-user': s.userid ?? '', 'data-console': s.console })));
    }
    const events = new EventSource(`/admin/api/servers/${sid}/live/events`);
    ctx.onLeave(() => events.close());
    events.addEventListener('open', () => { state.textContent = 'Live: updated as sessions log in and out.'; state.dataset.live = 'true'; });
    for (const name of CHANGES) events.addEventListener(name, () => show().catch((err) => ctx.notify(err.message, true)));
    await show();
    view.append(state, box);
  },
};
