// The CLI's cluster (--workers N): what a worker and the primary say to each other over IPC. A
// worker relays its session changes and servers writes through the primary to the other workers
// (InstanceRelay), and takes its rate-limit tokens from the primary's buckets, so that N workers
// sharing one port allow each limit once, not N times (a client's connections are spread over the
// workers round-robin). The primary side is cluster-primary.ts.
import type { InstanceRelay, RelayChannel } from './instance-relay';
import type { RateLimit, RateLimiter, RateLimitName } from './rate-limit';

export type ClusterMessage =
  /** Relay messages of one event-loop turn, in order: [channel, payload] pairs. */
  | { tapgate: 'relay'; batch: Array<[RelayChannel, string]> }
  | { tapgate: 'take'; id: number; name: RateLimitName; key: string }
  | { tapgate: 'took'; id: number; retryAfter: number }
  | { tapgate: 'listening'; port: number; url: string; serverId: string };

const CHANNELS: readonly string[] = ['rp', 'server'];
const LIMITS: readonly string[] = ['rp', 'device', 'account'];

/** Whether an IPC message is one of ours, well-formed (anything else is ignored). */
export function isClusterMessage(m: unknown): m is ClusterMessage {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as Record<string, unknown>;
  switch (x.tapgate) {
    case 'relay':
      return Array.isArray(x.batch) && x.batch.every((e) => Array.isArray(e) && CHANNELS.includes(e[0]) && typeof e[1] === 'string');
    case 'take':
      return Number.isSafeInteger(x.id) && typeof x.name === 'string' && LIMITS.includes(x.name) && typeof x.key === 'string';
    case 'took':
      return Number.isSafeInteger(x.id) && typeof x.retryAfter === 'number';
    case 'listening':
      return Number.isSafeInteger(x.port) && typeof x.url === 'string' && typeof x.serverId === 'string';
    default:
      return false;
  }
}

/** The port the cluster listens on, given to a worker that replaces one that died (serve.ts). */
export const CLUSTER_PORT_ENV = 'TAPGATE_CLUSTER_PORT';

/** Seconds a request waits when the primary cannot be asked (it is gone: the worker is shutting down). */
const RETRY_WITHOUT_PRIMARY_S = 1;

/** A worker's end of the IPC channel. */
export class WorkerLink implements InstanceRelay {
  readonly #subscribers = new Map<RelayChannel, Set<(payload: string) => void>>();
  readonly #pending = new Map<number, (retryAfter: number) => void>();
  #seq = 0;
  /** What publish() gathered this event-loop turn: one IPC message per turn, not one per change (at saturation a turn holds many). */
  #batch: Array<[RelayChannel, string]> = [];

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on('message', (m: unknown) => this.#received(m));
    // Without the primary no token can be taken: refuse rather than let requests through unlimited.
    channel.on('disconnect', () => {
      for (const resolve of this.#pending.values()) resolve(RETRY_WITHOUT_PRIMARY_S);
      this.#pending.clear();
    });
  }

  publish(channel: RelayChannel, payload: string): void {
    // A servers write (rare) goes at once, before the request that made it is answered: the next
    // request, on whichever worker, must not read the old row.
    if (channel === 'server') {
      this.#batch.push([channel, payload]);
      this.#flush();
      return;
    }
    if (this.#batch.length === 0) setImmediate(() => this.#flush());
    this.#batch.push([channel, payload]);
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length) this.#send({ tapgate: 'relay', batch });
  }

  subscribe(channel: RelayChannel, onPayload: (payload: string) => void): () => void {
    const set = this.#subscribers.get(channel) ?? new Set();
    set.add(onPayload);
    this.#subscribers.set(channel, set);
    return () => set.delete(onPayload);
  }

  /** A limiter whose buckets are the primary's (disabled limits never ask). */
  rateLimiter(name: RateLimitName, limit: RateLimit): RateLimiter {
    return {
      enabled: limit.ratePerSecond > 0,
      take: (key) => {
        if (!this.channel.connected) return RETRY_WITHOUT_PRIMARY_S;
        const id = ++this.#seq;
        return new Promise<number>((resolve) => {
          this.#pending.set(id, resolve);
          this.#send({ tapgate: 'take', id, name, key });
        });
      },
    };
  }

  /** Tells the primary this worker listens (it prints the one `listening` line once all do). */
  listening(port: number, url: string, serverId: string): void {
    this.#send({ tapgate: 'listening', port, url, serverId });
  }

  #send(message: ClusterMessage): void {
    if (!this.channel.connected || !this.channel.send) return;
    this.channel.send(message, undefined, undefined, (err) => {
      if (!err || message.tapgate !== 'take') return;
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(RETRY_WITHOUT_PRIMARY_S);
    });
  }

  #received(m: unknown): void {
    if (!isClusterMessage(m)) return;
    if (m.tapgate === 'took') {
      const resolve = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      resolve?.(m.retryAfter);
    } else if (m.tapgate === 'relay') {
      for (const [channel, payload] of m.batch) {
        for (const onPayload of this.#subscribers.get(channel) ?? []) {
          try {
            onPayload(payload);
          } catch {
            // One subscriber's failure must not keep the change from the others.
          }
        }
      }
    }
  }
}
