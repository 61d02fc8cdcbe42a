// The SQLite driver (better-sqlite3, the default): one connection in WAL mode. better-sqlite3 is
// synchronous, so a transaction whose work awaits must keep other contexts' statements out until
// it ends: they wait for it rather than slip into it.
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransactionContext, type SqlDriver, type SqlValue } from './driver';
import { migrateSqlite } from './schema';

const STATEMENT_CACHE_LIMIT = 512;

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #tx = new TransactionContext<Database.Database>();
  /** Settles when the running transaction ends; null when none runs. */
  #running: Promise<void> | null = null;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.#db = new Database(file);
    try {
      this.#db.pragma('journal_mode = WAL');
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
    const tx = { connection: this.#db, afterCommit: [] };
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
      this.#tx.committed(tx);
      return result;
    } finally {
      this.#running = null;
      end();
    }
  }

  afterCommit(fn: () => void): void {
    this.#tx.afterCommit(fn);
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
