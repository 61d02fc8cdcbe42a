// What the FCM and APNs adapters share: compact JWTs signed with node:crypto, a typed delivery
// error, the retry policy for 429/5xx, and one-shot HTTP(S) requests with an optional private CA.
// Nothing here logs: callers get errors whose messages carry no token, key, JWT or payload.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';

/** A push that did not reach the push service. `retryable` ones were retried already. */
export class PushDeliveryError extends Error {
  constructor(
    message: string,
    readonly sender: 'fcm' | 'apns',
    readonly status?: number,
    /** The service's error code (FCM `errorCode`/`status`, APNs `reason`), never free text. */
    readonly reason?: string,
    /** True for 429/5xx/network failures, false for a configuration or token problem. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'PushDeliveryError';
  }
}

const b64u = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** `header.claims.signature`, RS256 (RSASSA-PKCS1-v1_5/SHA-256) or ES256 (P-256, raw r||s). */
export function signJwt(alg: 'RS256' | 'ES256', key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const input = `${b64u(JSON.stringify({ alg, typ: 'JWT', ...header }))}.${b64u(JSON.stringify(claims))}`;
  const signature = alg === 'RS256'
    ? sign('sha256', Buffer.from(input), key)
    : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(signature)}`;
}

/** A PEM private key of the expected type; the error never quotes the key. */
export function privateKeyOf(pem: string, type: 'rsa' | 'ec', what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`${what} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== type) throw new Error(`${what} is a ${key.asymmetricKeyType} key, not ${type.toUpperCase()}`);
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`${what} is not a P-256 key`);
  return key;
}

export interface RetryPolicy {
  /** Tries in all, the first included (default 3). */
  attempts?: number;
  /** Wait before the first retry when the service gives no Retry-After; doubles each time (default 1000). */
  baseDelayMs?: number;
  /** Longest wait, Retry-After included (default 30000: the message lives 10 minutes, and the app pulls). */
  maxDelayMs?: number;
}

export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter: string | undefined): number {
  const max = policy.maxDelayMs ?? 30_000;
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) return Math.min(Number(retryAfter) * 1000, max);
  if (retryAfter) {
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.min(Math.max(0, at - Date.now()), max);
  }
  return Math.min((policy.baseDelayMs ?? 1000) * 2 ** (attempt - 1), max);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** What one answer of a push service means for the delivery. */
export type PushVerdict = 'delivered' | 'gone' | 'renew-credentials' | 'retry' | 'refused';

export interface PushAttempt {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The service's error code, when it gave one (already checked to be a short token). */
  code?: string;
  verdict: PushVerdict;
}

/**
 * The delivery loop of the FCM and APNs senders: tries `attempt` up to the policy's number of
 * times, waiting between tries (the service's Retry-After first); renews the credentials once when
 * the service asks; forgets a gone token; rejects with a PushDeliveryError when nothing more can be
 * done. `refusal` words a final refusal ("FCM refused the message").
 */
export async function deliverWithRetries(
  sender: 'fcm' | 'apns',
  o: { retry?: RetryPolicy; refusal: string; onGone: () => void; renewCredentials: () => void },
  attempt: () => Promise<PushAttempt>,
): Promise<void> {
  const attempts = Math.max(1, o.retry?.attempts ?? 3);
  let renewed = false;
  let last: PushDeliveryError | null = null;
  for (let n = 1; n <= attempts; n++) {
    let a: PushAttempt;
    try {
      a = await attempt();
    } catch (err) {
      if (err instanceof PushDeliveryError && !err.retryable) throw err;
      last = err instanceof PushDeliveryError ? err : new PushDeliveryError(`${sender}: ${networkMessage(err)}`, sender, undefined, undefined, true);
      if (n < attempts) await sleep(retryDelayMs(o.retry ?? {}, n, undefined));
      continue;
    }
    const what = `HTTP ${a.status}${a.code ? ` ${a.code}` : ''}`;
    let verdict = a.verdict;
    if (verdict === 'renew-credentials') {
      if (!renewed) {
        // The credentials were revoked or expired early: one more try with fresh ones.
        renewed = true;
        o.renewCredentials();
        n--;
        continue;
      }
      verdict = 'refused';
    }
    switch (verdict) {
      case 'delivered':
        return;
      case 'gone':
        o.onGone();
        throw new PushDeliveryError(`${sender}: the token is gone (${what}); forgotten`, sender, a.status, a.code);
      case 'retry': {
        last = new PushDeliveryError(`${sender}: ${what} after ${n} attempt${n === 1 ? '' : 's'}`, sender, a.status, a.code, true);
        const retryAfter = a.headers['retry-after'];
        if (n < attempts) await sleep(retryDelayMs(o.retry ?? {}, n, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter));
        continue;
      }
      default:
        throw new PushDeliveryError(`${sender}: ${o.refusal} (${what})`, sender, a.status, a.code);
    }
  }
  throw last!;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/** One POST over HTTP/1.1 (https:, or http: for a local stand-in), answered as text. */
export function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  options: { ca?: string | Buffer; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!lib) return reject(new Error(`unsupported URL scheme ${url.protocol}`));
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(options.ca && url.protocol === 'https:' ? { ca: withSystemRoots(options.ca) } : {}),
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Node's own root certificates plus `extra`: a `ca` option alone would replace them. */
export function withSystemRoots(extra: string | Buffer): string[] {
  return [...tls.rootCertificates, extra.toString()];
}

/** The parsed JSON of an answer, or null (an HTML error page, an empty body). */
export function jsonOf(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A failure's message without anything it might have quoted (network errors name hosts only). */
export function networkMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (e?.cause?.code) return `network error ${e.cause.code}`;  // an HTTP/2 stream cancelled by its session's failure
  return e?.code ? `network error ${e.code}` : e?.message === 'timed out' ? 'timed out' : 'network error';
}
