// The OpenID Connect provider's storage (oidc/adapter.ts), per dialect: one table for every
// artifact oidc-provider keeps (sessions, interactions, codes, tokens, grants, clients, CIBA
// requests) and the links between them and Tapgate logins. Ids are stored as digests and payloads
// sealed (the adapter's comments say why); `owner` is the virtual server of a Client row, so the
// relying-party API can list a server's clients. SQLite: created by migrateSqlite; PostgreSQL:
// run after its base schema (every statement is idempotent).

const columns = (blob: string, time: string) => `
  model     TEXT NOT NULL,
  id_hash   ${blob} NOT NULL,
  payload   ${blob} NOT NULL,
  grant_id  ${blob},
  uid_hash  ${blob},
  user_code_hash ${blob},
  owner     ${blob},
  expires   ${time},
  consumed  ${time},
  PRIMARY KEY (model, id_hash)`;

const indexes = `
CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (grant_id);
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (model, uid_hash);
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (model, user_code_hash);
CREATE INDEX IF NOT EXISTS oidc_payloads_owner ON oidc_payloads (model, owner);
CREATE INDEX IF NOT EXISTS oidc_payloads_expires ON oidc_payloads (expires);
`;

export const OIDC_TABLES = {
  sqlite: `CREATE TABLE IF NOT EXISTS oidc_payloads (${columns('BLOB', 'INTEGER')}\n);${indexes}`,
  postgres: `CREATE TABLE IF NOT EXISTS oidc_payloads (${columns('BYTEA', 'BIGINT')}\n);${indexes}`,
} as const;
