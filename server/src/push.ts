// Push delivery behind one interface. The local relay is the development and test stand-in for
// FCM, APNs and Web Push: it queues payloads per device token until the app polls for them.
import type { Store } from './db';

export interface PushSender {
  /**
   * Delivers an opaque payload (base64url of a sealed message) to the app holding `token`. Fire
   * and forget: a lost push is made up for by the app's retrieveMessages.
   */
  send(token: string, payload: string): void | Promise<void>;
}

/** What became of one push: handed to the push service (or queued at the relay), failed, or no sender for its token. */
export type PushOutcome = 'delivered' | 'failed' | 'unconfigured';

export const MAX_QUEUED_PER_TOKEN = 100;

/**
 * The queue lives in the database when a store is given (the server does: instances that share a
 * database then serve each other's pushes at /relay/v1/{token}), else in this process's memory.
 * Either way at most MAX_QUEUED_PER_TOKEN per token (the oldest go first), taken and forgotten.
 */
export class LocalPushRelay implements PushSender {
  #queues = new Map<string, string[]>();
  /** Sends of this instance, one after another, so a token's payloads queue in the order sent. */
  #sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly store?: Store,
    private readonly now: () => number = Date.now,
    /** Told of each push's outcome (the server's metrics). */
    private readonly onOutcome: (outcome: PushOutcome) => void = () => {},
  ) {}

  send(token: string, payload: string): Promise<void> {
    const store = this.store;
    if (!store) {
      const queue = this.#queues.get(token) ?? [];
      queue.push(payload);
      if (queue.length > MAX_QUEUED_PER_TOKEN) queue.splice(0, queue.length - MAX_QUEUED_PER_TOKEN);
      this.#queues.set(token, queue);
      this.onOutcome('delivered');
      return Promise.resolve();
    }
    // A failed send (the database went away) loses this push only; the app still pulls the message.
    // Never rejects: callers fire and forget.
    this.#sending = this.#sending.then(() => store.enqueueRelay(token, payload, this.now(), MAX_QUEUED_PER_TOKEN))
      .then(() => this.onOutcome('delivered'), () => this.onOutcome('failed'));
    return this.#sending;
  }

  /** Hands over, and forgets, everything queued for `token`. */
  async take(token: string): Promise<string[]> {
    if (this.store) {
      await this.#sending;
      return this.store.takeRelay(token);
    }
    const queue = this.#queues.get(token) ?? [];
    this.#queues.delete(token);
    return queue;
  }
}
