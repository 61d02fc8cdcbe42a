// Push delivery behind one interface. The local relay is the development and test stand-in for
// FCM, APNs and Web Push: it queues payloads per device token until the app polls for them.

export interface PushSender {
  /** Delivers an opaque payload (base64url of a sealed message) to the app holding `token`. */
  send(token: string, payload: string): void;
}

const MAX_QUEUED_PER_TOKEN = 100;

export class LocalPushRelay implements PushSender {
  #queues = new Map<string, string[]>();

  send(token: string, payload: string): void {
    const queue = this.#queues.get(token) ?? [];
    queue.push(payload);
    // A relay nobody polls must not grow without bound; the oldest payloads go first (the app can
    // still pull them with retrieveMessages).
    if (queue.length > MAX_QUEUED_PER_TOKEN) queue.splice(0, queue.length - MAX_QUEUED_PER_TOKEN);
    this.#queues.set(token, queue);
  }

  /** Hands over, and forgets, everything queued for `token`. */
  take(token: string): string[] {
    const queue = this.#queues.get(token) ?? [];
    this.#queues.delete(token);
    return queue;
  }
}
