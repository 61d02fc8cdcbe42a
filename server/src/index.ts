// @tapgate/server: the reference server as a request handler a host can mount next to its own routes.
import type * as http from 'node:http';
import * as path from 'node:path';
import { cryptoReady, fromB64u, hash, randomBytes, signKeyPair, toB64u, utf8 } from './crypto';
import type { Store } from './db';
import { ObservedStore } from './observed-store';
import { SqliteDriver } from './sql/sqlite';
import { isPostgresUrl, PgDriver } from './sql/postgres';
import { RpStatusChannel } from './rp-status-channel';
import { DeviceApi } from './device-api';
import { decodePathSegment, normaliseOrigin, sendError, sendJson } from './http';
import { Messenger } from './messages';
import { LocalPushRelay, type PushOutcome, type PushSender } from './push';
import { isDeviceUrl, SERVER_ID_BYTES } from './qr';
import { DEFAULT_KEY_OVERLAP_MS, MAX_KEY_OVERLAP_MS, resolveKeyWrapper, type KeyWrapper } from './server-keys';
import { handleOps, isOpsPath } from './ops-routes';
import { sendRateLimited, TokenBuckets, type RateLimit, type RateLimiter, type RateLimitName } from './rate-limit';
import { SharedTokenBuckets } from './rate-limit-shared';
import { ServerMetrics } from './metrics';
import { checkMetricsToken, handleMetrics, METRICS_PATH } from './metrics-endpoint';
import { routeLabel } from './metrics-routes';
import type { InstanceRelay } from './instance-relay';
import { AUDIT_ACTIONS, RpApi, SERVER_PARAM_RANGES } from './rp-api';
import { auditConsoleActions } from './admin-audit';
import { ANONYMOUS, AuditLog, clientIp } from './audit-log';
import type { PushLimits } from './rp-route';
import { vapidKeys, WebPushSender, webPushTokenRefusal, type WebPushOptions } from './web-push';
import { RetentionSweeper, type RetentionOptions, type RetentionReport } from './retention';
import { nativePushSenders, TokenPushRouter } from './push-tokens';
import { PushFailureLog } from './push-failures';
import type { FcmOptions } from './fcm';
import type { ApnsOptions } from './apns';
import type { OidcOptions, OidcProvider } from './oidc';
import type { AdminActions, AdminConsole, AdminOptions } from './admin';

export interface TapgateServerOptions {
  /** SQLite file <dataDir>/tapgate.sqlite; default ./data */
  dataDir?: string;
  /** Overrides dataDir; ':memory:' allowed. */
  dbPath?: string;
  /**
   * A postgres:// or postgresql:// URL: the store is that PostgreSQL database (its schema created
   * if missing) and dataDir/dbPath are not used. Several instances may share it: each hears of the
   * others' session changes (LISTEN/NOTIFY) and the push relay queue is in the database. Anything
   * else, or none: SQLite at dbPath.
   */
  databaseUrl?: string;
  /**
   * Default: env TAPGATE_ROOT_API_KEY, else a random key generated on first start: shown once
   * (TapgateServer.rootApiKey of that start), its digest alone stored in the DB.
   */
  rootApiKey?: string;
  /**
   * The key the servers' signing keys are encrypted under in the database (server-keys.ts). One of:
   * a KeyWrapper (a KMS, docs/server-api.md §3); `key`, base64url of 32 bytes; `keyFile`, a file of
   * 32 bytes. Default: the file tapgate.key in the data dir (made on first start, mode 0600),
   * or a key in memory for dbPath ':memory:'. Instances sharing a database must share it.
   */
  keyWrapper?: KeyWrapper;
  key?: string;
  keyFile?: string;
  /** How long a rotated-out signing key keeps signing beside the new one (default 7 days). */
  keyOverlapMs?: number;
  /**
   * Push fatigue: per account, at most `pending` unanswered push logins (provokelogin) at a time and
   * `perWindow` in `windowMs`; more are refused 429 PUSH_LIMIT. Default 1, 5 per 10 minutes; 0 lifts one.
   */
  pushLimits?: Partial<PushLimits>;
  /** provokelogin without `codematch=` uses code matching (number matching) all the same (default false). */
  pushCodeMatch?: boolean;
  /** Origin the device reaches, e.g. http://localhost:8080; the enrol QR carries `${publicUrl}/device`. */
  publicUrl: string;
  /** Name of the virtual server created on first start (default "Tapgate Demo"). */
  serverName?: string;
  /** Clock in ms, default Date.now. */
  now?: () => number;
  /**
   * Where push messages go. Default: by token, Web Push subscriptions ("webpush:{…}") through Web
   * Push with the server's VAPID key (GET /webpush/v1/vapid), "fcm:…" and "apns:…" tokens through
   * FCM and APNs when configured (else not pushed), every other token to the local relay served at
   * /relay/v1/{token} (push-tokens.ts, docs/server-api.md §2).
   */
  pushSender?: PushSender;
  /**
   * Web Push settings for the default pushSender. Its endpoint rules (https on public hosts,
   * `allowHosts`, `allowHttp`, `allowEndpoint`) also decide which `webpush:` tokens devices may
   * register, whatever the pushSender.
   */
  webPush?: WebPushOptions;
  /** FCM (HTTP v1) settings for the default pushSender; without them "fcm:" tokens are not pushed. */
  fcm?: FcmOptions;
  /** APNs settings for the default pushSender; without them "apns:" tokens are not pushed. */
  apns?: ApnsOptions;
  /**
   * Token buckets per API key (relying-party API), per client address (device API) and per account
   * (the device API's PIN-trying requests: login, PIN check, factor change); default: none. On
   * PostgreSQL the buckets are in the database, so the instances sharing it allow the rate once
   * between them; on SQLite they are kept in this process.
   */
  rateLimits?: { rp?: RateLimit; device?: RateLimit; account?: RateLimit };
  /**
   * Where the buckets of `rateLimits` are kept; default: the database on PostgreSQL
   * (SharedTokenBuckets), else this process (TokenBuckets). The CLI's cluster workers on SQLite
   * take them from the primary, so N workers allow the rate once, not N times.
   */
  rateLimiter?: (name: RateLimitName, limit: RateLimit) => RateLimiter;
  /**
   * Other processes serving the same SQLite database (the CLI's cluster workers): this one tells
   * them of its session changes and servers writes, and hears of theirs. Not needed on PostgreSQL,
   * whose NOTIFY reaches every instance.
   */
  relay?: InstanceRelay;
  /**
   * Browser origins (besides publicUrl's own) whose requests the device API accepts, e.g. a
   * browser extension's chrome-extension://<id>. Requests without an Origin header always pass.
   */
  deviceOrigins?: readonly string[];
  /** When rows that are no longer needed are deleted (retention.ts; defaults there). */
  retention?: RetentionOptions;
  /**
   * The OpenID Connect provider at {publicUrl}/oidc (oidc/index.ts): true or its options turn it
   * on (the CLI: TAPGATE_OIDC=1). Default: off.
   */
  oidc?: boolean | OidcOptions;
  /**
   * The bearer token of GET /metrics (Prometheus text format, docs/server-api.md §4), at least 16
   * printable characters. Default: env TAPGATE_METRICS_TOKEN; none: no metrics are kept and
   * /metrics is not the server's path (handle resolves false).
   */
  metricsToken?: string;
  /**
   * The admin console at {publicUrl}/admin (admin/index.ts): true or its options turn it on (the
   * CLI: TAPGATE_ADMIN=1). Default: off, and /admin is not served.
   */
  admin?: boolean | AdminOptions;
}

export interface TapgateServer {
  /** True if it handled the request (paths /device/... and /servers/...), false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>;
  /** The root API key when it was given, or generated by this start; null when only its digest is stored. */
  rootApiKey: string | null;
  /** base64url of the first virtual server's 16-byte id. */
  serverId: string;
  /**
   * The admin console's actions (admin/actions.ts): `listen` hears every administrator action and
   * its outcome (an audit log). Null when the console is off.
   */
  readonly adminActions: AdminActions | null;
  /** Open status-channel streams (GET /servers/{sid}/sessions/events), for monitoring and tests. */
  readonly openStatusStreams: number;
  /**
   * Starts a graceful shutdown: /readyz answers 503 from now on and open status streams end;
   * requests in flight still complete. close() afterwards.
   */
  drain(): void;
  /** Runs a retention sweep now (it also runs at start and on its timer); rows deleted per rule. */
  sweep(): Promise<RetentionReport>;
  close(): Promise<void>;
}

/** Earlier versions stored the generated root key itself under this setting; now only its digest. */
const CLEAR_ROOT_KEY_SETTING = 'rootApiKey';
const ROOT_KEY_DIGEST_SETTING = 'rootApiKeyDigest';
const FIRST_SERVER_SETTING = 'firstServerId';

// Instances sharing one database may start at once: values made on first start are settled by
// the database (the first stored wins), never by which instance read first.

/** The root key's digest, and the key itself when it was given or generated by this start. */
async function resolveRootKey(store: Store, opts: TapgateServerOptions): Promise<{ key: string | null; digest: Uint8Array }> {
  const given = opts.rootApiKey || process.env.TAPGATE_ROOT_API_KEY;
  const clear = await store.getSetting(CLEAR_ROOT_KEY_SETTING);
  if (clear !== undefined) {
    // Migration: the key stays valid, only its digest stays stored.
    await store.settingOnce(ROOT_KEY_DIGEST_SETTING, toB64u(hash(utf8(clear))));
    await store.deleteSetting(CLEAR_ROOT_KEY_SETTING);
  }
  if (given) return { key: given, digest: hash(utf8(given)) };
  const candidate = toB64u(randomBytes(32));
  const candidateDigest = toB64u(hash(utf8(candidate)));
  const stored = await store.settingOnce(ROOT_KEY_DIGEST_SETTING, candidateDigest);
  const digest = fromB64u(stored);
  if (!digest) throw new Error(`the setting ${ROOT_KEY_DIGEST_SETTING} is not a base64url digest`);
  return { key: stored === candidateDigest ? candidate : null, digest };
}

async function ensureFirstServer(store: Store, name: string, now: number): Promise<string> {
  const first = (await store.listServers())[0];
  if (first) return toB64u(first.id);
  const candidate = toB64u(randomBytes(SERVER_ID_BYTES));
  const id = await store.settingOnce(FIRST_SERVER_SETTING, candidate);
  if (id === candidate) {
    const kp = signKeyPair();
    await store.insertServer(fromB64u(id)!, kp.publicKey, kp.secretKey, name, now);
  }
  return id;
}

/** Decoded path segments; HttpError 400 when one is not valid percent-encoding. */
function segmentsOf(pathname: string): string[] {
  return pathname.split('/').filter((s) => s !== '').map(decodePathSegment);
}

const RELAY_PREFIX = '/relay/v1/';
const VAPID_PATH = '/webpush/v1/vapid';

export type { PushSender } from './push';
export type { RateLimit } from './rate-limit';
export { WebPushSender, parseWebPushToken, WEB_PUSH_TOKEN_PREFIX } from './web-push';
export type { WebPushOptions, WebPushSubscription } from './web-push';
export { publicOnlyLookup, PushAddressError } from './push-endpoint';
export type { PushEndpointPolicy } from './push-endpoint';
export type { RetentionOptions, RetentionReport } from './retention';
export { LocalPushRelay } from './push';
export { FcmSender, parseFcmToken, parseServiceAccount, FCM_TOKEN_PREFIX, FCM_API_BASE, GOOGLE_TOKEN_URL } from './fcm';
export type { FcmOptions, ServiceAccount } from './fcm';
export { ApnsSender, parseApnsToken, APNS_TOKEN_PREFIX, APNS_PRODUCTION_URL, APNS_SANDBOX_URL } from './apns';
export type { ApnsOptions } from './apns';
export { PushDeliveryError } from './push-common';
export { TokenPushRouter, pushKindOf } from './push-tokens';
export type { PushKind, PushSenders } from './push-tokens';
export { keepDeviceConnectionsAlive } from './http';
export { LocalKeyWrapper, KeyUnwrapError } from './server-keys';
export type { KeyWrapper } from './server-keys';
export type { OidcOptions } from './oidc';
export type { AdminActions, AdminOptions, AdminAction, AdminActionListener, AdminActionOutcome, AdminActor } from './admin';
export { TOKEN_EXCHANGE_GRANT, WEB_NONCE_TOKEN_TYPE } from './oidc/token-types';
export { verifyTransactionApproval } from './rp-verify';
export type { TransactionApproval } from './rp-verify';

export async function createTapgateServer(opts: TapgateServerOptions): Promise<TapgateServer> {
  await cryptoReady();
  const now = opts.now ?? Date.now;
  const publicUrl = String(opts.publicUrl ?? '').replace(/\/+$/, '');
  const deviceUrl = `${publicUrl}/device`;
  if (!isDeviceUrl(deviceUrl)) {
    throw new Error('publicUrl must be an http(s) origin of printable ASCII, at most 248 characters');
  }
  const metricsToken = opts.metricsToken ?? (process.env.TAPGATE_METRICS_TOKEN || undefined);
  if (metricsToken !== undefined) checkMetricsToken(metricsToken);
  // The status channel is made below (openStreams then reads it); the gauge reads this at each scrape.
  let openStreams = () => 0;
  const metrics = metricsToken !== undefined ? new ServerMetrics(() => openStreams()) : null;
  const metricsDigest = metricsToken !== undefined ? hash(utf8(metricsToken)) : null;
  const driver = isPostgresUrl(opts.databaseUrl)
    ? await PgDriver.connect(opts.databaseUrl)
    : new SqliteDriver(opts.dbPath ?? path.join(opts.dataDir ?? './data', 'tapgate.sqlite'));
  const store = new ObservedStore(metrics ? metrics.timedDriver(driver) : driver);
  let closed = false;
  try {
    const keyDir = isPostgresUrl(opts.databaseUrl)
      ? (opts.dataDir ?? './data')
      : opts.dbPath === ':memory:'
        ? null
        : path.dirname(opts.dbPath ?? path.join(opts.dataDir ?? './data', 'tapgate.sqlite'));
    const keyWrapper = resolveKeyWrapper(opts, keyDir);
    store.useKeys(keyWrapper, now);
    await store.migrateServerKeys();
    await store.listenToOtherInstances();
    await store.listenForServerChanges();
    if (opts.relay && !store.sql.listen) store.useRelay(opts.relay);
    const { key: rootApiKey, digest: rootDigest } = await resolveRootKey(store, opts);
    const serverId = await ensureFirstServer(store, opts.serverName ?? 'Tapgate Demo', now());
    await store.clampServerParams(SERVER_PARAM_RANGES);
    const relay = new LocalPushRelay(store, now, metrics ? (outcome) => metrics.pushDelivery('relay', outcome) : undefined);
    const vapid = await vapidKeys(store);
    // A token the push service says is gone is forgotten; failing that, the next push finds it gone again.
    const forgetToken = (token: string) => void store.forgetPushToken(token).catch(() => {});
    // Every failure the default senders report is also kept for the admin console (push-failures.ts).
    const pushFailures = new PushFailureLog(now);
    const pushOutcome = metrics ? (kind: string, outcome: PushOutcome) => metrics.pushDelivery(kind, outcome) : undefined;
    const webPush = new WebPushSender(vapid, {
      onGone: forgetToken,
      ...opts.webPush,
      onFailure: pushFailures.reporter('webpush', opts.webPush?.onFailure),
      ...(metrics ? { onOutcome: (outcome) => metrics.pushDelivery('webpush', outcome) } : {}),
    });
    const native = nativePushSenders({
      fcm: opts.fcm && { ...opts.fcm, onFailure: pushFailures.reporter('fcm', opts.fcm.onFailure) },
      apns: opts.apns && { ...opts.apns, onFailure: pushFailures.reporter('apns', opts.apns.onFailure) },
    }, forgetToken, pushOutcome);
    const push = opts.pushSender ?? new TokenPushRouter({ webpush: webPush, relay, ...native }, pushFailures.reporter('router'), pushOutcome);
    const messenger = new Messenger(store, push, now);
    const limiter = (name: RateLimitName): RateLimiter => {
      const limit = opts.rateLimits?.[name] ?? { ratePerSecond: 0, burst: 1 };
      if (opts.rateLimiter) return opts.rateLimiter(name, limit);
      return store.sql.dialect === 'postgres' ? new SharedTokenBuckets(store.sql, name, limit, now) : new TokenBuckets(limit, now);
    };
    const accountBuckets = limiter('account');
    const audit = new AuditLog(store, now, AUDIT_ACTIONS);
    const deviceOrigins = new Set([new URL(publicUrl).origin, ...(opts.deviceOrigins ?? [])].map(normaliseOrigin));
    const device = new DeviceApi(store, now, {
      origins: deviceOrigins,
      pushTokenRefusal: (token) => webPushTokenRefusal(token, opts.webPush ?? {}),
    }, accountBuckets, metrics ?? undefined, audit);
    const sweeper = new RetentionSweeper(store, now, opts.retention);
    // The status channel and the OpenID provider reach the RpApi that serves them, made last (with
    // the provider's client registry), through `rp`: they call it only once everything exists.
    const statusChannel: RpStatusChannel = new RpStatusChannel(store, { loginStatus: (server, nonce) => rp.loginStatus(server, nonce) });
    openStreams = () => statusChannel.openStreams;
    const oidcOn = opts.oidc ?? false;
    const oidc: OidcProvider | null = oidcOn
      // Loaded only when on: oidc-provider is an ES module of some size that nothing else needs.
      ? await (await import('./oidc')).createOidcProvider({ store, rp: () => rp, statusChannel, keyWrapper, publicUrl, now }, typeof oidcOn === 'object' ? oidcOn : {})
      : null;
    const rp: RpApi = new RpApi({
      store, messenger, now, rootDigest, deviceUrl, statusChannel,
      keyOverlapMs: Math.min(opts.keyOverlapMs ?? DEFAULT_KEY_OVERLAP_MS, MAX_KEY_OVERLAP_MS),
      pushLimits: opts.pushLimits, pushCodeMatch: opts.pushCodeMatch,
      oidcClients: oidc?.clients, audit,
    });
    const adminOn = opts.admin ?? false;
    const admin: AdminConsole | null = adminOn
      ? await (await import('./admin')).createAdminConsole({ store, rp, statusChannel, pushFailures, publicUrl, now, firstServerId: serverId }, typeof adminOn === 'object' ? adminOn : {})
      : null;
    if (admin) auditConsoleActions(admin.actions, audit);
    // Overlaps end by the clock whether or not this runs (ServerRecord.sk stops using the key); the sweep forgets the keys.
    const retireTimer = setInterval(() => void store.retireExpiredServerKeys().catch(() => {}), 60 * 60 * 1000);
    retireTimer.unref();
    await store.retireExpiredServerKeys();
    const rpBuckets = limiter('rp');
    const deviceBuckets = limiter('device');
    let draining = false;
    const readiness = {
      async notReadyReason(): Promise<string | null> {
        if (closed || draining) return 'shutting down';
        try {
          await store.ping();
          return null;
        } catch (err) {
          return `database unavailable: ${err instanceof Error ? err.message : String(err)}`;
        }
      },
    };
    /**
     * The bucket a request draws from: a valid API key's digest (the root key, or a stored key
     * that authenticated before); anything else (device API, no or a wrong key) the client address,
     * so guessing keys does not buy a fresh bucket per guess.
     */
    const rateKey = (req: http.IncomingMessage, byAddress: boolean): string => {
      const key = req.headers['x-apikey'];
      if (!byAddress && typeof key === 'string') {
        const digest = toB64u(hash(utf8(key)));
        if (rp.keys.isKnownDigest(digest)) return `key:${digest}`;
      }
      return `addr:${req.socket.remoteAddress ?? ''}`;
    };

    /**
     * What the server answers, by path: each API's own router, and the rate bucket it draws from
     * (`address`: per client address, the device limits; `apiKey`: per API key, the relying-party
     * limits). Operations (health, readiness, OpenAPI) are answered before any of these.
     */
    const mounts: Array<{ matches(p: string): boolean; bucket: 'address' | 'apiKey' | null; handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> }> = [
      { matches: (p) => p === '/device' || p.startsWith('/device/'), bucket: 'address', handle: (req, res, url) => device.handle(req, res, url.pathname.slice('/device'.length)) },
      {
        matches: (p) => p === '/servers' || p.startsWith('/servers/') || p === '/apikeys' || p.startsWith('/apikeys/') || p === '/audit',
        bucket: 'apiKey',
        handle: (req, res, url) => rp.handle(req, res, segmentsOf(url.pathname), url.searchParams),
      },
      // The admin console's pages and API: signed in by cookie, not API key, so per address.
      { matches: (p) => !!admin?.handles(p), bucket: 'address', handle: (req, res, url) => admin!.handle(req, res, url) },
      // The provider's pages and endpoints: no API key, so per address like the device API.
      { matches: (p) => !!oidc?.handles(p), bucket: 'address', handle: (req, res, url) => oidc!.handle(req, res, url.pathname) },
      {
        // The local push relay: what FCM/APNs would deliver, fetched by the app's token.
        matches: (p) => p.startsWith(RELAY_PREFIX),
        bucket: null,
        handle: async (req, res, url) => {
          const token = decodePathSegment(url.pathname.slice(RELAY_PREFIX.length));
          if (req.method !== 'GET' || token === '' || token.includes('/')) sendJson(req, res, 404, { error: 'not found' });
          else sendJson(req, res, 200, { messages: await relay.take(token) });
        },
      },
      {
        // The applicationServerKey a browser subscribes with (PushManager.subscribe).
        matches: (p) => p === VAPID_PATH,
        bucket: null,
        handle: async (req, res) => {
          if (req.method !== 'GET') sendJson(req, res, 405, { error: 'method not allowed' });
          else sendJson(req, res, 200, { publicKey: vapid.publicKey });
        },
      },
    ];

    sweeper.start();  // last: nothing after it can fail and close the store under a sweep
    return {
      rootApiKey,
      serverId,
      adminActions: admin?.actions ?? null,
      get openStatusStreams() {
        return statusChannel.openStreams;
      },
      async handle(req, res) {
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://localhost');
        } catch {
          return false;
        }
        const p = url.pathname;
        if (metrics && p === METRICS_PATH) {
          metrics.timeRequest(req, res, p);
          await handleMetrics(req, res, metrics, metricsDigest!);
          return true;
        }
        if (isOpsPath(p)) {
          metrics?.timeRequest(req, res, p);
          await handleOps(req, res, p, readiness);
          return true;
        }
        const mount = mounts.find((m) => m.matches(p));
        if (!mount) return false;
        metrics?.timeRequest(req, res, routeLabel(p));
        if (closed) {
          sendJson(req, res, 503, { error: 'server is shutting down' });
          return true;
        }
        if (draining && (p.endsWith('/sessions/events') || (admin?.handles(p) && p.endsWith('/events')))) {
          // A stream opened now would only be cut at the end of the grace period: reconnect elsewhere.
          sendJson(req, res, 503, { error: 'server is shutting down' });
          return true;
        }
        const buckets = mount.bucket === 'address' ? deviceBuckets : mount.bucket === 'apiKey' ? rpBuckets : null;
        try {
          // Inside the try: a shared bucket's database may fail, answered like the request's own failures.
          const retryAfter = buckets?.enabled ? await buckets.take(rateKey(req, mount.bucket === 'address')) : 0;
          if (retryAfter > 0) {
            sendRateLimited(req, res, retryAfter);
            await audit.record({ action: 'rateLimited', outcome: 'refused', server: null, detail: { limit: mount.bucket === 'address' ? 'device' : 'rp' } }, { ip: clientIp(req), actor: ANONYMOUS });
            return true;
          }
          await mount.handle(req, res, url);
        } catch (err) {
          sendError(req, res, err);
        }
        return true;
      },
      drain() {
        draining = true;
        statusChannel.endAll();
      },
      sweep: () => sweeper.sweep(),
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(retireTimer);
        oidc?.close();
        statusChannel.close();
        await sweeper.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
