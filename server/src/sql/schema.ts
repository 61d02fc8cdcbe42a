// The database schema, per dialect. SQLite databases made by earlier versions are brought up to
// date column by column; PostgreSQL starts at the current schema. The two must stay equivalent:
// SQLite's INTEGER is PostgreSQL's BIGINT for times (ms) and ids, INTEGER for flags and small
// numbers; BLOB is BYTEA; AUTOINCREMENT keys are identity columns.
import type Database from 'better-sqlite3';
import { V22_SQLITE_COLUMNS, V22_TABLES } from './schema-v22';
import { OIDC_TABLES } from './schema-oidc';
import { AUDIT_TABLES } from './schema-audit';
import { RATE_BUCKETS_TABLE_POSTGRES } from './schema-rate-buckets';
import { ADMIN_TABLES } from './schema-admin';

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
  tid         TEXT,
  bound_account INTEGER,
  t1            BLOB,
  start_request BLOB,
  start_answer  TEXT
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
CREATE INDEX IF NOT EXISTS qr_sessions_rp ON qr_sessions (server, nonce);
CREATE TABLE IF NOT EXISTS push_prompts (
  account  INTEGER NOT NULL,
  qr       BLOB NOT NULL,
  created  INTEGER NOT NULL,
  expires  INTEGER NOT NULL,
  PRIMARY KEY (account, qr)
);
CREATE INDEX IF NOT EXISTS push_prompts_created ON push_prompts (created);
CREATE INDEX IF NOT EXISTS rp_sessions_updated ON rp_sessions (updated);
CREATE INDEX IF NOT EXISTS transactions_created ON transactions (created);
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
CREATE INDEX IF NOT EXISTS messages_expires ON messages (expires);
CREATE TABLE IF NOT EXISTS pin_challenges (
  challenge BLOB PRIMARY KEY,
  account   INTEGER NOT NULL,
  expires   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_queue (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  token    TEXT NOT NULL,
  payload  TEXT NOT NULL,
  created  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_queue_token ON relay_queue (token, seq);
CREATE INDEX IF NOT EXISTS relay_queue_created ON relay_queue (created);
CREATE INDEX IF NOT EXISTS pin_challenges_expires ON pin_challenges (expires);
CREATE TABLE IF NOT EXISTS device_nonces (
  account  INTEGER NOT NULL,
  nonce    BLOB NOT NULL,
  expires  INTEGER NOT NULL,
  PRIMARY KEY (account, nonce)
);
CREATE INDEX IF NOT EXISTS device_nonces_expires ON device_nonces (expires);
`;

/**
 * The servers' key columns (server-keys.ts): `sk` holds the wrapped secret key once `sk_wrapped`
 * is 1 (0: a clear key of an earlier version, wrapped at the next start); during a rotation's
 * overlap the previous key, wrapped, and the end of the overlap.
 */
const SERVER_KEY_COLUMNS: ReadonlyArray<readonly [string, { sqlite: string; postgres: string }]> = [
  ['sk_wrapped', { sqlite: 'INTEGER NOT NULL DEFAULT 0', postgres: 'INTEGER NOT NULL DEFAULT 0' }],
  ['prev_pk', { sqlite: 'BLOB', postgres: 'BYTEA' }],
  ['prev_sk', { sqlite: 'BLOB', postgres: 'BYTEA' }],
  ['prev_until', { sqlite: 'INTEGER', postgres: 'BIGINT' }],
];

/** The servers' profile (server-profile.ts): links and owner as text, server_flags comma-separated; NULL: none. */
const SERVER_PROFILE_COLUMNS = ['app_url', 'site_url', 'app_android', 'app_ios', 'owner', 'server_flags'] as const;
/**
 * Transactions the app started (§5.12): `origin` 'app' (NULL: the relying party's), the second
 * factor the approval requires (ANY, PIN, BIOMETRIC) and the account that started it; `text` is
 * the app's clientAdditionalData. Same declarations in both dialects.
 */
const APP_TRANSACTION_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['origin', 'TEXT'],
  ['required_factor', 'TEXT'],
  ['creator', 'BIGINT'],
];

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
  add('qr_sessions', 't1', 'BLOB');
  add('qr_sessions', 'start_request', 'BLOB');
  add('qr_sessions', 'start_answer', 'TEXT');
  add('qr_sessions', 'bound_account', 'INTEGER');
  for (const [table, column, decl] of V22_SQLITE_COLUMNS) add(table, column, decl);
  for (const [column, decl] of SERVER_KEY_COLUMNS) add('servers', column, decl.sqlite);
  db.exec(V22_TABLES.sqlite);
  db.exec(OIDC_TABLES.sqlite);
  db.exec(ADMIN_TABLES.sqlite);
  db.exec(AUDIT_TABLES.sqlite);
  add('rp_sessions', 'factor', 'TEXT');
  add('servers', 'pin_trans_timeout', 'INTEGER NOT NULL DEFAULT 0');
  add('servers', 'return_origins', 'TEXT');
  for (const column of SERVER_PROFILE_COLUMNS) add('servers', column, 'TEXT');
  for (const [column, decl] of APP_TRANSACTION_COLUMNS) add('transactions', column, decl);
  // After the columns: older databases get accounts.deleted only above.
  db.exec('CREATE INDEX IF NOT EXISTS accounts_deleted ON accounts (deleted);');
}

const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
  seq               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  id                BYTEA NOT NULL UNIQUE,
  pk                BYTEA NOT NULL,
  sk                BYTEA NOT NULL,
  name              TEXT NOT NULL,
  ping_time         BIGINT NOT NULL DEFAULT 0,
  pin_timeout       BIGINT NOT NULL DEFAULT 0,
  pin_attempt_limit INTEGER NOT NULL DEFAULT 3,
  created           BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rp_sessions (
  server          BYTEA NOT NULL,
  nonce           TEXT NOT NULL,
  loggedin        INTEGER NOT NULL DEFAULT 0,
  accountid       BIGINT,
  userid          TEXT,
  cancelled       INTEGER NOT NULL DEFAULT 0,
  scanned         INTEGER NOT NULL DEFAULT 0,
  userinput       TEXT,
  latest_qr       BYTEA,
  latest_login_qr BYTEA,
  created         BIGINT NOT NULL,
  updated         BIGINT NOT NULL,
  loggedin_at     BIGINT,
  last_seen       BIGINT,
  login_qr        BYTEA,
  PRIMARY KEY (server, nonce)
);
CREATE TABLE IF NOT EXISTS qr_sessions (
  id          BYTEA PRIMARY KEY,
  server      BYTEA NOT NULL,
  nonce       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('login', 'enrol')),
  userid      TEXT,
  name        TEXT,
  usercontext TEXT,
  payload     BYTEA NOT NULL,
  created     BIGINT NOT NULL,
  expires     BIGINT NOT NULL,
  used        INTEGER NOT NULL DEFAULT 0,
  started     INTEGER NOT NULL DEFAULT 0,
  cancelled   INTEGER NOT NULL DEFAULT 0,
  transcript  BYTEA NOT NULL,
  require_2f  INTEGER NOT NULL DEFAULT 0,
  match_code  TEXT,
  tid         TEXT,
  bound_account BIGINT,
  t1            BYTEA,
  start_request BYTEA,
  start_answer  TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
  tid        TEXT PRIMARY KEY,
  server     BYTEA NOT NULL,
  nonce      TEXT NOT NULL,
  text       TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SIGNED', 'REJECTED')),
  account    BIGINT,
  signature  BYTEA,
  created    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS qr_sessions_expires ON qr_sessions (expires);
CREATE INDEX IF NOT EXISTS qr_sessions_rp ON qr_sessions (server, nonce);
CREATE TABLE IF NOT EXISTS push_prompts (
  account  BIGINT NOT NULL,
  qr       BYTEA NOT NULL,
  created  BIGINT NOT NULL,
  expires  BIGINT NOT NULL,
  PRIMARY KEY (account, qr)
);
CREATE INDEX IF NOT EXISTS push_prompts_created ON push_prompts (created);
CREATE INDEX IF NOT EXISTS rp_sessions_updated ON rp_sessions (updated);
CREATE INDEX IF NOT EXISTS transactions_created ON transactions (created);
CREATE TABLE IF NOT EXISTS accounts (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  server         BYTEA NOT NULL,
  userid         TEXT,
  pk             BYTEA NOT NULL,
  box_pk         BYTEA NOT NULL,
  pin_pk         BYTEA NOT NULL,
  pin_failures   INTEGER NOT NULL DEFAULT 0,
  blocked        INTEGER NOT NULL DEFAULT 0,
  created        BIGINT NOT NULL,
  lastlogin      BIGINT,
  description    TEXT,
  push_token     TEXT,
  deleted        INTEGER NOT NULL DEFAULT 0,
  last_factor_at BIGINT,
  bio_pk         BYTEA,
  pending_pin_pk BYTEA
);
CREATE INDEX IF NOT EXISTS accounts_server ON accounts (server);
CREATE INDEX IF NOT EXISTS accounts_deleted ON accounts (deleted);
CREATE TABLE IF NOT EXISTS messages (
  id       BYTEA PRIMARY KEY,
  account  BIGINT NOT NULL,
  sealed   BYTEA NOT NULL,
  created  BIGINT NOT NULL,
  expires  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_account ON messages (account, expires);
CREATE INDEX IF NOT EXISTS messages_expires ON messages (expires);
CREATE TABLE IF NOT EXISTS pin_challenges (
  challenge BYTEA PRIMARY KEY,
  account   BIGINT NOT NULL,
  expires   BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_queue (
  seq      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  token    TEXT NOT NULL,
  payload  TEXT NOT NULL,
  created  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_queue_token ON relay_queue (token, seq);
CREATE INDEX IF NOT EXISTS relay_queue_created ON relay_queue (created);
CREATE INDEX IF NOT EXISTS pin_challenges_expires ON pin_challenges (expires);
CREATE TABLE IF NOT EXISTS device_nonces (
  account  BIGINT NOT NULL,
  nonce    BYTEA NOT NULL,
  expires  BIGINT NOT NULL,
  PRIMARY KEY (account, nonce)
);
CREATE INDEX IF NOT EXISTS device_nonces_expires ON device_nonces (expires);
ALTER TABLE qr_sessions ADD COLUMN IF NOT EXISTS t1 BYTEA;
ALTER TABLE qr_sessions ADD COLUMN IF NOT EXISTS start_request BYTEA;
ALTER TABLE qr_sessions ADD COLUMN IF NOT EXISTS start_answer TEXT;
`;

/** Any constant of our own: the advisory lock that lets one starting instance create the schema at a time. */
const SCHEMA_LOCK = 0x7461_7067;  // "tapg"

/**
 * Creates the PostgreSQL schema if it is not there. Two instances starting at once on an empty
 * database would race in CREATE TABLE IF NOT EXISTS (it is not safe against a concurrent create),
 * so the creation runs under a session advisory lock.
 */
export async function migratePostgres(exec: (sql: string) => Promise<void>): Promise<void> {
  await exec(`SELECT pg_advisory_lock(${SCHEMA_LOCK})`);
  try {
    await exec(POSTGRES_SCHEMA);
    await exec(V22_TABLES.postgres);
    await exec(OIDC_TABLES.postgres);
    await exec(AUDIT_TABLES.postgres);
    await exec(RATE_BUCKETS_TABLE_POSTGRES);
    await exec(ADMIN_TABLES.postgres);
    await exec('ALTER TABLE rp_sessions ADD COLUMN IF NOT EXISTS factor TEXT');
    await exec('ALTER TABLE qr_sessions ADD COLUMN IF NOT EXISTS bound_account BIGINT');
    await exec('ALTER TABLE servers ADD COLUMN IF NOT EXISTS pin_trans_timeout BIGINT NOT NULL DEFAULT 0');
    await exec('ALTER TABLE servers ADD COLUMN IF NOT EXISTS return_origins TEXT');
    for (const column of SERVER_PROFILE_COLUMNS) await exec(`ALTER TABLE servers ADD COLUMN IF NOT EXISTS ${column} TEXT`);
    for (const [column, decl] of APP_TRANSACTION_COLUMNS) await exec(`ALTER TABLE transactions ADD COLUMN IF NOT EXISTS ${column} ${decl}`);
    for (const [column, decl] of SERVER_KEY_COLUMNS) await exec(`ALTER TABLE servers ADD COLUMN IF NOT EXISTS ${column} ${decl.postgres}`);
  } finally {
    await exec(`SELECT pg_advisory_unlock(${SCHEMA_LOCK})`);
  }
}
