// The console's API under /admin/api: sign-in (auth.ts), and for a signed-in administrator the
// relying-party operations themselves at /admin/api/rp/<the REST path> — the same route rows and
// handlers as /servers and /apikeys (rp-api.ts), with the administrator as the caller instead of
// an API key — plus what only the console shows (live sessions, push failures). Every call of a
// signed-in administrator runs through AdminActions.perform (actions.ts).
//
// Cross-site requests: the cookies are SameSite=Strict, and every state-changing call (not GET)
// must also carry `X-Tapgate-Admin: 1` (a header no cross-origin page can send without a CORS
// preflight, which is never granted) and, when the browser sends one, its own Origin.
import type * as http from 'node:http';
import { clientIp } from '../audit-log';
import { hash, toB64u, utf8 } from '../crypto';
import { header, HttpError, normaliseOrigin, sendJson } from '../http';
import type { PushFailureLog } from '../push-failures';
import { RP_ROUTES, TOP_ROUTES, type RpApi } from '../rp-api';
import type { Caller } from '../rp-api-keys';
import { authorise, routeOf } from '../rp-route';
import type { RpStatusChannel } from '../rp-status-channel';
import type { AdminActions, AdminActor } from './actions';
import type { AdminAuth } from './auth';
import type { AdminStore } from './store';

/**
 * The relying-party operations the console may call (operationIds of rp-api.ts's tables). Those
 * on a relying-party session (X-nonce) are not here: the console acts on the server's records.
 */
export const CONSOLE_OPERATIONS: ReadonlySet<string> = new Set([
  'listServers', 'createServer', 'getServer', 'updateServer', 'getServerVash',
  'getApiKeys', 'createApiKey', 'deleteApiKey',
  'getPermissions', 'getRolePermissions', 'addRolePermissions', 'deleteRolePermissions',
  'listAccounts', 'getAccount', 'updateAccount', 'deleteAccount', 'unblockPin', 'updateAccountUser',
  'getUsers', 'getUser', 'deleteUser', 'deleteUserAccounts',
  'getRoles', 'grantRole', 'revokeRole',
  'listAudit',
]);

export const CONSOLE_HEADER = 'x-tapgate-admin';
const MAX_LIVE_SESSIONS = 200;

export interface AdminApiDeps {
  rp: RpApi;
  auth: AdminAuth;
  actions: AdminActions;
  roles: AdminStore;
  statusChannel: RpStatusChannel;
  pushFailures: PushFailureLog;
  /** The public origin (publicUrl's): the only Origin a state-changing call may come from. */
  origin: string;
}

/** How the console names a relying-party session: a digest of its nonce (the nonce is the relying party's secret handle). */
export const sessionId = (nonce: string) => toB64u(hash(utf8('tapgate/admin/live'), utf8(nonce)).subarray(0, 12));

/** The caller of a proxied operation: every permission, and who it is. */
function callerOf(actor: AdminActor): Caller {
  return { keyId: null, permissions: [{ acl: 'root', server: null }], admin: actor };
}

export class AdminApi {
  constructor(private readonly d: AdminApiDeps) {}

  /** 403 for a state-changing call without the console's header, or from another origin. */
  #checkSameOrigin(req: http.IncomingMessage): void {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const origin = header(req, 'origin');
    const site = header(req, 'sec-fetch-site');
    if (header(req, CONSOLE_HEADER) !== '1' || (origin !== undefined && normaliseOrigin(origin) !== this.d.origin) || (site !== undefined && site !== 'same-origin')) {
      throw new HttpError(403, 'cross-site request refused: the console sends X-Tapgate-Admin from its own origin');
    }
  }

  /** `rest`: the decoded path segments after /admin/api. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, rest: string[], q: URLSearchParams): Promise<void> {
    this.#checkSameOrigin(req);
    const { auth } = this.d;
    const path = rest.join('/');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const only = (m: string) => {
      if (method !== m) {
        res.setHeader('Allow', m);
        throw new HttpError(405, 'method not allowed');
      }
    };
    switch (path) {
      case 'login': only('POST'); return auth.startLogin(req, res);
      case 'login/qr.png': only('GET'); return auth.loginQrPng(req, res);
      case 'login/events': only('GET'); return auth.loginEvents(req, res);
      case 'login/finish': only('POST'); return auth.finishLogin(req, res);
      case 'logout': only('POST'); return auth.logout(req, res);
      default:
    }
    const { actor } = await auth.authenticate(req);
    if (path === 'session') {
      only('GET');
      return sendJson(req, res, 200, { admin: actor, operations: [...CONSOLE_OPERATIONS] });
    }
    if (rest[0] === 'rp') return this.#proxy(req, res, actor, rest.slice(1), q);
    if (path === 'pushfailures') {
      only('GET');
      return this.#perform(actor, req, res, 'listPushFailures', '/admin/api/pushfailures', null, async () =>
        sendJson(req, res, 200, { failures: this.d.pushFailures.list() }));
    }
    if (rest.length >= 3 && rest[0] === 'servers' && rest[2] === 'live' && rest.length <= 4) {
      only('GET');
      const server = await this.d.rp.server(rest[1]);
      if (rest.length === 4) {
        if (rest[3] !== 'events') throw new HttpError(404, 'not found');
        return this.d.statusChannel.openServer(req, res, server, sessionId);
      }
      return this.#perform(actor, req, res, 'listLiveSessions', `/admin/api/servers/${rest[1]}/live`, rest[1], async () => {
        const live = await this.d.roles.liveSessions(server.id, MAX_LIVE_SESSIONS);
        sendJson(req, res, 200, {
          sessions: live.map((s) => ({ session: sessionId(s.nonce), accountid: s.accountId, userid: s.userId, loggedinat: s.loggedInAt, lastseen: s.lastSeen, factor: s.factor, console: s.nonce.startsWith('admin.') })),
        });
      });
    }
    throw new HttpError(404, 'not found');
  }

  #perform(actor: AdminActor, req: http.IncomingMessage, res: http.ServerResponse, operation: string, path: string, server: string | null, work: () => Promise<void>): Promise<void> {
    const method = req.method ?? 'GET';
    return this.d.actions.perform({ actor, operation, method, path, server, changes: method !== 'GET' && method !== 'HEAD', ip: clientIp(req) }, work, () => res.statusCode);
  }

  /** A relying-party operation, found and run as rp-api.ts RpApi.handle does, for the administrator. */
  async #proxy(req: http.IncomingMessage, res: http.ServerResponse, actor: AdminActor, segments: string[], q: URLSearchParams): Promise<void> {
    const caller = callerOf(actor);
    const { rp } = this.d;
    const path = `/${segments.map(encodeURIComponent).join('/')}`;
    if (segments[0] !== 'servers' && segments[0] !== 'apikeys') throw new HttpError(404, 'not found');
    if (segments[0] === 'apikeys' || segments.length === 1) {
      const { route, params } = routeOf(TOP_ROUTES, req, res, segments);
      if (!CONSOLE_OPERATIONS.has(route.id)) throw new HttpError(404, 'not an operation of the console');
      authorise(route, caller, null);
      return this.#perform(actor, req, res, route.id, path, null, () => route.handle({ api: rp, req, res, params, q, caller, auditDetail: {} }));
    }
    const server = await rp.server(segments[1]);
    const { route, params } = routeOf(RP_ROUTES, req, res, segments.slice(2));
    if (!CONSOLE_OPERATIONS.has(route.id)) throw new HttpError(404, 'not an operation of the console');
    authorise(route, caller, server);
    return this.#perform(actor, req, res, route.id, path, segments[1], () => route.handle({ api: rp, req, res, server, params, q, caller, auditDetail: {} }));
  }
}
