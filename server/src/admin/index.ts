// The admin console at /admin (off unless TapgateServerOptions.admin): its pages, plain HTML, CSS
// and ES modules from server/admin-ui/ (no build step), and its API under /admin/api (api.ts).
// Administrators sign in with Tapgate (auth.ts); every action of theirs goes through
// AdminActions.perform (actions.ts), which `actions` exposes for listeners (an audit log).
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { fromB64u } from '../crypto';
import type { ServerRecord, Store } from '../db';
import { decodePathSegment, HttpError, normaliseOrigin, sendError, sendJson } from '../http';
import type { PushFailureLog } from '../push-failures';
import { SERVER_ID_BYTES } from '../qr';
import type { RpApi } from '../rp-api';
import type { RpStatusChannel } from '../rp-status-channel';
import { AdminActions } from './actions';
import { AdminApi } from './api';
import { AdminAuth } from './auth';
import { AdminStore } from './store';

export { AdminActions } from './actions';
export type { AdminAction, AdminActionListener, AdminActionOutcome, AdminActor } from './actions';

export interface AdminOptions {
  /** base64url id of the virtual server whose admin-role accounts sign in (default: the first server). */
  serverId?: string;
  /** Admin sign-ins ask the second factor whatever the server's pinTimeout (default true). */
  requireSecondFactor?: boolean;
  /** Minutes unused after which a console session ends (default 30). */
  idleMinutes?: number;
  /** Hours after sign-in at which a console session ends whatever its use (default 8). */
  absoluteHours?: number;
}

export interface AdminConsoleDeps {
  store: Store;
  rp: RpApi;
  statusChannel: RpStatusChannel;
  pushFailures: PushFailureLog;
  publicUrl: string;
  now: () => number;
  /** base64url id of the first virtual server (the default console server). */
  firstServerId: string;
}

/** The pages' files, read once at start: name → type. Anything else under /admin is a 404. */
const UI_DIR = path.join(__dirname, '..', '..', 'admin-ui');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** The pages load only their own scripts, styles and API: no inline code, nothing from elsewhere, never framed. */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function readUi(dir: string, prefix = ''): Map<string, { bytes: Buffer; type: string }> {
  const files = new Map<string, { bytes: Buffer; type: string }>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) for (const [k, v] of readUi(path.join(dir, entry.name), `${rel}/`)) files.set(k, v);
    else if (TYPES[path.extname(entry.name)]) files.set(rel, { bytes: fs.readFileSync(path.join(dir, entry.name)), type: TYPES[path.extname(entry.name)] });
  }
  return files;
}

export interface AdminConsole {
  readonly actions: AdminActions;
  handles(pathname: string): boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
}

export async function createAdminConsole(d: AdminConsoleDeps, o: AdminOptions): Promise<AdminConsole> {
  const sid = o.serverId ?? d.firstServerId;
  const id = fromB64u(sid);
  if (!id || id.length !== SERVER_ID_BYTES || !(await d.store.getServer(id))) throw new Error(`admin console: no virtual server ${JSON.stringify(sid)}`);
  const server = async (): Promise<ServerRecord> => {
    const s = await d.store.getServer(id);
    if (!s) throw new HttpError(503, 'the console\'s virtual server is gone');
    return s;
  };
  const actions = new AdminActions();
  const roles = new AdminStore(d.store.sql);
  const auth = new AdminAuth(
    { store: d.store, roles, rp: d.rp, statusChannel: d.statusChannel, actions, now: d.now, server, secure: d.publicUrl.startsWith('https://') },
    { requireSecondFactor: o.requireSecondFactor ?? true, idleMs: (o.idleMinutes ?? 30) * 60_000, absoluteMs: (o.absoluteHours ?? 8) * 3600_000 },
  );
  const api = new AdminApi({ rp: d.rp, auth, actions, roles, statusChannel: d.statusChannel, pushFailures: d.pushFailures, origin: normaliseOrigin(new URL(d.publicUrl).origin) });
  const ui = readUi(UI_DIR);

  return {
    actions,
    handles: (p) => p === '/admin' || p.startsWith('/admin/'),
    async handle(req, res, url) {
      const p = url.pathname;
      if (p.startsWith('/admin/api/') || p === '/admin/api') {
        try {
          const rest = p.slice('/admin/api'.length).split('/').filter((s) => s !== '').map(decodePathSegment);
          await api.handle(req, res, rest, url.searchParams);
        } catch (err) {
          sendError(req, res, err);
        }
        return;
      }
      if (p === '/admin') {
        res.writeHead(308, { Location: '/admin/', 'Content-Length': '0' });
        res.end();
        return;
      }
      const file = ui.get(p === '/admin/' ? 'index.html' : p.slice('/admin/'.length));
      if (!file) return sendJson(req, res, 404, { error: 'not found' });
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET');
        return sendJson(req, res, 405, { error: 'method not allowed' });
      }
      res.writeHead(200, {
        'Content-Type': file.type,
        'Content-Length': String(file.bytes.length),
        'Cache-Control': 'no-cache',
        'Content-Security-Policy': PAGE_CSP,
        'X-Content-Type-Options': 'nosniff',
        // same-origin, not no-referrer: the console's POSTs must carry its Origin, not `null`.
        'Referrer-Policy': 'same-origin',
        'Cross-Origin-Opener-Policy': 'same-origin',
      });
      res.end(req.method === 'HEAD' ? undefined : file.bytes);
    },
  };
}
