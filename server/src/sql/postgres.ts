// The PostgreSQL driver (node-postgres): a pool of connections; a transaction holds one of them for
// its whole unit of work, found by async context like the SQLite driver's. Chosen by a
// postgres:// or postgresql:// database URL (index.ts). Also carries what several instances on one
// database need to hear of each other: NOTIFY inside a transaction (delivered at its commit) and a
// dedicated LISTEN connection that reconnects by itself.
import { Client, Pool, types as pgTypes, type ClientBase, type CustomTypesConfig, type PoolClient } from 'pg';
import { TransactionContext, type OpenTransaction, type SqlDriver, type SqlValue } from './driver';
import { migratePostgres } from './schema';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * The driver's own type parsers (the global pg.types stay untouched for a host's other pools):
 * BIGINT (times in ms, identity ids) and NUMERIC (COUNT(*) is BIGINT) come back as numbers, as
 * SQLite's do; every value the server stores fits in 2^53. BYTEA is a Buffer by default.
 */
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (text: string) => Number(text);
    return format === 'binary' ? pgTypes.getTypeParser(oid, 'binary') : pgTypes.getTypeParser(oid, 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

const STATEMENT_CACHE_LIMIT = 512;

/** True for URLs this driver serves. */
export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(?:ql)?:\/\//i.test(url);
}

/** The URL with its password replaced, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Tries of a transaction that PostgreSQL aborted as a deadlock victim or a serialisation failure. */
const TRANSACTION_ATTEMPTS = 3;

function isTransientFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';  // deadlock_detected, serialization_failure
}

/** A transaction of this driver: NOTIFYs wait to ride along with its COMMIT. */
interface PgTransaction extends OpenTransaction<PoolClient> {
  notifies?: Array<[string, string]>;
}

export interface PgDriverOptions {
  /** Connections in the pool (default 10). */
  max?: number;
}

export class PgDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #url: string;
  readonly #pool: Pool;
  readonly #tx = new TransactionContext<PoolClient, PgTransaction>();
  /** `?` SQL → `$n` SQL and the prepared-statement name it runs under. */
  readonly #texts = new Map<string, { text: string; name: string }>();
  #statementSeq = 0;
  readonly #listeners = new Set<Listener>();
  #closed = false;

  private constructor(url: string, options: PgDriverOptions) {
    this.#url = url;
    this.#pool = new Pool({ connectionString: url, types: TYPES, max: options.max ?? 10 });
    // An idle pooled connection that breaks (the server restarted) is dropped by the pool; without
    // a listener its error would end the process.
    this.#pool.on('error', () => {});
  }

  /** Connects, and creates the schema if the database has none (safe when instances start at once). */
  static async connect(url: string, options: PgDriverOptions = {}): Promise<PgDriver> {
    const driver = new PgDriver(url, options);
    try {
      const client = await driver.#pool.connect();
      try {
        await migratePostgres((sql) => client.query(sql).then(() => undefined));
      } finally {
        client.release();
      }
    } catch (err) {
      await driver.#pool.end().catch(() => {});
      throw new Error(`PostgreSQL at ${redactDatabaseUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return driver;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[];
  }
  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined;
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.#query(sql, params)).rowCount ?? 0;
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.#tx.current) return work();
    // A deadlock or serialisation failure aborts the whole transaction before any of it is stored or
    // announced (afterCommit hooks run after COMMIT only), so the work may simply run again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(work);
      } catch (err) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isTransientFailure(err)) throw err;
      }
    }
  }

  async #transactionOnce<T>(work: () => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const tx: PgTransaction = { connection: client, afterCommit: [] };
    let broken: Error | undefined;
    try {
      // One round trip each for BEGIN and COMMIT, whatever rides along (see PgTransaction).
      await client.query('BEGIN; SET LOCAL synchronous_commit = off');
      let result: T;
      try {
        result = await this.#tx.run(tx, work);
        const notifies = tx.notifies?.map(([channel, payload]) => `SELECT pg_notify(${client.escapeLiteral(channel)}, ${client.escapeLiteral(payload)}); `) ?? [];
        await client.query(`${notifies.join('')}${tx.durable ? 'SET LOCAL synchronous_commit = on; ' : ''}COMMIT`);
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      }
      this.#tx.committed(tx);
      return result;
    } finally {
      this.#tx.ended(tx);
      // A connection whose ROLLBACK failed is in an unknown state: the pool closes it.
      client.release(broken);
    }
  }

  afterCommit(fn: () => void): void {
    this.#tx.afterCommit(fn);
  }
  afterEnd(fn: () => void): void {
    this.#tx.afterEnd(fn);
  }
  transactionLocals(): Map<string, unknown> | null {
    return this.#tx.locals();
  }
  /**
   * Transactions commit with synchronous_commit off (the commit does not wait for the WAL to reach
   * the disk; PostgreSQL flushes it within 3 × wal_writer_delay, 600 ms by default): a crash of
   * PostgreSQL or of its machine may lose the last commits, never corrupt anything, and never an
   * acknowledged durable one: a durable write turns it back on for its own commit (SET LOCAL, in
   * the same round trip as the COMMIT). Statements outside a transaction keep the session's
   * setting (on unless the operator changed it), so they are durable already.
   */
  durable(): void {
    const tx = this.#tx.current;
    if (tx) tx.durable = true;
  }

  /**
   * NOTIFY `channel` with `payload` (at most 8000 bytes): inside a transaction it is delivered when
   * that commits (never, if it rolls back) and is sent with the COMMIT (no round trip of its own),
   * else at once.
   */
  async notify(channel: string, payload: string): Promise<void> {
    const tx = this.#tx.current;
    if (tx) (tx.notifies ??= []).push([channel, payload]);
    else await this.#query('SELECT pg_notify(?, ?)', [channel, payload]);
  }

  /**
   * Calls `onPayload` with every NOTIFY on `channel`, over a connection of its own that is
   * re-opened (after a second) when it breaks; notifications sent while it is down are lost.
   * Resolves once listening; resolves with the function that stops it.
   */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = new Listener(this.#url, channel, onPayload);
    this.#listeners.add(listener);
    await listener.start();
    return async () => {
      this.#listeners.delete(listener);
      await listener.stop();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#listeners].map((l) => l.stop()));
    this.#listeners.clear();
    await this.#pool.end();
  }

  #query(sql: string, params: readonly SqlValue[]) {
    const runner: ClientBase | Pool = this.#tx.current?.connection ?? this.#pool;
    const { text, name } = this.#prepared(sql);
    return runner.query({ name, text, values: params as unknown[] });
  }

  /**
   * `?` placeholders become `$1`, `$2`, …: every `?` in our SQL is a placeholder (see SqlDriver;
   * none stands in a literal, identifier or comment). Each text runs as a named prepared
   * statement, parsed once per connection.
   */
  #prepared(sql: string): { text: string; name: string } {
    let entry = this.#texts.get(sql);
    if (!entry) {
      // Names stay unique over the driver's life (a cleared cache must not reuse a name that a
      // connection already prepared for other text).
      if (this.#texts.size >= STATEMENT_CACHE_LIMIT) this.#texts.clear();
      let n = 0;
      entry = { text: sql.replace(/\?/g, () => `$${++n}`), name: `tapgate_${++this.#statementSeq}` };
      this.#texts.set(sql, entry);
    }
    return entry;
  }
}

/** One LISTEN connection that re-opens itself until stopped. */
class Listener {
  #client: Client | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onPayload: (payload: string) => void,
  ) {}

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url, types: TYPES });
    this.#client = client;
    let started = false;
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = null;
      client.end().catch(() => {});
      if (started && !this.#stopped) this.#scheduleRetry();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || msg.payload === undefined) return;
      try {
        this.onPayload(msg.payload);
      } catch {
        // A listener's failure must not close the connection every other change comes through.
      }
    });
    await client.connect();
    await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    started = true;
  }

  #scheduleRetry(): void {
    if (this.#retry || this.#stopped) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#stopped) return;
      this.start().catch(() => {
        this.#client = null;
        this.#scheduleRetry();
      });
    }, 1000);
    this.#retry.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    if (client) await client.end().catch(() => {});
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
