// Pushes that did not reach their push service, as this server instance's senders reported them (newest first).
import { api } from '../api.js';
import { h, table, when } from '../dom.js';

export default {
  id: 'pushfailures',
  title: 'Push failures',
  async render(view, ctx) {
    const { failures } = await api('GET', 'pushfailures');
    view.append(
      h('p', { class: 'muted' }, 'The messages themselves wait for the app to fetch them. Kept in memory, per server instance, last 200.'),
      h('button', { type: 'button', id: 'refresh-failures', onclick: () => ctx.reload() }, 'Refresh'),
      failures.length === 0 ? h('p', { id: 'no-failures' }, 'No push failed.') : table([
        { title: 'When', cell: (f) => when(f.time) },
        { title: 'Sender', cell: (f) => f.sender },
        { title: 'HTTP', cell: (f) => f.status ?? '—' },
        { title: 'Reason', cell: (f) => f.reason ?? '—' },
        { title: 'Message', cell: (f) => f.message },
      ], failures, (f) => ({ 'data-sender': f.sender })),
    );
  },
};
