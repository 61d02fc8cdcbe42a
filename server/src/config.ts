// The CLI's settings: each from a flag (--data-dir=/x or --data-dir /x) or else its environment
// variable, else a default. docs/server-api.md §4 lists them.
import { loadPushConfig, PUSH_SETTINGS, type PushConfig } from './push-config';
import type { RateLimit } from './rate-limit';
import type { RetentionOptions } from './retention';
import { MAX_KEY_OVERLAP_MS } from './server-keys';
import type { OidcOptions } from './oidc/runtime';
import type { AdminOptions } from './admin';

export interface CliConfig {
  /** The OpenID provider (TAPGATE_OIDC=1) and its options; false: off. */
  oidc: false | OidcOptions;
  /** The admin console at /admin (TAPGATE_ADMIN=1) and its options; false: off. */
  admin: false | AdminOptions;
  port: number;
  host: string;
  dataDir: string;
  /** postgres:// or postgresql:// URL: PostgreSQL instead of SQLite in dataDir. Never logged as given (it may hold a password). */
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  webPushSubject: string | undefined;
  webPushAllowHttp: boolean;
  /** Push-service hosts trusted whatever they resolve to (a private push service, a test's stand-in). */
  webPushAllowHosts: string[];
  /** Browser origins the device API accepts besides the public URL's (e.g. chrome-extension://<id>). */
  deviceOrigins: string[];
  retention: RetentionOptions;
  /** How long in-flight requests may take to finish after SIGTERM/SIGINT. */
  shutdownGraceMs: number;
  rpRateLimit: RateLimit;
  deviceRateLimit: RateLimit;
  accountRateLimit: RateLimit;
  /** Access log lines on stdout (default on). */
  accessLog: boolean;
  /** The file holding the 32-byte key the server signing keys are encrypted under (default: tapgate.key in dataDir). */
  keyFile: string | undefined;
  /** That key as base64url (TAPGATE_KEY, environment only: a flag would show in the process list). */
  key: string | undefined;
  /** How long a rotated-out signing key keeps signing beside the new one. */
  keyOverlapMs: number;
  /** FCM and APNs senders (push-config.ts); absent ones leave their tokens unpushed. */
  push: PushConfig;
  /** Push fatigue limits of provokelogin (per account; 0 lifts one) and the code-matching default. */
  pushLimits: { pending: number; perWindow: number; windowMs: number };
  pushCodeMatch: boolean;
  /** Worker processes sharing the port (node:cluster, cluster-primary.ts); 1: the server is this one process. */
  workers: number;
}

export const SETTINGS = {
  port: { flag: 'port', env: 'PORT' },
  host: { flag: 'host', env: 'HOST' },
  dataDir: { flag: 'data-dir', env: 'TAPGATE_DATA_DIR' },
  databaseUrl: { flag: 'database-url', env: 'TAPGATE_DATABASE_URL' },
  publicUrl: { flag: 'public-url', env: 'TAPGATE_PUBLIC_URL' },
  webPushSubject: { flag: 'webpush-subject', env: 'TAPGATE_WEBPUSH_SUBJECT' },
  webPushAllowHttp: { flag: 'webpush-allow-http', env: 'TAPGATE_WEBPUSH_ALLOW_HTTP' },
  webPushAllowHosts: { flag: 'webpush-allow-hosts', env: 'TAPGATE_WEBPUSH_ALLOW_HOSTS' },
  deviceOrigins: { flag: 'device-origins', env: 'TAPGATE_DEVICE_ORIGINS' },
  retentionIntervalMs: { flag: 'retention-interval-ms', env: 'TAPGATE_RETENTION_INTERVAL_MS' },
  sessionRetentionMs: { flag: 'session-retention-ms', env: 'TAPGATE_SESSION_RETENTION_MS' },
  loginRetentionMs: { flag: 'login-retention-ms', env: 'TAPGATE_LOGIN_RETENTION_MS' },
  transactionRetentionMs: { flag: 'transaction-retention-ms', env: 'TAPGATE_TRANSACTION_RETENTION_MS' },
  auditRetentionDays: { flag: 'audit-retention-days', env: 'TAPGATE_AUDIT_RETENTION_DAYS' },
  shutdownGraceMs: { flag: 'shutdown-grace-ms', env: 'TAPGATE_SHUTDOWN_GRACE_MS' },
  rpRate: { flag: 'rp-rate', env: 'TAPGATE_RP_RATE' },
  rpBurst: { flag: 'rp-burst', env: 'TAPGATE_RP_BURST' },
  deviceRate: { flag: 'device-rate', env: 'TAPGATE_DEVICE_RATE' },
  deviceBurst: { flag: 'device-burst', env: 'TAPGATE_DEVICE_BURST' },
  accountRate: { flag: 'account-rate', env: 'TAPGATE_ACCOUNT_RATE' },
  accountBurst: { flag: 'account-burst', env: 'TAPGATE_ACCOUNT_BURST' },
  accessLog: { flag: 'access-log', env: 'TAPGATE_ACCESS_LOG' },
  keyFile: { flag: 'key-file', env: 'TAPGATE_KEY_FILE' },
  keyOverlap: { flag: 'key-overlap-s', env: 'TAPGATE_KEY_OVERLAP_S' },
  workers: { flag: 'workers', env: 'TAPGATE_WORKERS' },
  pushPendingLimit: { flag: 'push-pending-limit', env: 'TAPGATE_PUSH_PENDING_LIMIT' },
  pushWindowLimit: { flag: 'push-window-limit', env: 'TAPGATE_PUSH_WINDOW_LIMIT' },
  pushWindow: { flag: 'push-window-s', env: 'TAPGATE_PUSH_WINDOW_S' },
  pushCodeMatch: { flag: 'push-code-match', env: 'TAPGATE_PUSH_CODE_MATCH' },
  oidc: { flag: 'oidc', env: 'TAPGATE_OIDC' },
  oidcAcr: { flag: 'oidc-acr', env: 'TAPGATE_OIDC_ACR' },
  oidcLoginTimeout: { flag: 'oidc-login-timeout-s', env: 'TAPGATE_OIDC_LOGIN_TIMEOUT_S' },
  oidcCibaTimeout: { flag: 'oidc-ciba-timeout-s', env: 'TAPGATE_OIDC_CIBA_TIMEOUT_S' },
  oidcCallbackHosts: { flag: 'oidc-callback-hosts', env: 'TAPGATE_OIDC_CALLBACK_HOSTS' },
  admin: { flag: 'admin', env: 'TAPGATE_ADMIN' },
  adminServer: { flag: 'admin-server', env: 'TAPGATE_ADMIN_SERVER' },
  adminIdle: { flag: 'admin-idle-min', env: 'TAPGATE_ADMIN_IDLE_MIN' },
  adminAbsolute: { flag: 'admin-session-h', env: 'TAPGATE_ADMIN_SESSION_H' },
  ...PUSH_SETTINGS,
} as const;

export class ConfigError extends Error {}

function parseFlags(argv: string[]): Map<string, string> {
  const known = new Set(Object.values(SETTINGS).map((s) => s.flag));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(argv[i]);
    if (!m || !known.has(m[1] as never)) throw new ConfigError(`unknown argument ${JSON.stringify(argv[i])}`);
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`--${m[1]} needs a value`);
      value = argv[++i];
    }
    flags.set(m[1], value);
  }
  return flags;
}

function number(text: string, name: string, min: number, max: number, integer: boolean): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new ConfigError(`invalid ${name} ${JSON.stringify(text)}: ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
  }
  return n;
}

function databaseUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^postgres(?:ql)?:\/\//i.test(text)) {
    // Not echoed: a mistyped URL may still carry a password.
    throw new ConfigError('invalid TAPGATE_DATABASE_URL: a postgres:// or postgresql:// URL (leave it unset for SQLite in the data dir)');
  }
  return text;
}

const list = (text: string | undefined): string[] => (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

/** Origins as browsers send them: scheme://host[:port], nothing after. */
function origins(text: string | undefined): string[] {
  const all = list(text);
  for (const o of all) {
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+\/?$/i.test(o)) {
      throw new ConfigError(`invalid TAPGATE_DEVICE_ORIGINS entry ${JSON.stringify(o)}: an origin such as https://app.example or chrome-extension://<id>`);
    }
  }
  return all;
}

/** Host names or IP addresses, without scheme, port or path. */
function hosts(text: string | undefined, setting: string): string[] {
  const all = list(text);
  for (const h of all) {
    if (!/^(\[[0-9a-f:.]+\]|[0-9a-f:.]*:[0-9a-f:.]*|[a-z0-9.-]+)$/i.test(h)) {
      throw new ConfigError(`invalid ${setting} entry ${JSON.stringify(h)}: a host name or IP address`);
    }
  }
  return all;
}

/** A virtual server's id: 16 bytes of base64url (22 characters). */
function serverIdSetting(text: string | undefined): string | undefined {
  if (text !== undefined && !/^[A-Za-z0-9_-]{22}$/.test(text)) throw new ConfigError(`invalid TAPGATE_ADMIN_SERVER ${JSON.stringify(text.slice(0, 40))}: a virtual server's id (22 base64url characters)`);
  return text;
}

const MINUTE_MS = 60_000;
/** More workers than this only adds processes contending for the cores and the database. */
const MAX_WORKERS = 64;
const YEAR_MS = 366 * 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): CliConfig {
  const flags = parseFlags(argv);
  const get = (key: keyof typeof SETTINGS): string | undefined => {
    const s = SETTINGS[key];
    const v = flags.get(s.flag) ?? env[s.env];
    return v === '' ? undefined : v;
  };
  const bool = (key: keyof typeof SETTINGS, dflt: boolean): boolean => {
    const v = get(key);
    if (v === undefined) return dflt;
    if (v === '1' || v === 'true') return true;
    if (v === '0' || v === 'false') return false;
    throw new ConfigError(`invalid ${SETTINGS[key].env} ${JSON.stringify(v)}: 1/true or 0/false`);
  };
  const optionalMs = (key: 'retentionIntervalMs' | 'sessionRetentionMs' | 'loginRetentionMs' | 'transactionRetentionMs', min: number): number | undefined => {
    const v = get(key);
    return v === undefined ? undefined : number(v, SETTINGS[key].env, min, YEAR_MS, true);
  };
  const rate = (rateKey: 'rpRate' | 'deviceRate' | 'accountRate', burstKey: 'rpBurst' | 'deviceBurst' | 'accountBurst'): RateLimit => {
    const ratePerSecond = number(get(rateKey) ?? '0', SETTINGS[rateKey].env, 0, 1e6, false);
    const burst = number(get(burstKey) ?? String(Math.max(1, Math.ceil(ratePerSecond * 2))), SETTINGS[burstKey].env, 1, 1e6, true);
    return { ratePerSecond, burst };
  };
  return {
    port: number(get('port') ?? '8080', 'PORT', 0, 65535, true),
    host: get('host') ?? '127.0.0.1',
    dataDir: get('dataDir') ?? './data',
    databaseUrl: databaseUrl(get('databaseUrl')),
    publicUrl: get('publicUrl'),
    webPushSubject: get('webPushSubject'),
    webPushAllowHttp: bool('webPushAllowHttp', false),
    webPushAllowHosts: hosts(get('webPushAllowHosts'), SETTINGS.webPushAllowHosts.env),
    deviceOrigins: origins(get('deviceOrigins')),
    retention: {
      intervalMs: optionalMs('retentionIntervalMs', 0),
      // Not below the lifetimes of what they keep: a QR session (10 min) and its transaction.
      sessionMs: optionalMs('sessionRetentionMs', 10 * MINUTE_MS),
      loginMs: optionalMs('loginRetentionMs', 10 * MINUTE_MS),
      transactionMs: optionalMs('transactionRetentionMs', 10 * MINUTE_MS),
      // Days: audit trails are kept for months or years (up to 100).
      auditMs: get('auditRetentionDays') === undefined ? undefined : DAY_MS * number(get('auditRetentionDays')!, SETTINGS.auditRetentionDays.env, 1, 36_600, true),
    },
    shutdownGraceMs: number(get('shutdownGraceMs') ?? '10000', SETTINGS.shutdownGraceMs.env, 0, 600_000, true),
    rpRateLimit: rate('rpRate', 'rpBurst'),
    deviceRateLimit: rate('deviceRate', 'deviceBurst'),
    accountRateLimit: rate('accountRate', 'accountBurst'),
    accessLog: bool('accessLog', true),
    keyFile: get('keyFile'),
    key: env.TAPGATE_KEY === '' ? undefined : env.TAPGATE_KEY,
    keyOverlapMs: 1000 * number(get('keyOverlap') ?? String(7 * 24 * 3600), SETTINGS.keyOverlap.env, 0, MAX_KEY_OVERLAP_MS / 1000, true),
    push: loadPushConfig(get, (message) => new ConfigError(message)),
    workers: number(get('workers') ?? '1', SETTINGS.workers.env, 1, MAX_WORKERS, true),
    // Defaults: rp-api.ts DEFAULT_PUSH_LIMITS (1 pending, 5 per 600 s).
    pushLimits: {
      pending: number(get('pushPendingLimit') ?? '1', SETTINGS.pushPendingLimit.env, 0, 1000, true),
      perWindow: number(get('pushWindowLimit') ?? '5', SETTINGS.pushWindowLimit.env, 0, 100_000, true),
      windowMs: 1000 * number(get('pushWindow') ?? '600', SETTINGS.pushWindow.env, 1, 7 * 24 * 3600, true),
    },
    pushCodeMatch: bool('pushCodeMatch', false),
    admin: bool('admin', false) && {
      serverId: serverIdSetting(get('adminServer')),
      idleMinutes: number(get('adminIdle') ?? '30', SETTINGS.adminIdle.env, 1, 24 * 60, true),
      absoluteHours: number(get('adminAbsolute') ?? '8', SETTINGS.adminAbsolute.env, 1, 7 * 24, true),
    },
    oidc: bool('oidc', false) && {
      acr: get('oidcAcr'),
      loginTimeoutSeconds: number(get('oidcLoginTimeout') ?? '300', SETTINGS.oidcLoginTimeout.env, 1, 3600, true),
      cibaTimeoutSeconds: number(get('oidcCibaTimeout') ?? '300', SETTINGS.oidcCibaTimeout.env, 1, 3600, true),
      callbackHosts: hosts(get('oidcCallbackHosts'), SETTINGS.oidcCallbackHosts.env),
    },
  };
}
