// Token buckets kept in the shared PostgreSQL database, so that N instances behind a balancer
// allow the configured rate once, not N times. Each take is one upsert: the row of the bucket is
// refilled for the time since its last take and, if a token is there, one is taken, all in the
// statement's row lock, so takes at two instances at once are decided one after the other.
// SQLite keeps TokenBuckets in the process (rate-limit.ts): one process serves its file.
import type { SqlDriver } from './sql/driver';
import type { RateLimit, RateLimiter, RateLimitName } from './rate-limit';

// The table: sql/schema-rate-buckets.ts.

// Parameters: name, key, burst - 1 (a new bucket's first take), now, then burst and rate per ms
// for each of the REFILL_USES uses of the refilled level. The instances' clocks may differ a little:
// time never runs backwards for a bucket (GREATEST), so a slow clock refills nothing.
const REFILLED = 'LEAST(?::float8, b.tokens + GREATEST(0, EXCLUDED.at - b.at) * ?::float8)';
const TAKE_SQL = `
INSERT INTO rate_buckets AS b (name, key, tokens, at, granted) VALUES (?, ?, ?::float8, ?::bigint, 1)
ON CONFLICT (name, key) DO UPDATE SET
  tokens = CASE WHEN ${REFILLED} >= 1 THEN ${REFILLED} - 1 ELSE ${REFILLED} END,
  granted = CASE WHEN ${REFILLED} >= 1 THEN 1 ELSE 0 END,
  at = GREATEST(b.at, EXCLUDED.at)
RETURNING granted, tokens`;
const REFILL_USES = TAKE_SQL.split(REFILLED).length - 1;

/** How often an instance deletes the buckets that are full again (they would start full anyway). */
export const SHARED_BUCKET_SWEEP_MS = 60_000;

export class SharedTokenBuckets implements RateLimiter {
  #lastSweep: number;

  constructor(
    private readonly sql: SqlDriver,
    private readonly name: RateLimitName,
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.#lastSweep = now();
  }

  get enabled(): boolean {
    return this.limit.ratePerSecond > 0;
  }

  /** 0 if the caller may go ahead (one token taken), else the seconds until a token is there. */
  async take(key: string): Promise<number> {
    if (!this.enabled) return 0;
    const { ratePerSecond, burst } = this.limit;
    const t = this.now();
    this.#sweep(t);
    const perMs = ratePerSecond / 1000;
    const refills = Array.from({ length: REFILL_USES }, () => [burst, perMs]).flat();
    const row = await this.sql.get<{ granted: number; tokens: number }>(TAKE_SQL, [this.name, key, burst - 1, t, ...refills]);
    if (!row) throw new Error('rate_buckets: the upsert returned no row');
    if (Number(row.granted) === 1) return 0;
    return Math.max(1, Math.ceil((1 - Number(row.tokens)) / ratePerSecond));
  }

  /**
   * Deletes this limit's buckets idle long enough to be full again (any instance may; a take
   * racing the delete just starts a full bucket, which is what the deleted row held).
   */
  #sweep(t: number): void {
    if (t - this.#lastSweep < SHARED_BUCKET_SWEEP_MS) return;
    this.#lastSweep = t;
    const fullAfterMs = (this.limit.burst / this.limit.ratePerSecond) * 1000;
    // Fire and forget: a failed sweep leaves rows for the next one, and never fails a request.
    void this.sql.run('DELETE FROM rate_buckets WHERE name = ? AND at < ?', [this.name, Math.floor(t - fullAfterMs)]).catch(() => {});
  }
}
