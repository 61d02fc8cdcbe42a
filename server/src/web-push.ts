// Web Push (RFC 8030 delivery, RFC 8291 message encryption, RFC 8292 VAPID) beside the local
// relay: a device whose push token is a Web Push subscription ("webpush:" + its JSON) gets its
// sealed messages through the browser vendor's push service. The payload is already sealed to
// the account; RFC 8291 adds the transport encryption the push service requires.
import * as http from 'node:http';
import * as https from 'node:https';
import webpush from 'web-push';
import type { Store } from './db';
import { endpointRefusal, isAllowListed, publicOnlyLookup, type PushEndpointPolicy } from './push-endpoint';
import { MESSAGE_LIFETIME_MS } from './messages';
import type { PushOutcome, PushSender } from './push';

export const WEB_PUSH_TOKEN_PREFIX = 'webpush:';
const VAPID_SETTING = 'vapidKeys';
const LEGACY_VAPID_PUBLIC_SETTING = 'vapidPublicKey';
const LEGACY_VAPID_PRIVATE_SETTING = 'vapidPrivateKey';

export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * Which push-service endpoints the server may POST to (push-endpoint.ts): the endpoint comes from
 * the device, so by default only https URLs on public hosts, checked again after DNS resolution.
 * `allowHosts` names push services trusted whatever they resolve to; `allowEndpoint` narrows further.
 */
export interface WebPushOptions extends PushEndpointPolicy {
  /** VAPID contact (RFC 8292 `sub`): a mailto: or https: URL. Default mailto:admin@localhost. */
  subject?: string;
  /** Told of each message that could not be handed to the push service (default: stderr). */
  onFailure?: (error: Error) => void;
  /** Told of a subscription the push service says is gone (404/410), so it is no longer used. */
  onGone?: (token: string) => void;
  /** Told of each push's outcome, delivered or failed (the server's metrics). */
  onOutcome?: (outcome: PushOutcome) => void;
}

/** The subscription a token carries, or null if it is not a well-formed Web Push token. */
export function parseWebPushToken(token: string): WebPushSubscription | null {
  if (!token.startsWith(WEB_PUSH_TOKEN_PREFIX)) return null;
  try {
    const j = JSON.parse(token.slice(WEB_PUSH_TOKEN_PREFIX.length)) as Partial<WebPushSubscription>;
    const b64u = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_-]+={0,2}$/.test(v);
    if (typeof j.endpoint !== 'string' || !b64u(j.keys?.p256dh) || !b64u(j.keys?.auth)) return null;
    new URL(j.endpoint);
    return { endpoint: j.endpoint, keys: { p256dh: j.keys!.p256dh, auth: j.keys!.auth } };
  } catch {
    return null;
  }
}

/**
 * Why a push token cannot be stored (the device's 400), or null: a `webpush:` token must be a
 * subscription whose endpoint the policy allows. Other tokens go to fixed services or the relay.
 */
export function webPushTokenRefusal(token: string, policy: PushEndpointPolicy): string | null {
  if (!token.startsWith(WEB_PUSH_TOKEN_PREFIX)) return null;
  const subscription = parseWebPushToken(token);
  if (!subscription) return 'a "webpush:" token must carry a subscription {"endpoint":…,"keys":{"p256dh":…,"auth":…}}';
  return endpointRefusal(subscription.endpoint, policy);
}

/** The server's VAPID key pair: generated on first use and kept in the database. */
export async function vapidKeys(store: Store): Promise<VapidKeys> {
  // Databases made before the pair was one setting keep their two.
  const publicKey = await store.getSetting(LEGACY_VAPID_PUBLIC_SETTING);
  const privateKey = await store.getSetting(LEGACY_VAPID_PRIVATE_SETTING);
  if (publicKey && privateKey) return { publicKey, privateKey };
  // One setting, stored once: instances starting together on one database agree on the pair.
  const generated = webpush.generateVAPIDKeys();
  const stored = JSON.parse(await store.settingOnce(VAPID_SETTING, JSON.stringify(generated))) as VapidKeys;
  return { publicKey: stored.publicKey, privateKey: stored.privateKey };
}

export class WebPushDeliveryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'WebPushDeliveryError';
  }
}

export class WebPushSender implements PushSender {
  readonly #vapid: VapidKeys;
  readonly #subject: string;
  readonly #policy: PushEndpointPolicy;
  readonly #onFailure: (error: Error) => void;
  readonly #onGone: (token: string) => void;
  readonly #onOutcome: (outcome: PushOutcome) => void;

  constructor(vapid: VapidKeys, options: WebPushOptions = {}) {
    this.#vapid = vapid;
    this.#subject = options.subject ?? 'mailto:admin@localhost';
    this.#policy = { allowHttp: options.allowHttp, allowHosts: options.allowHosts, allowEndpoint: options.allowEndpoint };
    this.#onFailure = options.onFailure ?? ((err) => process.stderr.write(`tapgate-server: web push: ${err.message}\n`));
    this.#onGone = options.onGone ?? (() => {});
    this.#onOutcome = options.onOutcome ?? (() => {});
  }

  /** Fire and forget: a lost push is made up for by the app's retrieveMessages. */
  send(token: string, payload: string): void {
    this.#deliver(token, payload).then(() => this.#onOutcome('delivered'), (err: unknown) => {
      this.#onOutcome('failed');
      this.#onFailure(err instanceof Error ? err : new WebPushDeliveryError(String(err)));
    });
  }

  async #deliver(token: string, payload: string): Promise<void> {
    const subscription = parseWebPushToken(token);
    if (!subscription) throw new WebPushDeliveryError('the push token is not a Web Push subscription');
    // Checked again at send time: a token stored before the policy changed, or by an older version.
    const refusal = endpointRefusal(subscription.endpoint, this.#policy);
    if (refusal) throw new WebPushDeliveryError(refusal);
    // The data map the app hands to processPush ({ tapgate }), encrypted for the subscription.
    const request = webpush.generateRequestDetails(subscription, JSON.stringify({ tapgate: payload }), {
      vapidDetails: { subject: this.#subject, ...this.#vapid },
      TTL: Math.floor(MESSAGE_LIFETIME_MS / 1000),
      contentEncoding: 'aes128gcm',
      urgency: 'high',
    });
    const url = new URL(request.endpoint);
    const status = await post(url, request.headers, request.body, isAllowListed(url, this.#policy));
    // RFC 8030 §7.3: the subscription expired or was removed; pushing to it again is pointless.
    if (status === 404 || status === 410) this.#onGone(token);
    // A redirect is not followed (it could point anywhere): it fails like any other non-2xx answer.
    if (status < 200 || status > 299) throw new WebPushDeliveryError(`push service answered HTTP ${status}`, status);
  }
}

const SEND_TIMEOUT_MS = 10_000;

/**
 * POSTs to the push service and resolves with the HTTP status. Unless the host is allow-listed, the
 * connection goes to the address publicOnlyLookup resolved and checked (an IP literal was checked
 * by endpointRefusal; the lookup is not asked for one).
 */
function post(url: URL, headers: Record<string, unknown>, body: Buffer | null, trusted: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
      agent: false,
      ...(trusted ? {} : { lookup: publicOnlyLookup }),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new WebPushDeliveryError(err.name === 'AbortError' ? `push service did not answer within ${SEND_TIMEOUT_MS} ms` : err.message)));
    req.end(body ?? undefined);
  });
}
