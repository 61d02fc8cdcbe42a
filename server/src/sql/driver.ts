// The one thing the Store needs from a database: run a statement, read rows, and run a unit of
// work as a transaction. SQL is written once with `?` placeholders; each driver adapts it.
//
// The placeholder rule: every `?` in a statement's text is a placeholder. No `?` may appear in a
// string literal, an identifier or a comment (the PostgreSQL driver rewrites them to $1, $2, … by
// position, without parsing). Values that would need one are passed as parameters instead.
// The SQL itself is the common subset of SQLite and PostgreSQL: ON CONFLICT upserts, RETURNING,
// integers 0/1 for flags, no AUTOINCREMENT or identity columns outside the schema.
import { AsyncLocalStorage } from 'node:async_hooks';

export type SqlValue = string | number | bigint | Buffer | null;

/** Runs statements on one connection (or a transaction's connection). */
export interface SqlRunner {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement that returns no rows; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver extends SqlRunner {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `work` in a transaction: every statement issued through this driver from inside `work`
   * (found by async context, so callers need no transaction handle) runs on the transaction's
   * connection; a throw rolls it all back. A transaction begun inside another joins it.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Calls `fn` once the calling context's transaction commits (never, if it rolls back), or at
   * once outside a transaction: so nobody hears of a change that was never stored.
   */
  afterCommit(fn: () => void): void;
  /** Calls `fn` once the calling context's transaction ends, committed or not (at once outside one). */
  afterEnd(fn: () => void): void;
  /**
   * A map that lives as long as the calling context's transaction (null outside one): what a unit
   * of work read and need not read again (the Store's rp_sessions rows).
   */
  transactionLocals(): Map<string, unknown> | null;
  /**
   * Marks the calling context's write as one whose loss after a crash could lose an account or
   * weaken a limit (an enrolment, a PIN failure, a key rotation, …): it is on disk before its
   * transaction's commit resolves (before the request is answered). Outside a transaction it
   * applies to the statement just run. Other writes may be lost in a power cut or OS crash (never
   * in a process crash), which costs a device a retried login (docs/security.md, durability).
   */
  durable(): void;
  close(): Promise<void>;
  /**
   * Instances sharing the database (PostgreSQL only): NOTIFY `channel` — inside a transaction it is
   * delivered when that commits — and LISTEN to it on a connection of its own. Absent on SQLite,
   * whose database one process uses at a time.
   */
  notify?(channel: string, payload: string): Promise<void>;
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
}

/** What a driver keeps per open transaction: its connection and what waits for its commit. */
export interface OpenTransaction<Connection> {
  connection: Connection;
  afterCommit: (() => void)[];
  /** Runs when the transaction ends, committed or rolled back (a cache dropping what it read inside). */
  afterEnd?: (() => void)[];
  /** Set by SqlDriver.durable(): the commit must reach the disk before it resolves. */
  durable?: boolean;
  /** SqlDriver.transactionLocals(), made on first use. */
  locals?: Map<string, unknown>;
}

/** Tracks which transaction (if any) the current async context belongs to. */
export class TransactionContext<Connection, Tx extends OpenTransaction<Connection> = OpenTransaction<Connection>> {
  readonly #als = new AsyncLocalStorage<Tx>();
  get current(): Tx | undefined {
    return this.#als.getStore();
  }
  run<T>(tx: Tx, work: () => Promise<T>): Promise<T> {
    return this.#als.run(tx, work);
  }
  afterCommit(fn: () => void): void {
    const tx = this.current;
    if (tx) tx.afterCommit.push(fn);
    else runHook(fn);
  }
  /** Runs a committed transaction's hooks; one failing hook must not stop the others. */
  committed(tx: OpenTransaction<Connection>): void {
    for (const fn of tx.afterCommit.splice(0)) runHook(fn);
  }
  /** `fn` once the calling context's transaction ends either way, or at once outside one. */
  afterEnd(fn: () => void): void {
    const tx = this.current;
    if (tx) (tx.afterEnd ??= []).push(fn);
    else runHook(fn);
  }
  /** The current transaction's locals (SqlDriver.transactionLocals), or null outside one. */
  locals(): Map<string, unknown> | null {
    const tx = this.current;
    return tx ? (tx.locals ??= new Map()) : null;
  }
  /** Runs an ended transaction's afterEnd hooks (after its afterCommit ones, if it committed). */
  ended(tx: OpenTransaction<Connection>): void {
    if (tx.afterEnd) for (const fn of tx.afterEnd.splice(0)) runHook(fn);
  }
}

function runHook(fn: () => void): void {
  try {
    fn();
  } catch {
    // A hook reports a change that is already stored; its failure (a closed socket) changes nothing.
  }
}
