// The relying-party API's route table: each operation once, with its method, path, permission and
// handler. Dispatch (404, 405 with Allow, the permission check) reads it; the OpenAPI test checks
// that the document has exactly its operations (tests/js/openapi.test.js).
import type * as http from 'node:http';
import type { AuditDetail, AuditLog } from './audit-log';
import type { AccountRecord, ServerRecord, Store } from './db';
import { HttpError } from './http';
import type { Messenger } from './messages';
import type { OidcClientRegistry } from './oidc/clients';
import { ApiKeys, type Caller, type Permission } from './rp-api-keys';
import type { RpStatusChannel } from './rp-status-channel';

export interface RpApiConfig {
  store: Store;
  messenger: Messenger;
  now: () => number;
  /** The root API key's digest (rp-api-keys.ts). */
  rootDigest: Uint8Array;
  deviceUrl: string;
  /** How long a rotated-out signing key still signs (keys/rotate). */
  keyOverlapMs: number;
  /** Push fatigue limits of the provokelogin routes (0: no limit); defaults rp-api.ts DEFAULT_PUSH_LIMITS. */
  pushLimits?: Partial<PushLimits>;
  /** provokelogin without `codematch` uses code matching (default false). */
  pushCodeMatch?: boolean;
  /** Serves GET sessions/events (server-sent events); without it that route answers 404. */
  statusChannel?: RpStatusChannel;
  /** The OpenID provider's client registry, when the provider is on (else its routes answer 404). */
  readonly oidcClients?: OidcClientRegistry;
  /** Where each call is recorded (rp-audit.ts) and the log is read from. */
  audit: AuditLog;
}

export interface PushLimits {
  /** Unanswered, unexpired push logins per account. */
  pending: number;
  /** Push logins per account in windowMs. */
  perWindow: number;
  windowMs: number;
}

/** What the handlers use of the API (rp-api.ts RpApi). */
export interface RpContext {
  readonly cfg: RpApiConfig;
  nonce(req: http.IncomingMessage): string;
  loginNonce(req: http.IncomingMessage): string;
  account(server: ServerRecord, param: string | null): Promise<AccountRecord>;
  loginStatus(server: ServerRecord, nonce: string): Promise<Record<string, unknown>>;
  provoke(req: http.IncomingMessage, server: ServerRecord, nonce: string, accounts: AccountRecord[], q: URLSearchParams, forUser?: string | null): Promise<{ matchcode: string | null }>;
  provokableAccount(server: ServerRecord, nonce: string): Promise<AccountRecord | undefined>;
  deleteAccounts(server: ServerRecord, accounts: AccountRecord[]): Promise<void>;
  logout(server: ServerRecord, nonce: string): Promise<void>;
  qr(req: http.IncomingMessage, res: http.ServerResponse, server: ServerRecord, kind: 'login' | 'enrol', q: URLSearchParams): Promise<void>;
  transactionQr(server: ServerRecord, nonce: string, o: { userid: string | null; tid: string; boundAccount: number | null }): Promise<Uint8Array>;
  pushLogin(server: ServerRecord, accounts: AccountRecord[], payload: Uint8Array): Promise<void>;
  updateServer(req: http.IncomingMessage, server: ServerRecord): Promise<void>;
  createServer(req: http.IncomingMessage, caller: Caller): Promise<ServerRecord>;
}

/** A call of a route outside /servers/{sid}/ (the server list, the API keys). */
export interface RpTopCall {
  api: RpContext;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  q: URLSearchParams;
  caller: Caller;
  /** What the handler adds to the call's audit entry (never a secret: audit-log.ts). */
  auditDetail: AuditDetail;
}

/** A call of a route under /servers/{sid}/: the server is found (else 404) before the route runs. */
export interface RpCall extends RpTopCall {
  server: ServerRecord;
}

export type RpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Who may call: any of `acls` on the route's server, or (global) on every server. */
export interface RoutePermission {
  acls: readonly Permission[];
  global: boolean;
}
export const onServer = (...acls: Permission[]): RoutePermission => ({ acls, global: false });
export const globally = (...acls: Permission[]): RoutePermission => ({ acls, global: true });

export interface Route<Call> {
  /** The operationId in the OpenAPI document. */
  id: string;
  method: RpMethod;
  /** Under /servers/{sid}/ ('' is the server itself), or from the root for top routes; `:name` parts are parameters. */
  path: string;
  /** Null: any valid key (the handler shows each key only what it may see). */
  permission: RoutePermission | null;
  handle(call: Call): Promise<void>;
}
export type RpRoute = Route<RpCall>;
export type RpTopRoute = Route<RpTopCall>;

/** What matching needs of a route. */
type Routed = Pick<Route<unknown>, 'method' | 'path'>;

function matches(path: string, parts: string[]): Record<string, string> | null {
  const pattern = path === '' ? [] : path.split('/');
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  return pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = parts[i]), true) : p === parts[i])) ? params : null;
}

/** The paths of a table, each once, in table order. */
export const pathsOf = (routes: readonly Routed[]): string[] => [...new Set(routes.map((r) => r.path))];

/** pathsOf per table, made once: dispatch runs on every relying-party request. */
const pathCache = new WeakMap<readonly Routed[], string[]>();
function cachedPaths(routes: readonly Routed[]): string[] {
  let paths = pathCache.get(routes);
  if (!paths) pathCache.set(routes, (paths = pathsOf(routes)));
  return paths;
}

/**
 * The route of `parts` for the request's method (HEAD is GET), with its parameters. A path that
 * no route has is a 404; a path without this method a 405 that says which methods it has.
 */
export function routeOf<R extends Routed>(routes: readonly R[], req: http.IncomingMessage, res: http.ServerResponse, parts: string[]): { route: R; params: Record<string, string> } {
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
  let allowed: R[] = [];
  let found: Record<string, string> | null = null;
  for (const path of cachedPaths(routes)) {
    found = matches(path, parts);
    if (found) {
      allowed = routes.filter((r) => r.path === path);
      break;
    }
  }
  if (!found) throw new HttpError(404, 'not found');
  const route = allowed.find((r) => r.method === method);
  if (!route) {
    res.setHeader('Allow', allowed.map((r) => r.method).join(', '));
    throw new HttpError(405, 'method not allowed');
  }
  return { route, params: found };
}

/** The route's permission check (`server`: the route's, null for top routes); a 403 names what was needed. */
export function authorise(route: Pick<Route<unknown>, 'permission'>, caller: Caller, server: ServerRecord | null): void {
  if (!route.permission) return;
  ApiKeys.require(caller, route.permission.global || !server ? null : server.id, ...route.permission.acls);
}
