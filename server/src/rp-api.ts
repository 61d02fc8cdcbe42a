// The relying-party REST API (mirrors the v2.2 names) under /servers and /apikeys, authenticated by X-apikey
// (rp-api-keys.ts: keys and permissions); the one route table of both. Users: rp-users.ts; lists: rp-lists.ts.
import type * as http from 'node:http';
import QRCode from 'qrcode';
import { bytesEqual, fromB64u, randomBytes, signKeyPair, toB64u } from './crypto';
import type { AccountRecord, ServerParams, ServerRecord } from './db';
import { EMPTY_PROFILE, PROFILE_FIELDS, profileParams } from './server-profile';
import { header, HttpError, parseJsonObject, readRawBody, sendBytes, sendJson } from './http';
import { returnOriginsParam } from './return-origins';
import { buildEnrolQr, buildLoginQr, parseQr, SERVER_ID_BYTES, SESSION_ID_BYTES } from './qr';
import { drawMatchCode, startForPush } from './start-response';
import { transcriptStart } from './transcript';
import { currentRpSession } from './liveness';
import { PUSH_WINDOW_MAX_MS } from './retention';
import { parseUserContext, type UserContext } from './usercontext';
import { retireServerKey, rotateServerKey } from './rp-server-keys';
import { visualHash } from './visual-hash';
import { ApiKeys, type Caller } from './rp-api-keys';
import { intParam, MAX_TEXT_PARAM_CHARS } from './rp-lists';
import { USER_ROUTES } from './rp-users';
import { ACCOUNT_ROUTES } from './rp-accounts';
import { SESSION_ROUTES } from './rp-sessions';
import { PERMISSION_ROUTES } from './rp-permissions';
import { ROLE_ROUTES } from './rp-roles';
import { serverJson } from './rp-json';
import { TOP_ROUTES as KEY_AND_SERVER_ROUTES } from './rp-top-routes';
import { actorOf, AUDIT_ROUTES, AUDIT_TOP_ROUTES, auditedCall } from './rp-audit';
import { SECURITY_EVENTS } from './audit-log';
import { CONSOLE_AUDIT_ACTIONS } from './admin-audit';
import { authorise, onServer, pathsOf, routeOf, type RpApiConfig, type RpCall, type RpContext, type RpMethod, type RpRoute, type RpTopRoute } from './rp-route';

export type { RpApiConfig } from './rp-route';

const QR_SESSION_LIFETIME_MS = 10 * 60 * 1000;
const MAX_NONCE_CHARS = 256;
/** Push fatigue: one unanswered push login per account at a time, five per ten minutes (RpApiConfig.pushLimits). */
export const DEFAULT_PUSH_LIMITS = { pending: 1, perWindow: 5, windowMs: 10 * 60 * 1000 } as const;
/** The nonces the server makes (rp-api.ts loginNonce). */
const SERVER_NONCE = /^(app|oidc|ciba|admin)\./;
/**
 * Sane ranges of the server parameters: a PIN attempt limit beyond 10 turns the limit into a
 * formality (a key with `servers` must not be able to lift it); pings at most daily (pingTime, s);
 * a login's second factor skipped for at most a day (pinTimeout, minutes), or, at -1, whenever one
 * was verified before; a transaction's (pinTransTimeout) for at most a day, never without limit.
 */
export const SERVER_PARAM_RANGES = {
  pingTime: [0, 24 * 3600],
  pinTimeout: [-1, 24 * 60],
  pinTransTimeout: [0, 24 * 60],
  pinAttemptLimit: [1, 10],
} as const;
const MAX_LOGO_CHARS = 32 * 1024;
const LOGO_DATA_URL = /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,([A-Za-z0-9+/]+={0,2})$/;

/** Valid logo: an https URL or a data: URL of a base64 image, at most 32 KiB; null clears it. */
function logoParam(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_LOGO_CHARS) {
    throw new HttpError(400, `logo must be null or a URL of at most ${MAX_LOGO_CHARS} characters`);
  }
  if (v.startsWith('data:')) {
    if (!LOGO_DATA_URL.test(v)) throw new HttpError(400, 'logo: a data URL must be data:image/(png|jpeg|gif|webp|svg+xml);base64,<base64>');
    return v;
  }
  let url: URL | null = null;
  try {
    url = new URL(v);
  } catch {
    /* below */
  }
  // https: only: devices refuse any other logo (docs/protocol.md §5.1), which would fail every start.
  if (!url || url.protocol !== 'https:' || /[\s<>"']/.test(v)) {
    throw new HttpError(400, 'logo must be an https URL or a data:image URL');
  }
  return v;
}

/**
 * The server parameters of a createServer / updateServer body over `base`. Unknown fields are
 * refused (a misspelt pinAttemptLimit must not pass silently); what GET returns may come back (GET,
 * edit, PUT), but its read-only fields must equal `current`'s.
 */
function serverParams(j: Record<string, unknown>, base: Pick<ServerRecord, 'name' | 'pingTime' | 'pinTimeout' | 'pinTransTimeout' | 'pinAttemptLimit' | 'logo' | 'profile'>, current: Record<string, unknown>): ServerParams {
  const writable = ['serverName', 'pingTime', 'pinTimeout', 'pinTransTimeout', 'pinAttemptLimit', 'logo', 'returnOrigins', ...PROFILE_FIELDS];
  for (const key of Object.keys(j)) {
    if (writable.includes(key)) continue;
    const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
    if (!['serverid', 'serverpk', 'accountCount', 'lastLogin', 'serverpkPrevious', 'serverpkPreviousUntil'].includes(key)) throw new HttpError(400, `unknown field "${shown}"`);
    if (!Object.hasOwn(current, key) || j[key] !== current[key]) throw new HttpError(400, `field "${shown}" is read-only`);
  }
  const next: ServerParams = {
    name: base.name,
    pingTime: base.pingTime,
    pinTimeout: base.pinTimeout,
    pinTransTimeout: base.pinTransTimeout,
    pinAttemptLimit: base.pinAttemptLimit,
    logo: base.logo ?? null,
    profile: profileParams(j, base.profile),
  };
  if (j.serverName !== undefined) {
    if (typeof j.serverName !== 'string' || j.serverName.trim() === '' || j.serverName.length > 100) {
      throw new HttpError(400, 'serverName must be a non-empty string of at most 100 characters');
    }
    next.name = j.serverName;
  }
  for (const key of ['pingTime', 'pinTimeout', 'pinTransTimeout', 'pinAttemptLimit'] as const) {
    const v = j[key];
    if (v === undefined) continue;
    const [min, max] = SERVER_PARAM_RANGES[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new HttpError(400, `${key} must be an integer in ${min}..${max}`);
    }
    next[key] = v;
  }
  if (j.logo !== undefined) next.logo = logoParam(j.logo);
  if (j.returnOrigins !== undefined) next.returnOrigins = returnOriginsParam(j.returnOrigins);
  return next;
}

function optionalText(q: URLSearchParams, key: string): string | null {
  const v = q.get(key);
  if (v === null || v === '') return null;
  if (v.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `query "${key}" is too long`);
  return v;
}

function flagParam(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null || v === '' || v === 'false') return false;
  if (v !== 'true') throw new HttpError(400, `query "${key}" must be true or false`);
  return true;
}

/** `secondfactor=required`: this login must ask the second factor whatever the pinTimeout. */
function secondFactorParam(q: URLSearchParams): boolean {
  const v = q.get('secondfactor');
  if (v === null || v === '') return false;
  if (v !== 'required') throw new HttpError(400, 'query "secondfactor" must be "required"');
  return true;
}

/** Every operation outside /servers/{sid}/: the server list, the API keys, the global audit log. */
export const TOP_ROUTES: readonly RpTopRoute[] = [...KEY_AND_SERVER_ROUTES, ...AUDIT_TOP_ROUTES];
/** Their paths. */
export const RP_TOP_ROUTES = pathsOf(TOP_ROUTES);

/** The OpenID provider's client registry (oidc/clients.ts), when the provider is on. */
async function oidcClients({ api, req, res, server, params }: RpCall, method: RpMethod): Promise<void> {
  const { oidcClients } = api.cfg;
  if (!oidcClients) throw new HttpError(404, 'the OpenID provider is not enabled on this server');
  await oidcClients.handle(req, res, server, params.clientid ?? null, method);
}

/** The server itself, its signing keys and its OpenID clients (permission servers). */
const SERVER_ROUTES: readonly RpRoute[] = [
  {
    id: 'getServer', method: 'GET', path: '', permission: onServer('servers'),
    handle: async ({ api, req, res, server }) => sendJson(req, res, 200, await serverJson(api.cfg.store, server)),
  },
  {
    id: 'updateServer', method: 'PUT', path: '', permission: onServer('servers'),
    handle: async ({ api, req, res, server }) => {
      await api.updateServer(req, server);
      sendJson(req, res, 200, await serverJson(api.cfg.store, await api.cfg.store.getServer(server.id) ?? server));
    },
  },
  {
    // Whoever may make an enrol QR (sessions) sees the key in it anyway: the enrol page shows its fingerprint.
    id: 'getServerVash', method: 'GET', path: 'vash', permission: onServer('sessions', 'servers'),
    handle: async ({ req, res, server }) => sendJson(req, res, 200, { vash: visualHash(server.id, server.pk) }),
  },
  {
    id: 'rotateServerKey', method: 'POST', path: 'keys/rotate', permission: onServer('servers'),
    handle: async ({ api, req, res, server }) => {
      const { store, messenger, now, keyOverlapMs } = api.cfg;
      const { server: rotated, rekeyed } = await rotateServerKey(store, messenger, server, now() + keyOverlapMs);
      sendJson(req, res, 200, { ...(await serverJson(store, rotated)), rekeyed });
    },
  },
  {
    id: 'retireServerKey', method: 'POST', path: 'keys/retire', permission: onServer('servers'),
    handle: async ({ api, req, res, server }) => sendJson(req, res, 200, await serverJson(api.cfg.store, await retireServerKey(api.cfg.store, server))),
  },
  ...([['listOidcClients', 'GET', 'oidc/clients'], ['createOidcClient', 'POST', 'oidc/clients'],
    ['getOidcClient', 'GET', 'oidc/clients/:clientid'], ['deleteOidcClient', 'DELETE', 'oidc/clients/:clientid']] as const)
    .map(([id, method, path]): RpRoute => ({ id, method, path, permission: onServer('servers'), handle: (call) => oidcClients(call, method) })),
];

/** Every operation under /servers/{sid}/, once (rp-route.ts). */
export const RP_ROUTES: readonly RpRoute[] = [...SERVER_ROUTES, ...PERMISSION_ROUTES, ...ROLE_ROUTES, ...SESSION_ROUTES, ...ACCOUNT_ROUTES, ...USER_ROUTES, ...AUDIT_ROUTES];
/** Their paths (`:id`, `:tid`, `:userid`, `:roleid`, `:clientid` are parameters); `GET /servers` itself is the list. */
export const RP_SERVER_ROUTES = pathsOf(RP_ROUTES);
/** The closed list of audit actions (audit-log.ts): the security events, and `rp.<operationId>` for each operation. */
export const AUDIT_ACTIONS: readonly string[] = [...SECURITY_EVENTS, ...[...TOP_ROUTES, ...RP_ROUTES].map((r) => `rp.${r.id}`), ...CONSOLE_AUDIT_ACTIONS];

export class RpApi implements RpContext {
  readonly keys: ApiKeys;

  constructor(readonly cfg: RpApiConfig) {
    this.keys = new ApiKeys(cfg.store, cfg.rootDigest);
  }

  /** Handles a path under /servers or /apikeys; `segments` are the decoded path parts. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, segments: string[], q: URLSearchParams): Promise<void> {
    await auditedCall(this.cfg.audit, req, res, q, async (call, context) => {
      const caller = await this.keys.authenticate(req);
      context.actor = actorOf(caller);
      const auditDetail = call.detail;
      // /servers, /apikeys[/{keyid}] and /audit are top routes; /servers/{sid}/… the server's.
      if (segments[0] !== 'servers' || segments.length === 1) {
        const { route, params } = routeOf(TOP_ROUTES, req, res, segments);
        Object.assign(call, { route, params });
        authorise(route, caller, null);
        await route.handle({ api: this, req, res, params, q, caller, auditDetail });
        return;
      }
      const server = await this.server(segments[1]);
      const { route, params } = routeOf(RP_ROUTES, req, res, segments.slice(2));
      Object.assign(call, { route, params, server: server.id });
      authorise(route, caller, server);
      await route.handle({ api: this, req, res, server, params, q, caller, auditDetail });
    });
  }

  /** Deletes accounts: each gets a deletion message, sealed to its key before it becomes a tombstone. */
  async deleteAccounts(server: ServerRecord, accounts: AccountRecord[]): Promise<void> {
    const { store } = this.cfg;
    await store.transaction(async () => {
      for (const account of accounts) {
        await this.cfg.messenger.send(server, account, { kind: 'delete' });
        await store.deleteAccount(account.id, this.cfg.now());
      }
    });
  }

  /**
   * A push login on the nonce (a new login QR session) to every one of `accounts`; the UserContext is
   * the body or query. Only the account it was sent to (or, sent to a user, that user's accounts)
   * may log in on it.
   */
  async provoke(
    req: http.IncomingMessage, server: ServerRecord, nonce: string, accounts: AccountRecord[], q: URLSearchParams, forUser: string | null = null,
  ): Promise<{ matchcode: string | null }> {
    const body = await readRawBody(req);
    const ctx = parseUserContext(body.length ? body.toString('utf8') : q.get('usercontext'));
    const codeMatch = q.get('codematch') === null || q.get('codematch') === '' ? this.cfg.pushCodeMatch === true : flagParam(q, 'codematch');
    return this.provokeAccounts(server, nonce, accounts, { ctx, requireSecondFactor: secondFactorParam(q), forUser, codeMatch, limited: true });
  }

  /**
   * provoke() for callers inside the server (the OpenID provider's CIBA requests). `codeMatch`: the
   * push login uses code matching (the answer's matchcode is the number to show); `limited`: the
   * push-fatigue limits (pushLimits) apply, refusing with 429 PUSH_LIMIT.
   */
  async provokeAccounts(
    server: ServerRecord, nonce: string, accounts: AccountRecord[],
    o: { ctx: UserContext; requireSecondFactor: boolean; forUser: string | null; codeMatch?: boolean; limited?: boolean },
  ): Promise<{ matchcode: string | null }> {
    const boundAccount = o.forUser === null && accounts.length === 1 ? accounts[0].id : null;
    const matchCode = o.codeMatch ? drawMatchCode() : null;
    const id = randomBytes(SESSION_ID_BYTES);
    if (o.limited) await this.reservePushPrompts(server, accounts, id);
    const payload = await this.newQrSession(server, nonce, 'login', { id, userid: o.forUser, name: null, ctx: o.ctx, requireSecondFactor: o.requireSecondFactor, boundAccount, matchCode });
    await this.pushLogin(server, accounts, payload);
    const now = this.cfg.now();
    for (const a of accounts) await this.cfg.store.setLastProvoke(a.id, now);
    return { matchcode: matchCode };
  }

  /**
   * Push fatigue (OWASP ASVS: MFA fatigue): at most `pending` unanswered, unexpired push logins per
   * account and at most `perWindow` sent in `windowMs`, counted in the store so every instance sees
   * them; else 429 PUSH_LIMIT with Retry-After. The accounts' rows are locked while counting (the
   * lastprovoke update), so two concurrent provokes cannot both pass. Records the prompt for the QR session `qr`.
   */
  private async reservePushPrompts(server: ServerRecord, accounts: AccountRecord[], qr: Uint8Array): Promise<void> {
    const { store } = this.cfg;
    const limits = { ...DEFAULT_PUSH_LIMITS, ...this.cfg.pushLimits };
    limits.windowMs = Math.min(limits.windowMs, PUSH_WINDOW_MAX_MS);
    const now = this.cfg.now();
    const out: { refusal: { account: number; why: string; retryAt: number } | null } = { refusal: null };
    const refused = new Error('push limit');
    await store.transaction(async () => {
      for (const a of accounts) await store.setLastProvoke(a.id, now);
      for (const a of accounts) {
        const p = await store.pushPrompts(a.id, now, now - limits.windowMs, now - Math.max(limits.windowMs, QR_SESSION_LIFETIME_MS));
        if (limits.pending > 0 && p.pending >= limits.pending) {
          out.refusal = { account: a.id, why: `${p.pending} push login(s) already pending`, retryAt: p.firstExpiry ?? now + 1000 };
        } else if (limits.perWindow > 0 && p.recent >= limits.perWindow) {
          out.refusal = { account: a.id, why: `${p.recent} push logins in the last ${Math.round(limits.windowMs / 1000)} s`, retryAt: (p.firstRecent ?? now) + limits.windowMs };
        }
        if (out.refusal) throw refused;  // rolls back: a refused call changes nothing (lastprovoke included)
      }
      for (const a of accounts) await store.addPushPrompt(a.id, qr, now, now + QR_SESSION_LIFETIME_MS);
    }).catch((err: unknown) => {
      if (err !== refused) throw err;
    });
    const { refusal } = out;
    if (!refusal) return;
    const retryAfter = Math.max(1, Math.ceil((refusal.retryAt - now) / 1000));
    process.stderr.write(`tapgate-server: push login refused (PUSH_LIMIT): server ${toB64u(server.id)} account ${refusal.account}: ${refusal.why}\n`);
    await this.cfg.audit.note({ action: 'pushLimited', outcome: 'refused', server: server.id, account: refusal.account, detail: { why: refusal.why, retryAfter } });
    throw new HttpError(429, `too many push logins for this account: ${refusal.why}`, { code: 'PUSH_LIMIT', accountid: refusal.account, retryAfter });
  }

  /**
   * The QR session of a transaction: only its user's account may sign it, with the second factor
   * unless one was verified within the server's pinTransTimeout (0 by default: always).
   */
  transactionQr(server: ServerRecord, nonce: string, o: { userid: string | null; tid: string; boundAccount: number | null }): Promise<Uint8Array> {
    return this.newQrSession(server, nonce, 'login', { name: null, ctx: parseUserContext(null), requireSecondFactor: false, ...o });
  }

  /** A new login QR session for the nonce (it becomes the nonce's latest); returns its payload. */
  createLoginQr(server: ServerRecord, nonce: string, o: { ctx: UserContext; requireSecondFactor: boolean }): Promise<Uint8Array> {
    return this.newQrSession(server, nonce, 'login', { userid: null, name: null, ...o });
  }

  /** Ends the nonce's login, if any, and tells the device at once rather than at its next ping. */
  async logout(server: ServerRecord, nonce: string): Promise<void> {
    const { store } = this.cfg;
    const rp = await currentRpSession(store, server, nonce, this.cfg.now());
    if (!rp?.loggedIn) return;
    await store.logOut(server.id, nonce, this.cfg.now());
    const account = rp.accountId != null ? await store.getAccount(rp.accountId) : undefined;
    if (account && rp.loginQr) await this.cfg.messenger.send(server, account, { kind: 'logout', session: toB64u(rp.loginQr) });
  }

  /** The virtual server of a base64url id; 404 when there is none. */
  async server(sid: string): Promise<ServerRecord> {
    const id = fromB64u(sid);
    const server = id && id.length === SERVER_ID_BYTES ? await this.cfg.store.getServer(id) : undefined;
    if (!server) throw new HttpError(404, 'unknown server');
    return server;
  }

  nonce(req: http.IncomingMessage): string {
    const nonce = header(req, 'x-nonce');
    if (!nonce) throw new HttpError(400, 'missing X-nonce header');
    if (nonce.length > MAX_NONCE_CHARS) throw new HttpError(400, 'X-nonce too long');
    return nonce;
  }

  /**
   * The nonce of a request that starts a login on it (a QR code, a push login). Nonces beginning
   * `app.` (AppLogin web nonces), `oidc.` and `ciba.` (the OpenID provider's) and `admin.` (the admin console's) are made by the server:
   * a relying party may read and end those sessions, but not log anyone in on them, so a web nonce
   * exchanged for tokens (oidc/token-exchange.ts) is always an AppLogin's.
   */
  loginNonce(req: http.IncomingMessage): string {
    const nonce = this.nonce(req);
    if (SERVER_NONCE.test(nonce)) throw new HttpError(400, 'X-nonce: nonces beginning app., oidc., ciba. or admin. are made by the server');
    return nonce;
  }

  async updateServer(req: http.IncomingMessage, server: ServerRecord): Promise<void> {
    const j = parseJsonObject(await readRawBody(req));
    const current: Record<string, unknown> = await serverJson(this.cfg.store, server);
    await this.cfg.store.updateServer(server.id, serverParams(j, server, current));
  }

  /** createServer: a new virtual server with its own id and Ed25519 key pair. */
  async createServer(req: http.IncomingMessage, caller: Caller): Promise<ServerRecord> {
    const { store } = this.cfg;
    const j = parseJsonObject(await readRawBody(req));
    if (j.serverName === undefined) throw new HttpError(400, 'serverName is required');
    const defaults = { name: '', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3, logo: null, profile: EMPTY_PROFILE };
    const params = serverParams(j, defaults, {});
    const id = randomBytes(SERVER_ID_BYTES);
    const kp = signKeyPair();
    await store.transaction(async () => {
      await store.insertServer(id, kp.publicKey, kp.secretKey, params.name, this.cfg.now());
      await store.updateServer(id, params);
      // A key that may create servers gets every permission on the ones it creates.
      if (caller.keyId !== null && !ApiKeys.global(caller, 'root')) await store.addApiKeyPermission(caller.keyId, 'root', id);
    });
    return (await store.getServer(id))!;
  }

  /** The v2.2 LoginStatus of a nonce (also what the status channel sends first). */
  async loginStatus(server: ServerRecord, nonce: string) {
    const { store } = this.cfg;
    const rp = await currentRpSession(store, server, nonce, this.cfg.now());
    const account = rp?.accountId != null ? await store.getAccount(rp.accountId) : undefined;
    const loggedin = !!rp?.loggedIn;
    const canprovoke = !!await this.provokableAccount(server, nonce);
    const latest = rp?.latestQr ? await store.getQrSession(rp.latestQr) : undefined;
    return {
      loggedin,
      userid: rp?.userId ?? null,
      accountid: rp?.accountId ?? null,
      pk: account ? toB64u(account.pk) : null,
      canprovoke,
      loginqrdata: rp?.latestLoginQr ? toB64u(rp.latestLoginQr) : null,
      hsid: rp?.latestQr ? toB64u(rp.latestQr) : null,
      scanned: !!rp?.scanned,
      cancelled: !!rp?.cancelled,
      userinput: rp?.userInput ?? null,
      matchcode: latest?.matchCode ?? null,
    };
  }

  async account(server: ServerRecord, param: string | null): Promise<AccountRecord> {
    const account = /^\d{1,15}$/.test(param ?? '') ? await this.cfg.store.getAccount(Number(param)) : undefined;
    if (!account || !bytesEqual(account.server, server.id)) throw new HttpError(404, 'unknown account');
    return account;
  }

  /** The account a push login on this nonce would go to: the one last logged in on it. */
  async provokableAccount(server: ServerRecord, nonce: string): Promise<AccountRecord | undefined> {
    const rp = await this.cfg.store.getRpSession(server.id, nonce);
    return rp?.accountId != null ? await this.cfg.store.getAccount(rp.accountId) : undefined;
  }

  /**
   * A login message for the QR session, with its start response so the device goes straight to
   * login; every account gets the same start (the transcript is the session's), the first login wins.
   */
  async pushLogin(server: ServerRecord, accounts: AccountRecord[], payload: Uint8Array): Promise<void> {
    const qs = (await this.cfg.store.getQrSession(parseQr(payload)!.sessionId))!;
    const start = await startForPush(this.cfg.store, server, qs, this.cfg.now());
    for (const account of accounts) await this.cfg.messenger.send(server, account, { kind: 'login', qr: toB64u(payload), start });
  }

  /** A fresh QR session for the nonce (it becomes the nonce's latest); returns its payload. */
  private async newQrSession(
    server: ServerRecord,
    nonce: string,
    kind: 'login' | 'enrol',
    o: {
      /** The session id (default: a fresh one). */
      id?: Uint8Array;
      userid: string | null;
      name: string | null;
      ctx: ReturnType<typeof parseUserContext>;
      requireSecondFactor?: boolean;
      matchCode?: string | null;
      tid?: string;
      /** Only this account may log in on it (login-binding.ts). */
      boundAccount?: number | null;
    },
  ): Promise<Uint8Array> {
    const id = o.id ?? randomBytes(SESSION_ID_BYTES);
    const payload =
      kind === 'enrol' ? buildEnrolQr(server.id, id, server.pk, this.cfg.deviceUrl) : buildLoginQr(server.id, id);
    const created = this.cfg.now();
    await this.cfg.store.insertQrSession({
      id,
      server: server.id,
      nonce,
      kind,
      userid: o.userid,
      name: o.name,
      usercontext: o.ctx.announceinfo || o.ctx.sessioninfo ? JSON.stringify(o.ctx) : null,
      payload,
      created,
      expires: created + QR_SESSION_LIFETIME_MS,
      transcript: transcriptStart(payload),
      requireSecondFactor: o.requireSecondFactor ?? false,
      matchCode: o.matchCode ?? null,
      tid: o.tid ?? null,
      boundAccount: o.boundAccount ?? null,
    });
    return payload;
  }

  async qr(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    server: ServerRecord,
    kind: 'login' | 'enrol',
    q: URLSearchParams,
  ): Promise<void> {
    const nonce = this.loginNonce(req);
    const img = q.get('img');
    if (img !== null && img !== '' && img !== 'png') throw new HttpError(400, 'query "img" must be "png"');
    const size = intParam(q, 's', 300, 32, 2048);
    const userid = kind === 'enrol' ? optionalText(q, 'userid') : null;
    const name = kind === 'enrol' ? optionalText(q, 'name') : null;
    const ctx = parseUserContext(q.get('usercontext'));
    const requireSecondFactor = secondFactorParam(q);
    const matchCode = kind === 'login' && flagParam(q, 'codematch') ? drawMatchCode() : null;
    const payload = await this.newQrSession(server, nonce, kind, { userid, name, ctx, requireSecondFactor, matchCode });
    if (img === 'png') {
      const png = await QRCode.toBuffer([{ data: Buffer.from(payload), mode: 'byte' }], {
        errorCorrectionLevel: 'M',
        width: size,
        margin: 2,
      });
      sendBytes(req, res, 200, png, 'image/png');
    } else {
      sendBytes(req, res, 200, payload, 'application/octet-stream');
    }
  }
}
