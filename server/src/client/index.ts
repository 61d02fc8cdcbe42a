// @tapgate/server/client: a typed client of the relying-party REST API and its status channel.
// One method per operation of GET /openapi.json, named by its operationId; answers are checked
// against the documented models, failures are TapgateApiErrors with a `kind`. Only global fetch
// (or the one passed in) is used: it runs in Node 20, browsers and edge runtimes alike.
import { TapgateApiError } from './errors';
import * as models from './models';
import { listQuery, path, query, requestBytes, requestJson, type ClientSettings, type FetchFunction } from './request';
import { openStatusChannel, sessionEvents, type SessionEventsOptions, type SessionEventStream, type StatusChannelConnection, type StatusChannelOptions } from './status-stream';
import type * as T from './types';

export * from './types';
export { isTapgateApiError, TapgateApiError, type TapgateApiErrorKind } from './errors';
export type { SessionEventsOptions, SessionEventStream, StatusChannelConnection, StatusChannelOptions } from './status-stream';
export type { FetchFunction } from './request';
/** The run-time shapes of the models, under their openapi.json names (for tests and tools). */
export { MODEL_SHAPES } from './models';
export type { Shape, ShapeSchema } from './shapes';

export interface TapgateClientOptions {
  /** The server's origin (and path prefix, if mounted below one), e.g. https://tapgate.example.com */
  baseUrl: string;
  /** X-apikey: the root key or one made with createApiKey. Keep it on the backend, never in a page. */
  apiKey: string;
  /** Replaces the global fetch (tests, instrumentation, a runtime's own). */
  fetch?: FetchFunction;
  /** Per request, until the whole answer is in (a stream: until its headers); default 30 s. */
  timeoutMs?: number;
}

/** The stream's options, but `timeoutMs` bounds the whole wait (not a connection's headers). */
export interface WaitForLoginOptions extends Omit<SessionEventsOptions, 'timeoutMs'> {
  /** Give up after this long: a `timeout` TapgateApiError. Default: wait until the signal aborts. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const PNG_OR_PAYLOAD = ['application/octet-stream', 'image/png'];

/** A QR query's usercontext object as the JSON text the API takes. */
function qrQuery(q: T.EnrolQrQuery & T.LoginQrQuery): URLSearchParams {
  return query({ ...q, usercontext: q.usercontext === undefined ? undefined : JSON.stringify(q.usercontext) });
}

export class TapgateClient {
  readonly #settings: ClientSettings;

  constructor(options: TapgateClientOptions) {
    const given = options.fetch;
    this.#settings = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      apiKey: options.apiKey,
      // Called as a plain function: browsers refuse a fetch invoked with another `this`.
      fetch: given ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }

  // API keys (permission root, global)

  getApiKeys(options?: T.CallOptions): Promise<T.ApiKeyList> {
    return requestJson(this.#settings, { operationId: 'getApiKeys', method: 'GET', path: '/apikeys', ...options }, models.apiKeyList);
  }

  /** The key itself is in `apikey` of the answer, this once. */
  createApiKey(q: T.CreateApiKeyQuery = {}, options?: T.CallOptions): Promise<T.ApiKeyCreated> {
    return requestJson(this.#settings, {
      operationId: 'createApiKey', method: 'POST', path: '/apikeys',
      query: query({ description: q.description, permissions: q.permissions?.join(','), serverid: q.serverid }), ...options,
    }, models.apiKey);
  }

  deleteApiKey(keyId: string, options?: T.CallOptions): Promise<T.Result> {
    return requestJson(this.#settings, { operationId: 'deleteApiKey', method: 'DELETE', path: path`/apikeys/${keyId}`, ...options }, models.result);
  }

  // Virtual servers

  listServers(q: T.ServerListQuery = {}, options?: T.CallOptions): Promise<T.ServerList> {
    return requestJson(this.#settings, { operationId: 'listServers', method: 'GET', path: '/servers', query: query({ ...q }), ...options }, models.serverList);
  }

  createServer(body: T.ServerCreate, options?: T.CallOptions): Promise<T.Server> {
    return requestJson(this.#settings, { operationId: 'createServer', method: 'POST', path: '/servers', body: { json: body }, ...options }, models.server);
  }

  getServer(serverId: string, options?: T.CallOptions): Promise<T.Server> {
    return requestJson(this.#settings, { operationId: 'getServer', method: 'GET', path: path`/servers/${serverId}`, ...options }, models.server);
  }

  updateServer(serverId: string, body: T.ServerUpdate, options?: T.CallOptions): Promise<T.Server> {
    return requestJson(this.#settings, { operationId: 'updateServer', method: 'PUT', path: path`/servers/${serverId}`, body: { json: body }, ...options }, models.server);
  }

  /** The fingerprint the app shows at enrolment, for the enrol page to show beside the QR. */
  getServerVash(serverId: string, options?: T.CallOptions): Promise<T.Vash> {
    return requestJson(this.#settings, { operationId: 'getServerVash', method: 'GET', path: path`/servers/${serverId}/vash`, ...options }, models.vash);
  }

  /** The answer's `rekeyed`: how many accounts were sent the new key. */
  rotateServerKey(serverId: string, options?: T.CallOptions): Promise<T.Server & { rekeyed: number }> {
    return requestJson(this.#settings, { operationId: 'rotateServerKey', method: 'POST', path: path`/servers/${serverId}/keys/rotate`, ...options },
      models.rotatedServer);
  }

  retireServerKey(serverId: string, options?: T.CallOptions): Promise<T.Server> {
    return requestJson(this.#settings, { operationId: 'retireServerKey', method: 'POST', path: path`/servers/${serverId}/keys/retire`, ...options }, models.server);
  }

  // OpenID Connect clients of a server (permission servers; only when the server runs its provider)

  listOidcClients(serverId: string, options?: T.CallOptions): Promise<T.OidcClientList> {
    return requestJson(this.#settings, { operationId: 'listOidcClients', method: 'GET', path: path`/servers/${serverId}/oidc/clients`, ...options }, models.oidcClientList);
  }

  /** Registers a client; the answer is the only one that shows its client_secret. */
  createOidcClient(serverId: string, body: T.OidcClientMetadata, options?: T.CallOptions): Promise<T.OidcClient> {
    return requestJson(this.#settings, { operationId: 'createOidcClient', method: 'POST', path: path`/servers/${serverId}/oidc/clients`, body: { json: body }, ...options },
      models.oidcClient);
  }

  getOidcClient(serverId: string, clientId: string, options?: T.CallOptions): Promise<T.OidcClient> {
    return requestJson(this.#settings, { operationId: 'getOidcClient', method: 'GET', path: path`/servers/${serverId}/oidc/clients/${clientId}`, ...options }, models.oidcClient);
  }

  deleteOidcClient(serverId: string, clientId: string, options?: T.CallOptions): Promise<T.Result> {
    return requestJson(this.#settings, { operationId: 'deleteOidcClient', method: 'DELETE', path: path`/servers/${serverId}/oidc/clients/${clientId}`, ...options }, models.result);
  }

  // Permissions of roles (API keys) on a server (permission root, global)

  getPermissions(serverId: string, options?: T.CallOptions): Promise<T.PermissionList> {
    return requestJson(this.#settings, { operationId: 'getPermissions', method: 'GET', path: path`/servers/${serverId}/permissions`, ...options }, models.permissionList);
  }

  getRolePermissions(serverId: string, roleId: string, options?: T.CallOptions): Promise<T.PermissionList> {
    return requestJson(this.#settings, { operationId: 'getRolePermissions', method: 'GET', path: path`/servers/${serverId}/permissions/${roleId}`, ...options },
      models.permissionList);
  }

  addRolePermissions(serverId: string, roleId: string, acl: T.ServerPermission[], options?: T.CallOptions): Promise<T.PermissionList> {
    return requestJson(this.#settings, {
      operationId: 'addRolePermissions', method: 'POST', path: path`/servers/${serverId}/permissions/${roleId}`, query: query({ acl: acl.join(',') }), ...options,
    }, models.permissionList);
  }

  /** Without `acl`: every permission of the role on the server. */
  deleteRolePermissions(serverId: string, roleId: string, acl?: T.ServerPermission[], options?: T.CallOptions): Promise<T.PermissionList> {
    return requestJson(this.#settings, {
      operationId: 'deleteRolePermissions', method: 'DELETE', path: path`/servers/${serverId}/permissions/${roleId}`, query: query({ acl: acl?.join(',') }), ...options,
    }, models.permissionList);
  }

  // Roles of accounts (Tapgate extension; permission root, global): `admin` signs in to the admin console

  getRoles(serverId: string, options?: T.CallOptions): Promise<T.RoleList> {
    return requestJson(this.#settings, { operationId: 'getRoles', method: 'GET', path: path`/servers/${serverId}/roles`, ...options }, models.roleList);
  }

  grantRole(serverId: string, accountId: number, role: T.AccountRole, options?: T.CallOptions): Promise<T.AccountRoles> {
    return requestJson(this.#settings, { operationId: 'grantRole', method: 'PUT', path: path`/servers/${serverId}/accounts/${accountId}/roles/${role}`, ...options }, models.accountRoles);
  }

  /** Revoking admin also ends the account's console sessions. */
  revokeRole(serverId: string, accountId: number, role: T.AccountRole, options?: T.CallOptions): Promise<T.AccountRoles> {
    return requestJson(this.#settings, { operationId: 'revokeRole', method: 'DELETE', path: path`/servers/${serverId}/accounts/${accountId}/roles/${role}`, ...options }, models.accountRoles);
  }

  // Relying-party sessions (the nonce names one; permission sessions unless noted)

  getLoginStatus(serverId: string, nonce: string, options?: T.CallOptions): Promise<T.LoginStatus> {
    return requestJson(this.#settings, { operationId: 'getLoginStatus', method: 'GET', path: path`/servers/${serverId}/sessions`, nonce, ...options }, models.loginStatus);
  }

  /** One connection of the status channel; sessionEvents() is the one that reconnects. */
  statusChannel(serverId: string, nonce: string, options?: StatusChannelOptions): Promise<StatusChannelConnection> {
    return openStatusChannel(this.#settings, serverId, nonce, options);
  }

  /**
   * The session's status events, across reconnections: `for await (const e of client.sessionEvents(sid, nonce, { signal }))`.
   * Each connection starts with `{ event: 'status', status }`; the iteration ends when the signal
   * aborts or the loop breaks, and throws only for failures no reconnection mends (401, 404, …).
   */
  sessionEvents(serverId: string, nonce: string, options?: SessionEventsOptions): SessionEventStream {
    return sessionEvents(this.#settings, serverId, nonce, options);
  }

  /**
   * Resolves with the LoginStatus once someone is logged in on the session (at once if someone
   * already is). A cancelled QR does not end the wait: the page may show another. Rejects with a
   * `timeout` TapgateApiError after timeoutMs, an `aborted` one when the signal aborts.
   */
  async waitForLogin(serverId: string, nonce: string, options: WaitForLoginOptions = {}): Promise<T.LoginStatus> {
    const { timeoutMs, signal, ...streamOptions } = options;
    const stop = new AbortController();
    let timedOut = false;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, timeoutMs);
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stop.abort();
    try {
      for await (const e of this.sessionEvents(serverId, nonce, { ...streamOptions, signal: stop.signal })) {
        if (e.event === 'status' && e.status.loggedin) return e.status;
        if (e.event === 'loggedin') {
          // The event lacks pk and the rest; a logout since is possible, then the wait goes on.
          const status = await this.getLoginStatus(serverId, nonce, { signal: stop.signal });
          if (status.loggedin) return status;
        }
      }
    } catch (err) {
      if (!(err instanceof TapgateApiError && err.kind === 'aborted')) throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (timedOut) throw new TapgateApiError({ kind: 'timeout', operationId: 'statusChannel', message: `waitForLogin: nobody logged in within ${timeoutMs} ms` });
    throw new TapgateApiError({ kind: 'aborted', operationId: 'statusChannel', message: 'waitForLogin: aborted' });
  }

  /** The raw QR payload, or a PNG of it with `img: 'png'`. */
  getEnrolQr(serverId: string, nonce: string, q: T.EnrolQrQuery = {}, options?: T.CallOptions): Promise<Uint8Array> {
    return requestBytes(this.#settings, { operationId: 'getEnrolQr', method: 'GET', path: path`/servers/${serverId}/sessions/qr/enrol`, nonce, query: qrQuery(q), ...options },
      PNG_OR_PAYLOAD);
  }

  /** The raw QR payload, or a PNG of it with `img: 'png'`. */
  getLoginQr(serverId: string, nonce: string, q: T.LoginQrQuery = {}, options?: T.CallOptions): Promise<Uint8Array> {
    return requestBytes(this.#settings, { operationId: 'getLoginQr', method: 'GET', path: path`/servers/${serverId}/sessions/qr/login`, nonce, query: qrQuery(q), ...options },
      PNG_OR_PAYLOAD);
  }

  /** Also answers `{ result: true }` when nobody was logged in. */
  logout(serverId: string, nonce: string, options?: T.CallOptions): Promise<T.Result> {
    return requestJson(this.#settings, { operationId: 'logout', method: 'POST', path: path`/servers/${serverId}/sessions/logout`, nonce, ...options }, models.result);
  }

  /** A push login to the account last logged in on the session; `conflict` if there is none. */
  provokeLogin(serverId: string, nonce: string, o: T.ProvokeLoginOptions = {}, options?: T.CallOptions): Promise<T.PushResult> {
    return requestJson(this.#settings, { operationId: 'provokeLogin', method: 'POST', path: path`/servers/${serverId}/sessions/provokelogin`, nonce, ...provoke(o), ...options },
      models.pushResult);
  }

  /** The account logged in on the session belongs to `userId` from now on; permission users. */
  registerUser(serverId: string, nonce: string, userId: string, options?: T.CallOptions): Promise<T.Result> {
    return requestJson(this.#settings, {
      operationId: 'registerUser', method: 'POST', path: path`/servers/${serverId}/sessions/registeruser`, nonce, query: query({ userid: userId }), ...options,
    }, models.result);
  }

  createTransaction(serverId: string, nonce: string, body: T.TransactionRequest, options?: T.CallOptions): Promise<T.TransactionCreated> {
    return requestJson(this.#settings, {
      operationId: 'createTransaction', method: 'POST', path: path`/servers/${serverId}/sessions/transactions`, nonce, body: { json: body }, ...options,
    }, models.transactionCreated);
  }

  getTransaction(serverId: string, transactionId: string, options?: T.CallOptions): Promise<T.Transaction> {
    return requestJson(this.#settings, { operationId: 'getTransaction', method: 'GET', path: path`/servers/${serverId}/transactions/${transactionId}`, ...options },
      models.transaction);
  }

  /** The transactions the app started (create(transaction, account)), newest first; `status` filters. */
  listAppTransactions(serverId: string, q: { status?: T.Transaction['tstatus']; limit?: number } = {}, options?: T.CallOptions): Promise<T.TransactionList> {
    return requestJson(this.#settings, {
      operationId: 'listAppTransactions', method: 'GET', path: path`/servers/${serverId}/transactions`, query: query({ ...q }), ...options,
    }, models.transactionList);
  }

  // Accounts (permission accounts unless noted)

  listAccounts(serverId: string, q?: T.AccountListQuery, options?: T.CallOptions): Promise<T.AccountList> {
    return requestJson(this.#settings, { operationId: 'listAccounts', method: 'GET', path: path`/servers/${serverId}/accounts`, query: listQuery(q), ...options },
      models.accountList);
  }

  getAccount(serverId: string, accountId: number, options?: T.CallOptions): Promise<T.Account> {
    return requestJson(this.#settings, { operationId: 'getAccount', method: 'GET', path: path`/servers/${serverId}/accounts/${accountId}`, ...options }, models.account);
  }

  /** Blocking also logs the account out of its sessions. */
  updateAccount(serverId: string, accountId: number, change: { blocked: boolean }, options?: T.CallOptions): Promise<T.Account> {
    return requestJson(this.#settings, {
      operationId: 'updateAccount', method: 'PUT', path: path`/servers/${serverId}/accounts/${accountId}`, query: query({ blocked: change.blocked }), ...options,
    }, models.account);
  }

  /** The device is sent a deletion message. */
  deleteAccount(serverId: string, accountId: number, options?: T.CallOptions): Promise<T.Result> {
    return requestJson(this.#settings, { operationId: 'deleteAccount', method: 'DELETE', path: path`/servers/${serverId}/accounts/${accountId}`, ...options }, models.result);
  }

  updateAccountUser(serverId: string, accountId: number, userId: string, options?: T.CallOptions): Promise<T.Account> {
    return requestJson(this.#settings, {
      operationId: 'updateAccountUser', method: 'PUT', path: path`/servers/${serverId}/accounts/${accountId}/user`, query: query({ userid: userId }), ...options,
    }, models.account);
  }

  /** A push login on the session to this account; permission sessions or accounts. */
  provokeLoginOnAccount(serverId: string, accountId: number, nonce: string, o: T.ProvokeLoginOptions = {}, options?: T.CallOptions): Promise<T.PushResult> {
    return requestJson(this.#settings, {
      operationId: 'provokeLoginOnAccount', method: 'POST', path: path`/servers/${serverId}/accounts/${accountId}/provokelogin`, nonce, ...provoke(o), ...options,
    }, models.pushResult);
  }

  /** A note to the device (its app gets a `message` event). */
  sendMessage(serverId: string, accountId: number, body: T.MessageRequest, options?: T.CallOptions): Promise<T.Result> {
    return requestJson(this.#settings, {
      operationId: 'sendMessage', method: 'POST', path: path`/servers/${serverId}/accounts/${accountId}/messages`, body: { json: body }, ...options,
    }, models.result);
  }

  /** Tapgate extension: the account's PIN failure count back to 0, so a blocked PIN can be entered again. */
  unblockPin(serverId: string, accountId: number, options?: T.CallOptions): Promise<T.Account> {
    return requestJson(this.#settings, {
      operationId: 'unblockPin', method: 'POST', path: path`/servers/${serverId}/accounts/${accountId}/unblockpin`, ...options,
    }, models.account);
  }

  // Users: the userids live accounts share (permission users unless noted)

  getUsers(serverId: string, q: T.UserListQuery = {}, options?: T.CallOptions): Promise<T.UserList> {
    const list = listQuery(q);
    if (q.search !== undefined) list.set('search', q.search);
    return requestJson(this.#settings, { operationId: 'getUsers', method: 'GET', path: path`/servers/${serverId}/users`, query: list, ...options }, models.userList);
  }

  /** The user's accounts; permission sessions or users. */
  getUser(serverId: string, userId: string, q?: T.UserAccountListQuery, options?: T.CallOptions): Promise<T.AccountList> {
    return requestJson(this.#settings, {
      operationId: 'getUser', method: 'GET', path: path`/servers/${serverId}/users/${userId}/accounts`, query: listQuery(q), ...options,
    }, models.accountList);
  }

  /** All the user's accounts (each device is told). */
  deleteUser(serverId: string, userId: string, options?: T.CallOptions): Promise<T.DeleteResult> {
    return requestJson(this.#settings, { operationId: 'deleteUser', method: 'DELETE', path: path`/servers/${serverId}/users/${userId}`, ...options }, models.deleteResult);
  }

  deleteUserAccounts(serverId: string, userId: string, options?: T.CallOptions): Promise<T.DeleteResult> {
    return requestJson(this.#settings, { operationId: 'deleteUserAccounts', method: 'DELETE', path: path`/servers/${serverId}/users/${userId}/accounts`, ...options },
      models.deleteResult);
  }

  /** One push login on the session to every unblocked account of the user with a push token; permission sessions or users. */
  provokeLoginOnUser(serverId: string, userId: string, nonce: string, o: T.ProvokeLoginOptions = {}, options?: T.CallOptions): Promise<T.ProvokeResult> {
    return requestJson(this.#settings, {
      operationId: 'provokeLoginOnUser', method: 'POST', path: path`/servers/${serverId}/users/${userId}/provokelogin`, nonce, ...provoke(o), ...options,
    }, models.provokeResult);
  }

  // The audit log (permission audit; Tapgate extension)

  /** The server's entries, newest first; pass the answer's `next` as `before` for the next page. */
  listAudit(serverId: string, q: T.AuditQuery = {}, options?: T.CallOptions): Promise<T.AuditList> {
    return requestJson(this.#settings, { operationId: 'listAudit', method: 'GET', path: path`/servers/${serverId}/audit`, query: auditQuery(q), ...options },
      models.auditList);
  }

  /** Every server's entries and those of none (API keys, unauthenticated calls, rate limits); permission audit globally. */
  listGlobalAudit(q: T.AuditQuery & { serverid?: string } = {}, options?: T.CallOptions): Promise<T.AuditList> {
    const params = auditQuery(q);
    if (q.serverid !== undefined) params.set('serverid', q.serverid);
    return requestJson(this.#settings, { operationId: 'listGlobalAudit', method: 'GET', path: '/audit', query: params, ...options }, models.auditList);
  }

  // Operations (no API key)

  health(options?: T.CallOptions): Promise<T.Health> {
    return requestJson(this.#settings, { operationId: 'health', method: 'GET', path: '/healthz', anonymous: true, ...options }, models.health);
  }

  /** A server that is not ready answers 503: a `server` TapgateApiError whose body has the reason. */
  ready(options?: T.CallOptions): Promise<T.Ready> {
    return requestJson(this.#settings, { operationId: 'ready', method: 'GET', path: '/readyz', anonymous: true, ...options }, models.ready);
  }

  /** The OpenAPI 3.1 document these methods follow. */
  openapi(options?: T.CallOptions): Promise<T.OpenApiDocument> {
    return requestJson(this.#settings, { operationId: 'openapi', method: 'GET', path: '/openapi.json', anonymous: true, ...options }, models.openApiDocument);
  }

  /**
   * The Prometheus text exposition of GET /metrics, to the bearer of the server's metrics token
   * (not the API key, which is not sent). A server without a token answers 404 (`not_found`).
   */
  async metrics(token: string, options?: T.CallOptions): Promise<string> {
    const bytes = await requestBytes(this.#settings, {
      operationId: 'metrics', method: 'GET', path: '/metrics', anonymous: true, ...options,
      headers: { Authorization: `Bearer ${token}` },
    }, ['text/plain']);
    return new TextDecoder().decode(bytes);
  }
}

function auditQuery(q: T.AuditQuery): URLSearchParams {
  const action = q.action === undefined ? undefined : [q.action].flat().join(',');
  return query({ limit: q.limit, before: q.before, action, account: q.account, outcome: q.outcome, since: q.since, until: q.until });
}

/** A provoked login's UserContext goes in the body (no URL length limit), its secondfactor in the query. */
function provoke(o: T.ProvokeLoginOptions): { body?: { text: string }; query: URLSearchParams } {
  return {
    query: query({ secondfactor: o.secondfactor, codematch: o.codematch }),
    ...(o.usercontext === undefined ? {} : { body: { text: JSON.stringify(o.usercontext) } }),
  };
}
