// The audit log: who did what, when and from where — every relying-party action (rp-audit.ts
// records them at the API's one dispatcher) and every security event of the device API (noted
// where the refusal is decided) — in the audit_log table (sql/schema-audit.ts), read through
// GET /servers/{sid}/audit and GET /audit, deleted by the retention rule `auditMs` (retention.ts).
//
// Nothing secret is ever written: no request bodies, no keys, PINs, proofs, tokens or nonces (an
// AppLogin web nonce is a bearer value), only ids, names of our own and small numbers. `detail`
// takes primitives only, so a caller cannot hand it a whole request by mistake.
import { AsyncLocalStorage } from 'node:async_hooks';
import type * as http from 'node:http';
import type { Store } from './db';

/** The security events; relying-party actions are `rp.<operationId>` (rp-api.ts AUDIT_ACTIONS: the closed list of both). */
export const SECURITY_EVENTS = [
  'device.pinFailed',
  'device.pinBlocked',
  'device.proofRefused',
  'device.replay',
  'device.codeMismatch',
  'device.accountNotAllowed',
  'rateLimited',
  'pushLimited',
  'unauthenticated',
] as const;
export type SecurityEvent = (typeof SECURITY_EVENTS)[number];
/** `rp.<operationId>`: a relying-party route (also when the admin console ran it); `admin.<operation>`: the console's own (admin-audit.ts). */
export type AuditAction = SecurityEvent | `rp.${string}` | `admin.${string}`;

/** ok: done; refused: an authorization, proof, PIN or limit said no; failed: any other error. */
export const AUDIT_OUTCOMES = ['ok', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * apikey: a stored key (its id); admin: the root key; console: an administrator signed in to the
 * admin console (the account id); device: an account whose key proved the request; anonymous: nobody proven.
 */
export const ACTOR_KINDS = ['apikey', 'admin', 'console', 'device', 'anonymous'] as const;
export interface AuditActor {
  kind: (typeof ACTOR_KINDS)[number];
  id: string | null;
}
export const ANONYMOUS: AuditActor = { kind: 'anonymous', id: null };

export type AuditValue = string | number | boolean | null;
export type AuditDetail = Record<string, AuditValue>;

export interface AuditEvent {
  action: AuditAction;
  outcome: AuditOutcome;
  /** The virtual server; null: none (global). */
  server?: Uint8Array | null;
  /** The account acted on (default: the scope's). */
  account?: number | null;
  /** The QR session acted on (default: the scope's). */
  session?: Uint8Array | null;
  /** Default: the scope's actor, else anonymous. */
  actor?: AuditActor;
  detail?: AuditDetail;
}

/** What a request's events share; the dispatcher fills it in as it learns who is calling. */
export interface AuditContext {
  ip: string | null;
  actor: AuditActor;
  account?: number | null;
  session?: Uint8Array | null;
}

export interface AuditEntry {
  id: number;
  time: number;
  server: Buffer | null;
  actor: AuditActor;
  action: string;
  account: number | null;
  session: Buffer | null;
  outcome: AuditOutcome;
  ip: string | null;
  detail: AuditDetail;
}

export interface AuditQuery {
  /** undefined: every server's and the global entries; null: the global ones only. */
  server?: Uint8Array | null;
  actions: readonly string[];
  account: number | null;
  outcome: AuditOutcome | null;
  /** Times (ms), inclusive. */
  since: number | null;
  until: number | null;
  /** Entries older than this id (the previous page's `next`). */
  before: number | null;
  limit: number;
}

interface AuditRow {
  id: number; at: number; server: Buffer | null; actor_kind: AuditActor['kind']; actor: string | null; action: string;
  account: number | null; session: Buffer | null; outcome: AuditOutcome; ip: string | null; detail: string;
}

/** Events that cost an attacker nothing (a 429, a 401) are written at most once per key and minute: the log must not become the cheap way to load the database. */
const THROTTLE_MS = 60_000;
const THROTTLED: ReadonlySet<AuditAction> = new Set(['rateLimited', 'unauthenticated']);
const MAX_THROTTLE_KEYS = 10_000;

/** The client address as the server sees it (the socket's peer: no X-Forwarded-For is trusted). */
export function clientIp(req: http.IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}

export class AuditLog {
  readonly #scope = new AsyncLocalStorage<{ context: AuditContext; events: AuditEvent[] }>();
  /** Writes not finished yet: a read waits for them, so this instance's reads see its own writes. */
  readonly #pending = new Set<Promise<void>>();
  readonly #throttle = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** The closed list of actions (rp-api.ts AUDIT_ACTIONS). */
    readonly actions: readonly string[],
  ) {}

  /**
   * Runs `work` (a request) with `context`; the events noted inside are written once it ends,
   * whether it threw or not: a refusal rolled back with its transaction is still logged.
   */
  async within<T>(context: AuditContext, work: () => Promise<T>): Promise<T> {
    const scope = { context, events: [] as AuditEvent[] };
    try {
      return await this.#scope.run(scope, work);
    } finally {
      for (const e of scope.events) this.#write(e, context);
    }
  }

  /** The current request's context (null outside one), for the dispatcher to fill in. */
  context(): AuditContext | null {
    return this.#scope.getStore()?.context ?? null;
  }

  /** Events noted in the current request so far. */
  notedHere(): number {
    return this.#scope.getStore()?.events.length ?? 0;
  }

  /** Notes an event: in a request, written when it ends; outside one (the OpenID provider's calls), now. */
  async note(e: AuditEvent): Promise<void> {
    const scope = this.#scope.getStore();
    if (scope) scope.events.push(e);
    else await this.#write(e, null);
  }

  /** Writes an event now (with `context` as its defaults). */
  record(e: AuditEvent, context: AuditContext | null): Promise<void> {
    return this.#write(e, context);
  }

  #write(e: AuditEvent, context: AuditContext | null): Promise<void> {
    if (!this.actions.includes(e.action)) throw new Error(`audit-log.ts: "${e.action}" is not an audit action`);
    const at = this.now();
    const detail: AuditDetail = { ...e.detail };
    const ip = context?.ip ?? null;
    if (THROTTLED.has(e.action)) {
      const key = `${e.action} ${ip} ${e.account ?? ''} ${e.detail?.limit ?? ''}`;
      const last = this.#throttle.get(key);
      if (last && at - last.at < THROTTLE_MS) {
        last.suppressed++;
        return Promise.resolve();
      }
      if (last?.suppressed) detail.suppressed = last.suppressed;
      if (this.#throttle.size >= MAX_THROTTLE_KEYS) this.#forgetThrottled(at);
      this.#throttle.set(key, { at, suppressed: 0 });
    }
    const actor = e.actor ?? context?.actor ?? ANONYMOUS;
    const account = e.account !== undefined ? e.account : (context?.account ?? null);
    const session = e.session !== undefined ? e.session : (context?.session ?? null);
    const write = this.store.sql.run(
      'INSERT INTO audit_log (at, server, actor_kind, actor, action, account, session, outcome, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [at, e.server ? Buffer.from(e.server) : null, actor.kind, actor.id, e.action, account, session ? Buffer.from(session) : null, e.outcome, ip, JSON.stringify(detail)],
    ).then(
      () => undefined,
      // The action itself has happened: its answer stands, the lost entry is reported.
      (err: unknown) => void process.stderr.write(`tapgate-server: audit entry ${e.action} not written: ${err instanceof Error ? err.message : String(err)}\n`),
    );
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
    return write;
  }

  #forgetThrottled(at: number): void {
    for (const [k, v] of this.#throttle) if (at - v.at >= THROTTLE_MS) this.#throttle.delete(k);
    if (this.#throttle.size >= MAX_THROTTLE_KEYS) this.#throttle.clear();
  }

  /** A page of entries, newest first; `next` is the `before` of the next page (null: this was the last). */
  async page(q: AuditQuery): Promise<{ entries: AuditEntry[]; next: number | null }> {
    await Promise.all([...this.#pending]);
    const where: string[] = [];
    const args: Array<string | number | Buffer> = [];
    if (q.server === null) where.push('server IS NULL');
    else if (q.server !== undefined) {
      where.push('server = ?');
      args.push(Buffer.from(q.server));
    }
    if (q.actions.length) {
      where.push(`action IN (${q.actions.map(() => '?').join(', ')})`);
      args.push(...q.actions);
    }
    const eq = [['account', q.account], ['outcome', q.outcome]] as const;
    for (const [column, value] of eq) {
      if (value === null) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    if (q.since !== null) (where.push('at >= ?'), args.push(q.since));
    if (q.until !== null) (where.push('at <= ?'), args.push(q.until));
    if (q.before !== null) (where.push('id < ?'), args.push(q.before));
    const rows = await this.store.sql.all<AuditRow>(
      `SELECT id, at, server, actor_kind, actor, action, account, session, outcome, ip, detail FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      [...args, q.limit],
    );
    const entries = rows.map((r): AuditEntry => ({
      id: Number(r.id),
      time: Number(r.at),
      server: r.server,
      actor: { kind: r.actor_kind, id: r.actor },
      action: r.action,
      account: r.account === null ? null : Number(r.account),
      session: r.session,
      outcome: r.outcome,
      ip: r.ip,
      detail: JSON.parse(r.detail) as AuditDetail,
    }));
    return { entries, next: entries.length === q.limit && entries.length > 0 ? entries[entries.length - 1].id : null };
  }
}
