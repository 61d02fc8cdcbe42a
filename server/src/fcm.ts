// Firebase Cloud Messaging, HTTP v1 API: a device whose push token is "fcm:" + its FCM
// registration token gets its sealed messages as a data message, { data: { tapgate: <b64u> } },
// the map the app hands to processPush. The server authenticates with a Google service account:
// an OAuth 2.0 JWT bearer grant (RFC 7523), signed RS256 with the account's key, buys an access
// token that is kept until a minute before it expires.
import type { KeyObject } from 'node:crypto';
import { MESSAGE_LIFETIME_MS } from './messages';
import type { PushOutcome, PushSender } from './push';
import {
  deliverWithRetries, jsonOf, networkMessage, post, privateKeyOf, PushDeliveryError, signJwt, type HttpAnswer, type PushVerdict, type RetryPolicy,
} from './push-common';

export const FCM_TOKEN_PREFIX = 'fcm:';
export const FCM_API_BASE = 'https://fcm.googleapis.com';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** Requested lifetime of the grant's JWT, and so at most of the access token (Google's maximum). */
const ASSERTION_LIFETIME_S = 3600;
/** An access token is renewed this long before the expiry Google gave. */
const ACCESS_TOKEN_MARGIN_MS = 60_000;

/** The fields of a Google service-account key file (JSON) the sender uses. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** Checks a service-account key file's text; errors name the missing field, never a value. */
export function parseServiceAccount(text: string): ServiceAccount {
  const j = jsonOf(text);
  if (!j || typeof j !== 'object') throw new Error('the FCM service account is not JSON');
  for (const field of ['project_id', 'client_email', 'private_key'] as const) {
    if (typeof j[field] !== 'string' || j[field] === '') throw new Error(`the FCM service account has no "${field}"`);
  }
  if (!/^[a-z][a-z0-9-]{4,61}[a-z0-9]$/.test(j.project_id)) throw new Error('the FCM service account\'s "project_id" is not a Google Cloud project id');
  if (j.token_uri !== undefined && !/^https?:\/\//.test(String(j.token_uri))) throw new Error('the FCM service account\'s "token_uri" is not an http(s) URL');
  privateKeyOf(j.private_key, 'rsa', 'the FCM service account\'s "private_key"');
  return {
    project_id: j.project_id,
    client_email: j.client_email,
    private_key: j.private_key,
    ...(typeof j.private_key_id === 'string' ? { private_key_id: j.private_key_id } : {}),
    ...(typeof j.token_uri === 'string' ? { token_uri: j.token_uri } : {}),
  };
}

export interface FcmOptions {
  /** The service-account key file's content (JSON text) or its parsed fields. */
  serviceAccount: string | ServiceAccount;
  /** Where messages:send lives (default FCM_API_BASE); a local stand-in in tests. */
  apiBase?: string;
  /** The OAuth token endpoint, also the JWT's `aud` (default: the account's token_uri, else GOOGLE_TOKEN_URL). */
  tokenUrl?: string;
  /** A CA certificate (PEM) trusted besides the system roots, for both endpoints: a private CA, a test's self-signed one. */
  ca?: string | Buffer;
  /** 429 and 5xx answers (and network failures) are retried this way; the app also pulls. */
  retry?: RetryPolicy;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Told of each message that could not be handed to FCM (default: a line on stderr). */
  onFailure?: (error: Error) => void;
  /** Told of a token FCM says is gone (404/UNREGISTERED, or a 400 on message.token). */
  onGone?: (token: string) => void;
  /** Told of each push's outcome, delivered or failed (the server's metrics). */
  onOutcome?: (outcome: PushOutcome) => void;
  /** Clock in ms (default Date.now), for the JWT and the access token's expiry. */
  now?: () => number;
}

/** The FCM registration token in an "fcm:" push token, or null if it is not one. */
export function parseFcmToken(token: string): string | null {
  if (!token.startsWith(FCM_TOKEN_PREFIX)) return null;
  const t = token.slice(FCM_TOKEN_PREFIX.length);
  return /^[A-Za-z0-9_:.-]{1,4000}$/.test(t) ? t : null;
}

/** FCM's error code: the FcmError detail's errorCode, else the google.rpc status. */
function fcmErrorCode(body: any): string | undefined {
  const details: any[] = Array.isArray(body?.error?.details) ? body.error.details : [];
  const fcm = details.find((d) => typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.firebase.fcm.v1.FcmError'));
  const code = fcm?.errorCode ?? body?.error?.status;
  return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
}

/** A 400 whose BadRequest detail blames message.token: the token is malformed or not FCM's. */
function blamesToken(body: any): boolean {
  const details: any[] = Array.isArray(body?.error?.details) ? body.error.details : [];
  return details.some((d) => Array.isArray(d?.fieldViolations) && d.fieldViolations.some((v: any) => v?.field === 'message.token'));
}

export class FcmSender implements PushSender {
  readonly #account: ServiceAccount;
  readonly #key: KeyObject;
  readonly #sendUrl: URL;
  readonly #tokenUrl: URL;
  readonly #opts: FcmOptions;
  readonly #onFailure: (error: Error) => void;
  readonly #onGone: (token: string) => void;
  readonly #onOutcome: (outcome: PushOutcome) => void;
  readonly #now: () => number;
  #access: { token: string; renewAt: number } | null = null;
  #pendingAccess: Promise<string> | null = null;

  constructor(options: FcmOptions) {
    this.#opts = options;
    this.#account = typeof options.serviceAccount === 'string' ? parseServiceAccount(options.serviceAccount) : options.serviceAccount;
    this.#key = privateKeyOf(this.#account.private_key, 'rsa', 'the FCM service account\'s "private_key"');
    const base = (options.apiBase ?? FCM_API_BASE).replace(/\/+$/, '');
    this.#sendUrl = new URL(`${base}/v1/projects/${encodeURIComponent(this.#account.project_id)}/messages:send`);
    this.#tokenUrl = new URL(options.tokenUrl ?? this.#account.token_uri ?? GOOGLE_TOKEN_URL);
    this.#onFailure = options.onFailure ?? ((err) => process.stderr.write(`tapgate-server: ${err.message}\n`));
    this.#onGone = options.onGone ?? (() => {});
    this.#onOutcome = options.onOutcome ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  /** Fire and forget: a lost push is made up for by the app's retrieveMessages. */
  send(token: string, payload: string): void {
    this.deliver(token, payload).then(() => this.#onOutcome('delivered'), (err: unknown) => {
      this.#onOutcome('failed');
      this.#onFailure(err instanceof Error ? err : new PushDeliveryError(`fcm: ${String(err)}`, 'fcm'));
    });
  }

  /** Delivers one message; rejects with a PushDeliveryError once retries are spent. */
  async deliver(token: string, payload: string): Promise<void> {
    const fcmToken = parseFcmToken(token);
    if (!fcmToken) throw new PushDeliveryError('fcm: the push token is not an FCM token', 'fcm');
    const body = JSON.stringify({
      message: {
        token: fcmToken,
        data: { tapgate: payload },
        android: { priority: 'high', ttl: `${Math.floor(MESSAGE_LIFETIME_MS / 1000)}s` },
      },
    });
    const renewCredentials = () => {
      this.#access = null;
    };
    const onGone = () => this.#onGone(token);
    await deliverWithRetries('fcm', { retry: this.#opts.retry, refusal: 'FCM refused the message', onGone, renewCredentials }, async () => {
      const access = await this.#accessToken();
      const answer = await post(this.#sendUrl, { authorization: `Bearer ${access}`, 'content-type': 'application/json; charset=utf-8' }, body, this.#opts);
      const j = jsonOf(answer.body);
      const code = fcmErrorCode(j);
      const s = answer.status;
      const verdict: PushVerdict =
        s >= 200 && s < 300 ? 'delivered'
        : s === 404 || code === 'UNREGISTERED' || (s === 400 && blamesToken(j)) ? 'gone'
        : s === 401 ? 'renew-credentials'
        : s === 429 || s >= 500 ? 'retry'
        : 'refused';
      return { status: s, headers: answer.headers, code, verdict };
    });
  }

  /** The cached access token, or a new one (concurrent sends share one grant request). */
  #accessToken(): Promise<string> {
    if (this.#access && this.#now() < this.#access.renewAt) return Promise.resolve(this.#access.token);
    this.#pendingAccess ??= this.#grant().finally(() => {
      this.#pendingAccess = null;
    });
    return this.#pendingAccess;
  }

  async #grant(): Promise<string> {
    const iat = Math.floor(this.#now() / 1000);
    const assertion = signJwt(
      'RS256',
      this.#key,
      this.#account.private_key_id ? { kid: this.#account.private_key_id } : {},
      { iss: this.#account.client_email, scope: FCM_SCOPE, aud: this.#tokenUrl.href, iat, exp: iat + ASSERTION_LIFETIME_S },
    );
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
    let answer: HttpAnswer;
    try {
      answer = await post(this.#tokenUrl, { 'content-type': 'application/x-www-form-urlencoded' }, form, this.#opts);
    } catch (err) {
      throw new PushDeliveryError(`fcm: token endpoint: ${networkMessage(err)}`, 'fcm', undefined, undefined, true);
    }
    const j = jsonOf(answer.body);
    if (answer.status !== 200 || typeof j?.access_token !== 'string' || j.access_token === '') {
      const error = typeof j?.error === 'string' && /^[\w.-]{1,64}$/.test(j.error) ? ` ${j.error}` : '';
      const retryable = answer.status === 429 || answer.status >= 500;
      throw new PushDeliveryError(`fcm: the token endpoint refused the service account (HTTP ${answer.status}${error})`, 'fcm', answer.status, error.trim() || undefined, retryable);
    }
    const lifetimeS = Number.isFinite(j.expires_in) && j.expires_in > 0 ? Number(j.expires_in) : ASSERTION_LIFETIME_S;
    this.#access = { token: j.access_token, renewAt: this.#now() + lifetimeS * 1000 - ACCESS_TOKEN_MARGIN_MS };
    return j.access_token;
  }
}
