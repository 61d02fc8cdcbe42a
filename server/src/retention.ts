// Retention: every table that requests add rows to has a rule for when a row is no longer needed,
// and a sweeper deletes such rows at start and then on a timer, in bounded batches (each batch is
// one statement, so requests go on between batches). Instances sharing a database may sweep at
// once: the rules are idempotent. Tables only API-key holders or enrolments add to (settings,
// servers, live accounts, api_keys, api_key_permissions) have no time rule.
import type { Store } from './db';
import type { SqlValue } from './sql/driver';
import { MESSAGE_LIFETIME_MS } from './messages';
import { EXPIRED_GRACE_MS } from './oidc/adapter';
/** The longest push-fatigue window (TapgateServerOptions.pushLimits.windowMs is clamped to it). */
export const PUSH_WINDOW_MAX_MS = 7 * 24 * 3600 * 1000;

export interface RetentionOptions {
  /** Time between sweeps (ms, default 10 min); 0: only the sweep at start. */
  intervalMs?: number;
  /**
   * How long finished relying-party sessions and expired QR sessions are kept (ms, default 24 h):
   * a session not logged in since its last change, a continuous login silent for its pingTime.
   */
  sessionMs?: number;
  /** How long a one-shot login (pingTime 0) stays readable as logged in after it happened (default 30 days). */
  loginMs?: number;
  /** How long transactions are kept after they were created, whatever their status (default 7 days). */
  transactionMs?: number;
  /** How long audit log entries are kept (audit-log.ts; default 90 days). */
  auditMs?: number;
  /** Rows one statement deletes at most (default 500). */
  batchSize?: number;
}

export const RETENTION_DEFAULTS: Required<RetentionOptions> = {
  intervalMs: 10 * 60_000,
  sessionMs: 24 * 3600_000,
  loginMs: 30 * 24 * 3600_000,
  transactionMs: 7 * 24 * 3600_000,
  auditMs: 90 * 24 * 3600_000,
  batchSize: 500,
};

/** Rows deleted by one sweep, per rule. */
export type RetentionReport = Record<string, number>;

interface Rule {
  name: string;
  /** Skip the rule while the table does not exist (one added by a later schema version). */
  table: string;
  /** One batch: statements run in one transaction; the last one's count decides whether to go on. */
  statements(now: number, o: Required<RetentionOptions>): Array<[string, SqlValue[]]>;
}

/**
 * A relying-party session that is over: not logged in and unchanged for sessionMs; a one-shot
 * login older than loginMs; a continuous login not seen for pingTime + sessionMs. (Binds 3 values.)
 */
const FINISHED_RP_SESSION = `
  (r.loggedin = 0 AND r.updated < ?)
  OR (r.loggedin = 1 AND r.updated < ? AND EXISTS (SELECT 1 FROM servers s WHERE s.id = r.server AND s.ping_time = 0))
  OR (r.loggedin = 1 AND EXISTS (SELECT 1 FROM servers s WHERE s.id = r.server AND s.ping_time > 0
        AND COALESCE(r.last_seen, r.loggedin_at, r.updated) < ? - s.ping_time * 1000))`;

const RULES: Rule[] = [
  {
    name: 'messages',
    table: 'messages',
    statements: (now, o) => [['DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE expires <= ? LIMIT ?)', [now, o.batchSize]]],
  },
  {
    // Each payload is a sealed message: useless once that has expired.
    name: 'relay_queue',
    table: 'relay_queue',
    statements: (now, o) => [['DELETE FROM relay_queue WHERE seq IN (SELECT seq FROM relay_queue WHERE created <= ? LIMIT ?)', [now - MESSAGE_LIFETIME_MS, o.batchSize]]],
  },
  {
    // OpenID provider artifacts (oidc/adapter.ts) keep their own expiry; read for a grace period after it.
    name: 'oidc_payloads',
    table: 'oidc_payloads',
    statements: (now, o) => [[
      'DELETE FROM oidc_payloads WHERE (model, id_hash) IN (SELECT model, id_hash FROM oidc_payloads WHERE expires < ? LIMIT ?)',
      [now - EXPIRED_GRACE_MS, o.batchSize],
    ]],
  },
  {
    // Push-fatigue bookkeeping (rp-api.ts): a prompt counts while pending (until it expires) and in
    // its window, at most PUSH_WINDOW_MAX_MS; each provoke also forgets its account's older ones.
    name: 'push_prompts',
    table: 'push_prompts',
    statements: (now, o) => [[
      'DELETE FROM push_prompts WHERE (account, qr) IN (SELECT account, qr FROM push_prompts WHERE created < ? AND expires < ? LIMIT ?)',
      [now - PUSH_WINDOW_MAX_MS, now, o.batchSize],
    ]],
  },
  {
    name: 'pin_challenges',
    table: 'pin_challenges',
    statements: (now, o) => [['DELETE FROM pin_challenges WHERE challenge IN (SELECT challenge FROM pin_challenges WHERE expires < ? LIMIT ?)', [now, o.batchSize]]],
  },
  {
    // Seen request nonces (replay protection) are needed only until the request's window closes.
    name: 'device_nonces',
    table: 'device_nonces',
    statements: (now, o) => [[
      'DELETE FROM device_nonces WHERE (account, nonce) IN (SELECT account, nonce FROM device_nonces WHERE expires < ? LIMIT ?)',
      [now, o.batchSize],
    ]],
  },
  {
    // A pending one is long dead too: its QR session expired minutes after it was made.
    name: 'transactions',
    table: 'transactions',
    statements: (now, o) => [['DELETE FROM transactions WHERE tid IN (SELECT tid FROM transactions WHERE created < ? LIMIT ?)', [now - o.transactionMs, o.batchSize]]],
  },
  {
    name: 'rp_sessions',
    table: 'rp_sessions',
    statements: (now, o) => {
      const args: SqlValue[] = [now - o.sessionMs, now - o.loginMs, now - o.sessionMs, o.batchSize];
      const finished = `SELECT r.server, r.nonce FROM rp_sessions r WHERE ${FINISHED_RP_SESSION} LIMIT ?`;
      return [
        [`DELETE FROM qr_sessions WHERE (server, nonce) IN (${finished})`, args],
        [`DELETE FROM rp_sessions WHERE (server, nonce) IN (${finished})`, args],
      ];
    },
  },
  {
    // Expired QR sessions, except the one a live login happened on: its pings and logout name it.
    name: 'qr_sessions',
    table: 'qr_sessions',
    statements: (now, o) => [[
      `DELETE FROM qr_sessions WHERE id IN (SELECT q.id FROM qr_sessions q WHERE q.expires < ?
         AND NOT EXISTS (SELECT 1 FROM rp_sessions r WHERE r.server = q.server AND r.nonce = q.nonce AND r.loggedin = 1 AND r.login_qr = q.id)
         LIMIT ?)`,
      [now - o.sessionMs, o.batchSize],
    ]],
  },
  {
    name: 'audit_log',
    table: 'audit_log',
    statements: (now, o) => [['DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? LIMIT ?)', [now - o.auditMs, o.batchSize]]],
  },
  {
    // A deleted account is kept only while its device may still fetch the deletion message.
    name: 'account_tombstones',
    table: 'accounts',
    statements: (_now, o) => [[
      'DELETE FROM accounts WHERE id IN (SELECT a.id FROM accounts a WHERE a.deleted = 1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.account = a.id) LIMIT ?)',
      [o.batchSize],
    ]],
  },
];

export class RetentionSweeper {
  readonly #options: Required<RetentionOptions>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<RetentionReport> | null = null;
  #closed = false;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    options: RetentionOptions = {},
    private readonly onError: (err: Error) => void = (err) => process.stderr.write(`tapgate-server: retention sweep failed: ${err.message}\n`),
  ) {
    this.#options = { ...RETENTION_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  }

  /** Sweeps now, then every intervalMs; the timer never keeps the process alive. */
  start(): void {
    this.#background();
    if (this.#options.intervalMs > 0) {
      this.#timer = setInterval(() => this.#background(), this.#options.intervalMs);
      this.#timer.unref();
    }
  }

  /** One sweep over every rule (joins one already running); resolves with the rows deleted per rule. */
  sweep(): Promise<RetentionReport> {
    if (this.#closed) return Promise.resolve({});
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a sweep under way (the store may be closed afterwards). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }

  #background(): void {
    this.sweep().catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))));
  }

  async #sweep(): Promise<RetentionReport> {
    const report: RetentionReport = {};
    const now = this.now();
    for (const rule of RULES) {
      if (!(await this.store.tableExists(rule.table))) continue;
      let total = 0;
      for (;;) {
        if (this.#closed) return report;
        const statements = rule.statements(now, this.#options);
        const deleted = await this.store.transaction(async () => {
          let last = 0;
          for (const [sql, args] of statements) last = await this.store.sql.run(sql, args);
          return last;
        });
        total += deleted;
        if (deleted < this.#options.batchSize) break;
      }
      report[rule.name] = total;
    }
    return report;
  }
}
