// The admin console's storage (admin/store.ts), per dialect: the roles operators grant to accounts
// (an account holding `admin` may sign in to /admin) and the console's signed-in sessions, kept by
// the digest of their cookie only. SQLite: created by migrateSqlite; PostgreSQL: run after its base
// schema (every statement is idempotent).

const tables = (blob: string, time: string) => `
CREATE TABLE IF NOT EXISTS account_roles (
  account  ${time} NOT NULL,
  role     TEXT NOT NULL,
  granted  ${time} NOT NULL,
  PRIMARY KEY (account, role)
);
CREATE TABLE IF NOT EXISTS admin_sessions (
  id_hash   ${blob} PRIMARY KEY,
  server    ${blob} NOT NULL,
  account   ${time} NOT NULL,
  nonce     TEXT NOT NULL UNIQUE,
  created   ${time} NOT NULL,
  last_seen ${time} NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_last_seen ON admin_sessions (last_seen);
`;

export const ADMIN_TABLES = {
  sqlite: tables('BLOB', 'INTEGER'),
  postgres: tables('BYTEA', 'BIGINT'),
} as const;
