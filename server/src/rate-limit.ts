// Token buckets per caller (an API key's digest, a device's client address): `ratePerSecond`
// tokens refill continuously up to `burst`; a request takes one or is answered 429 with Retry-After.
import type * as http from 'node:http';
import { sendJson } from './http';

export interface RateLimit {
  /** Sustained requests per second; 0 turns the limit off. */
  ratePerSecond: number;
  /** Requests allowed at once from a full bucket (at least 1). */
  burst: number;
}

/** What the API handlers draw from: TokenBuckets in one process, the cluster primary's for workers (cluster.ts). */
export interface RateLimiter {
  readonly enabled: boolean;
  /** 0 if the caller may go ahead (one token taken), else the seconds until a token is there. */
  take(key: string): number | Promise<number>;
}

/** The three limits of a server: per API key, per client address, per account. */
export type RateLimitName = 'rp' | 'device' | 'account';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle this long are full again anyway and are forgotten, so memory follows active callers. */
const FORGET_AFTER_FULL_MS = 60_000;

export class TokenBuckets implements RateLimiter {
  #buckets = new Map<string, Bucket>();
  #lastSweep = 0;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.limit.ratePerSecond > 0;
  }

  /** 0 if the caller may go ahead (one token taken), else the seconds until a token is there. */
  take(key: string): number {
    if (!this.enabled) return 0;
    const { ratePerSecond, burst } = this.limit;
    const t = this.now();
    this.#sweep(t);
    const b = this.#buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSecond);
    b.at = t;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond));
  }

  #sweep(t: number): void {
    if (t - this.#lastSweep < FORGET_AFTER_FULL_MS) return;
    this.#lastSweep = t;
    const fullAfterMs = (this.limit.burst / this.limit.ratePerSecond) * 1000 + FORGET_AFTER_FULL_MS;
    for (const [k, b] of this.#buckets) if (t - b.at > fullAfterMs) this.#buckets.delete(k);
  }
}

/** Answers 429 `{ error, retryAfter }` with Retry-After (seconds). */
export function sendRateLimited(req: http.IncomingMessage, res: http.ServerResponse, retryAfterSeconds: number): void {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  sendJson(req, res, 429, { error: 'rate limit exceeded', retryAfter: retryAfterSeconds });
}

/** Device API paths that try a PIN (or another second factor) on an account named in the body. */
/**
 * The per-account bucket of a PIN-trying device request (device-api.ts names the field per path):
 * `account:<id>` for a well-formed account id, else null. Counted whatever address the request
 * comes from, so one account cannot be tried faster by spreading the guesses over many addresses.
 */
export function accountRateKey(id: unknown): string | null {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 1 ? `account:${id}` : null;
}
