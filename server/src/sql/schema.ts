// The database schema, per dialect. SQLite databases made by earlier versions are brought up to
// date column by column; PostgreSQL starts at the current schema.
import type Database from 'better-sqlite3';
import { V22_SQLITE_COLUMNS, V22_TABLES } from './schema-v22';

const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                BLOB NOT NULL UNIQUE,
  pk                BLOB NOT NULL,
  sk                BLOB NOT NULL,
  name              TEXT NOT NULL,
  ping_time         INTEGER NOT NULL DEFAULT 0,
  pin_timeout       INTEGER NOT NULL DEFAULT 0,
  pin_attempt_limit INTEGER NOT NULL DEFAULT 3,
  created           INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rp_sessions (
  server         BLOB NOT NULL,
  nonce          TEXT NOT NULL,
  loggedin       INTEGER NOT NULL DEFAULT 0,
  accountid      INTEGER,
  userid         TEXT,
  cancelled      INTEGER NOT NULL DEFAULT 0,
  scanned        INTEGER NOT NULL DEFAULT 0,
  userinput      TEXT,
  latest_qr      BLOB,
  latest_login_qr BLOB,
  created        INTEGER NOT NULL,
  updated        INTEGER NOT NULL,
  loggedin_at    INTEGER,
  last_seen      INTEGER,
  login_qr       BLOB,
  PRIMARY KEY (server, nonce)
);
CREATE TABLE IF NOT EXISTS qr_sessions (
  id          BLOB PRIMARY KEY,
  server      BLOB NOT NULL,
  nonce       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('login', 'enrol')),
  userid      TEXT,
  name        TEXT,
  usercontext TEXT,
  payload     BLOB NOT NULL,
  created     INTEGER NOT NULL,
  expires     INTEGER NOT NULL,
  used        INTEGER NOT NULL DEFAULT 0,
  started     INTEGER NOT NULL DEFAULT 0,
  cancelled   INTEGER NOT NULL DEFAULT 0,
  transcript  BLOB NOT NULL,
  require_2f  INTEGER NOT NULL DEFAULT 0,
  match_code  TEXT,
  tid         TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
  tid        TEXT PRIMARY KEY,
  server     BLOB NOT NULL,
  nonce      TEXT NOT NULL,
  text       TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SIGNED', 'REJECTED')),
  account    INTEGER,
  signature  BLOB,
  created    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS qr_sessions_expires ON qr_sessions (expires);
CREATE TABLE IF NOT EXISTS accounts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  server       BLOB NOT NULL,
  userid       TEXT,
  pk           BLOB NOT NULL,
  box_pk       BLOB NOT NULL,
  pin_pk       BLOB NOT NULL,
  pin_failures INTEGER NOT NULL DEFAULT 0,
  blocked      INTEGER NOT NULL DEFAULT 0,
  created      INTEGER NOT NULL,
  lastlogin    INTEGER,
  description  TEXT,
  push_token   TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  last_factor_at INTEGER,
  bio_pk       BLOB
);
CREATE INDEX IF NOT EXISTS accounts_server ON accounts (server);
CREATE TABLE IF NOT EXISTS messages (
  id       BLOB PRIMARY KEY,
  account  INTEGER NOT NULL,
  sealed   BLOB NOT NULL,
  created  INTEGER NOT NULL,
  expires  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_account ON messages (account, expires);
CREATE TABLE IF NOT EXISTS pin_challenges (
  challenge BLOB PRIMARY KEY,
  account   INTEGER NOT NULL,
  expires   INTEGER NOT NULL
);
`;

/** Creates the schema, or brings a database made by an earlier version up to it. */
export function migrateSqlite(db: Database.Database): void {
  db.exec(SQLITE_SCHEMA);
  const add = (table: string, column: string, decl: string) => {
    const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
  };
  add('rp_sessions', 'last_seen', 'INTEGER');
  add('rp_sessions', 'login_qr', 'BLOB');
  add('accounts', 'push_token', 'TEXT');
  add('accounts', 'deleted', 'INTEGER NOT NULL DEFAULT 0');
  add('accounts', 'last_factor_at', 'INTEGER');
  add('accounts', 'bio_pk', 'BLOB');
  add('accounts', 'pending_pin_pk', 'BLOB');
  add('qr_sessions', 'require_2f', 'INTEGER NOT NULL DEFAULT 0');
  add('qr_sessions', 'match_code', 'TEXT');
  add('qr_sessions', 'tid', 'TEXT');
  for (const [table, column, decl] of V22_SQLITE_COLUMNS) add(table, column, decl);
  db.exec(V22_TABLES.sqlite);
}
