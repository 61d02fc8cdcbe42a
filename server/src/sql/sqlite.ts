// The SQLite driver (better-sqlite3, the default): one connection in WAL mode. better-sqlite3 is
// synchronous, so a transaction whose work awaits must keep other contexts' statements out until
// it ends: they wait for it rather than slip into it.
//
// Durability: WAL with synchronous=NORMAL, so a commit is a write to the WAL without an fsync (a
// one-row transaction 34–38 µs against 208–331 µs at FULL on this machine). A process crash loses
// nothing (the WAL is in the OS's cache); a power cut or OS crash may lose the last commits. The
// writes that must survive that (SqlDriver.durable: enrolments, PIN failure counts, keys, …) are
// followed, before their commit resolves, by a FULL checkpoint, which fsyncs the WAL and then the
// database file (https://www.sqlite.org/pragma.html#pragma_synchronous, "WAL file is synchronized
// before each checkpoint"). FULL, not PASSIVE: with several processes on the file (the CLI's
// cluster workers) a PASSIVE checkpoint that finds another process's reader holding the frames
// copies nothing and syncs nothing; FULL waits (busy_timeout) for writers and readers to let go, so
// the WAL holding our commit is always synced. SQLite refuses to change `synchronous` inside a
// transaction, and whether a write is durable is often decided inside one (a wrong PIN), hence
// the checkpoint.
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransactionContext, type OpenTransaction, type SqlDriver, type SqlValue } from './driver';
import { migrateSqlite } from './schema';

const STATEMENT_CACHE_LIMIT = 512;

/** A durable write's checkpoint could not finish: other processes held the database past busy_timeout. */
export class SqliteBusyCheckpointError extends Error {
  constructor() {
    super('SQLite checkpoint kept busy by another process: a durable write is committed but not confirmed on disk');
  }
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #tx = new TransactionContext<Database.Database>();
  /** Settles when the running transaction ends; null when none runs. */
  #running: Promise<void> | null = null;
  /** Checkpoints made for durable writes (the tests read it). */
  durableSyncs = 0;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.#db = new Database(file);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma('busy_timeout = 5000');
      // Overwritten and deleted content is zeroed, not left in free pages: a migrated clear key must not linger.
      this.#db.pragma('secure_delete = ON');
      migrateSqlite(this.#db);
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#exec(() => this.#prepare(sql).all(...params) as T[]);
  }
  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#exec(() => this.#prepare(sql).get(...params) as T | undefined);
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#exec(() => this.#prepare(sql).run(...params).changes);
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.#tx.current) return work();
    while (this.#running) await this.#running;
    let end!: () => void;
    this.#running = new Promise((resolve) => (end = resolve));
    const tx: OpenTransaction<Database.Database> = { connection: this.#db, afterCommit: [] };
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await this.#tx.run(tx, work);
        this.#db.exec('COMMIT');
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
      // Committed either way: observers hear of it even if its sync could not be confirmed.
      let unsynced: unknown = null;
      if (tx.durable) {
        try {
          this.#sync();
        } catch (err) {
          unsynced = err;
        }
      }
      this.#tx.committed(tx);
      if (unsynced) throw unsynced;
      return result;
    } finally {
      this.#running = null;
      this.#tx.ended(tx);
      end();
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

  durable(): void {
    const tx = this.#tx.current;
    if (tx) tx.durable = true;
    else if (!this.#running) this.#sync();
    // else: another context's transaction runs and this context's statement already committed
    // before it began (statements outside a transaction wait for it); its sync will come with
    // that transaction's end only if it is durable too, so sync once it is over.
    // A sync that fails there has no request left to fail; the next durable write's sync covers it.
    else void this.#running.then(() => this.#sync()).catch(() => {});
  }

  /**
   * Puts every commit so far on disk: a checkpoint fsyncs the WAL, then the database file. A
   * checkpoint another process kept busy past busy_timeout throws: the write is committed but its
   * durability was not confirmed, and the request must not be answered as if it were.
   */
  #sync(): void {
    if (!this.#db.open || this.#db.memory) return;
    const [result] = this.#db.pragma('wal_checkpoint(FULL)') as Array<{ busy: number }>;
    if (result?.busy) throw new SqliteBusyCheckpointError();
    this.durableSyncs++;
  }

  async close(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#db.open) this.#db.close();
  }

  /** Runs a statement now, or after the transaction another context is running. */
  #exec<T>(statement: () => T): Promise<T> {
    if (this.#running && !this.#tx.current) return this.#running.then(() => this.#exec(statement));
    try {
      return Promise.resolve(statement());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= STATEMENT_CACHE_LIMIT) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
