import type { Authenticator } from './authenticator.js';
import { TypedEventTarget, type PushRelayEventMap } from './events.js';
import type { FetchLike } from './types.js';

export interface PushRelayOptions {
  /** The relay's base URL, e.g. `${serverOrigin}/relay/v1` on the reference server. */
  url: string;
  /** The token this app receives under; default: a random one. */
  token?: string;
  /** Polling period in ms (default 500). */
  intervalMs?: number;
  fetch?: FetchLike & ((url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>);
}

/**
 * Receives push messages from the reference server's local relay, the development stand-in for
 * FCM, APNs and Web Push: registers its token with every account, polls, and hands each payload to
 * `auth.processPush`. Failures to process a message are reported as `error` events on the relay.
 */
export class LocalPushRelay extends TypedEventTarget<PushRelayEventMap> {
  readonly token: string;
  #auth: Authenticator;
  #url: string;
  #interval: number;
  #fetch: (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
  #timer?: ReturnType<typeof setTimeout>;
  #closed = false;

  private constructor(auth: Authenticator, options: PushRelayOptions) {
    super();
    this.#auth = auth;
    this.#url = options.url.replace(/\/$/, '');
    this.token = options.token ?? randomToken();
    this.#interval = options.intervalMs ?? 500;
    this.#fetch = options.fetch ?? ((url) => globalThis.fetch(url));
  }

  static async connect(auth: Authenticator, options: PushRelayOptions): Promise<LocalPushRelay> {
    const relay = new LocalPushRelay(auth, options);
    await auth.updatePushToken(relay.token);
    relay.#schedule(0);
    return relay;
  }

  /** Polls once now (tests use it to avoid waiting for the next period). */
  async poll(): Promise<void> {
    let messages: unknown;
    try {
      const res = await this.#fetch(`${this.#url}/${encodeURIComponent(this.token)}`);
      if (!res.ok) return;
      messages = ((await res.json()) as { messages?: unknown }).messages;
    } catch {
      return;  // relay unreachable: try again next period
    }
    if (!Array.isArray(messages)) return;
    for (const payload of messages) {
      if (typeof payload !== 'string') continue;
      try {
        await this.#auth.processPush(payload);
      } catch (error) {
        this.dispatchEvent(new CustomEvent('error', { detail: { error } }));
      }
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      // Nobody awaits this poll: whatever fails in it is an `error` event, and polling goes on.
      this.poll()
        .catch((error: unknown) => this.dispatchEvent(new CustomEvent('error', { detail: { error } })))
        .finally(() => this.#schedule(this.#interval));
    }, delay);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

function randomToken(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
