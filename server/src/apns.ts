// Apple Push Notification service over HTTP/2: a device whose push token is "apns:" + its hex
// device token gets its sealed messages at the payload's top level, { aps: {…}, tapgate: <b64u> }
// (the userInfo the app hands to processPush). The provider token is a JWT signed ES256 with the
// team's .p8 key, renewed every 50 minutes (Apple accepts one for an hour and wants no more than
// one new token per 20 minutes) or at once when Apple answers ExpiredProviderToken.
import type { KeyObject } from 'node:crypto';
import * as http2 from 'node:http2';
import { MESSAGE_LIFETIME_MS } from './messages';
import type { PushOutcome, PushSender } from './push';
import { deliverWithRetries, jsonOf, privateKeyOf, PushDeliveryError, signJwt, withSystemRoots, type PushVerdict, type RetryPolicy } from './push-common';

export const APNS_TOKEN_PREFIX = 'apns:';
export const APNS_PRODUCTION_URL = 'https://api.push.apple.com';
export const APNS_SANDBOX_URL = 'https://api.sandbox.push.apple.com';
/** A provider token is used for at most this long. */
export const APNS_JWT_LIFETIME_MS = 50 * 60 * 1000;
const APPLE_ID = /^[A-Z0-9]{10}$/;

export interface ApnsOptions {
  /** The .p8 signing key's content (PEM, PKCS #8, P-256). */
  key: string;
  /** The key's 10-character Key ID (JWT `kid`). */
  keyId: string;
  /** The 10-character Team ID (JWT `iss`). */
  teamId: string;
  /** apns-topic: the app's bundle id. */
  topic: string;
  /** APNS_PRODUCTION_URL (default), APNS_SANDBOX_URL for development builds, or a local stand-in. */
  url?: string;
  /**
   * 'alert' (default): a visible notification that also carries the payload (apns-priority 10),
   * the dependable kind for a login waiting on the user. 'background': content-available only
   * (apns-priority 5), which iOS may delay or drop.
   */
  pushType?: 'alert' | 'background';
  /** The alert's text for pushType 'alert' (the message itself is sealed; the server cannot quote it). */
  alert?: { title?: string; body: string };
  /** A CA certificate (PEM) trusted besides the system roots: a private CA, a test's self-signed one. */
  ca?: string | Buffer;
  retry?: RetryPolicy;
  timeoutMs?: number;
  onFailure?: (error: Error) => void;
  /** Told of a token Apple says is gone (410, or 400 BadDeviceToken / Unregistered). */
  onGone?: (token: string) => void;
  /** Told of each push's outcome, delivered or failed (the server's metrics). */
  onOutcome?: (outcome: PushOutcome) => void;
  now?: () => number;
}

/** Checks the APNs settings; errors name the setting, never a key. */
export function checkApnsOptions(o: ApnsOptions): KeyObject {
  if (!APPLE_ID.test(o.keyId)) throw new Error('the APNs key id is not a 10-character Key ID');
  if (!APPLE_ID.test(o.teamId)) throw new Error('the APNs team id is not a 10-character Team ID');
  if (!/^[A-Za-z0-9.-]{1,255}$/.test(o.topic)) throw new Error('the APNs topic is not a bundle id');
  if (o.pushType !== undefined && o.pushType !== 'alert' && o.pushType !== 'background') throw new Error('the APNs push type is alert or background');
  if (o.url !== undefined && !/^https?:\/\/[^/]+\/?$/.test(o.url)) throw new Error('the APNs URL is not an http(s) origin');
  return privateKeyOf(o.key, 'ec', 'the APNs key');
}

/** The hex device token in an "apns:" push token, or null if it is not one. */
export function parseApnsToken(token: string): string | null {
  if (!token.startsWith(APNS_TOKEN_PREFIX)) return null;
  const t = token.slice(APNS_TOKEN_PREFIX.length);
  return /^[0-9a-fA-F]{16,400}$/.test(t) ? t.toLowerCase() : null;
}

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

export class ApnsSender implements PushSender {
  readonly #opts: ApnsOptions;
  readonly #key: KeyObject;
  readonly #origin: string;
  readonly #onFailure: (error: Error) => void;
  readonly #onGone: (token: string) => void;
  readonly #onOutcome: (outcome: PushOutcome) => void;
  readonly #now: () => number;
  #jwt: { token: string; renewAt: number } | null = null;
  #session: http2.ClientHttp2Session | null = null;

  constructor(options: ApnsOptions) {
    this.#key = checkApnsOptions(options);
    this.#opts = options;
    this.#origin = new URL(options.url ?? APNS_PRODUCTION_URL).origin;
    this.#onFailure = options.onFailure ?? ((err) => process.stderr.write(`tapgate-server: ${err.message}\n`));
    this.#onGone = options.onGone ?? (() => {});
    this.#onOutcome = options.onOutcome ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  send(token: string, payload: string): void {
    this.deliver(token, payload).then(() => this.#onOutcome('delivered'), (err: unknown) => {
      this.#onOutcome('failed');
      this.#onFailure(err instanceof Error ? err : new PushDeliveryError(`apns: ${String(err)}`, 'apns'));
    });
  }

  /** Closes the HTTP/2 connection (a new one opens on the next send). */
  close(): void {
    this.#session?.close();
    this.#session = null;
  }

  async deliver(token: string, payload: string): Promise<void> {
    const deviceToken = parseApnsToken(token);
    if (!deviceToken) throw new PushDeliveryError('apns: the push token is not an APNs device token', 'apns');
    const background = this.#opts.pushType === 'background';
    const aps = background
      ? { 'content-available': 1 }
      : { alert: this.#opts.alert ?? { title: 'Tapgate', body: 'You have a new sign-in request or message' }, sound: 'default', 'mutable-content': 1 };
    const body = JSON.stringify({ aps, tapgate: payload });
    const renewCredentials = () => {
      this.#jwt = null;
    };
    const onGone = () => this.#onGone(token);
    await deliverWithRetries('apns', { retry: this.#opts.retry, refusal: 'APNs refused the notification', onGone, renewCredentials }, async () => {
      const answer = await this.#request(deviceToken, {
        authorization: `bearer ${this.#providerToken()}`,
        'apns-topic': this.#opts.topic,
        'apns-push-type': background ? 'background' : 'alert',
        'apns-priority': background ? '5' : '10',
        'apns-expiration': String(Math.floor((this.#now() + MESSAGE_LIFETIME_MS) / 1000)),
      }, body);
      const reason = jsonOf(answer.body)?.reason;
      const code = typeof reason === 'string' && /^[A-Za-z]{1,64}$/.test(reason) ? reason : undefined;
      const s = answer.status;
      const verdict: PushVerdict =
        s === 200 ? 'delivered'
        : s === 410 || code === 'BadDeviceToken' || code === 'Unregistered' ? 'gone'
        : s === 403 && code === 'ExpiredProviderToken' ? 'renew-credentials'
        : s === 429 || s >= 500 ? 'retry'
        : 'refused';
      return { status: s, headers: answer.headers, code, verdict };
    });
  }

  #providerToken(): string {
    const now = this.#now();
    if (this.#jwt && now < this.#jwt.renewAt) return this.#jwt.token;
    const token = signJwt('ES256', this.#key, { kid: this.#opts.keyId }, { iss: this.#opts.teamId, iat: Math.floor(now / 1000) });
    this.#jwt = { token, renewAt: now + APNS_JWT_LIFETIME_MS };
    return token;
  }

  /** One long-lived HTTP/2 connection, as Apple asks; reopened when it closes or fails. */
  #connection(): http2.ClientHttp2Session {
    if (this.#session && !this.#session.closed && !this.#session.destroyed) return this.#session;
    const session = http2.connect(this.#origin, this.#opts.ca ? { ca: withSystemRoots(this.#opts.ca) } : {});
    const drop = () => {
      if (this.#session === session) this.#session = null;
    };
    session.on('error', drop);
    session.on('close', drop);
    session.on('goaway', drop);
    session.unref();  // an idle connection does not keep the process alive
    this.#session = session;
    return session;
  }

  #request(deviceToken: string, headers: Record<string, string>, body: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const session = this.#connection();
      const stream = session.request({
        ':method': 'POST',
        ':path': `/3/device/${deviceToken}`,
        'content-type': 'application/json',
        ...headers,
      });
      stream.setTimeout(this.#opts.timeoutMs ?? 10_000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      let status = 0;
      let answerHeaders: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        answerHeaders = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => (status ? resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks).toString('utf8') }) : reject(new Error('timed out'))));
      stream.on('close', () => {
        if (!status) reject(Object.assign(new Error('stream closed'), { code: stream.rstCode ? `RST_STREAM ${stream.rstCode}` : 'ERR_HTTP2_STREAM_CLOSED' }));
      });
      stream.on('error', reject);
      stream.end(body);
    });
  }
}
