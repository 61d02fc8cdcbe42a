// The rate-limit buckets shared by the instances of one PostgreSQL database (rate-limit-shared.ts):
// one row per limit and caller key, its token level and when it was last taken from. PostgreSQL
// only: on SQLite the buckets stay in the process. Run after the base schema (idempotent).
export const RATE_BUCKETS_TABLE_POSTGRES = `
CREATE TABLE IF NOT EXISTS rate_buckets (
  name     TEXT NOT NULL,
  key      TEXT NOT NULL,
  tokens   DOUBLE PRECISION NOT NULL,
  at       BIGINT NOT NULL,
  granted  INTEGER NOT NULL,
  PRIMARY KEY (name, key)
);
CREATE INDEX IF NOT EXISTS rate_buckets_at ON rate_buckets (name, at);
`;

