// The console's pages, in menu order. A page is one module: export default { id, title, render(main, ctx) },
// where ctx gives the signed-in admin, the chosen server, notify(text, isError) and onLeave(fn).
import servers from './pages/servers.js';
import users from './pages/users.js';
import apiKeys from './pages/api-keys.js';
import sessions from './pages/sessions.js';
import pushFailures from './pages/push-failures.js';
import audit from './pages/audit.js';

export const PAGES = [servers, users, apiKeys, sessions, pushFailures, audit];
