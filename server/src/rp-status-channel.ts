// The relying parties' live status channel: server-sent events per relying-party session (nonce).
// GET /servers/{sid}/sessions/events answers `text/event-stream`: first a `status` event (the
// LoginStatus as it is now), then one event per change (rp-status-events.ts), with a comment line
// every few seconds that keeps proxies from closing an idle stream.
import type * as http from 'node:http';
import type { ServerRecord } from './db';
import type { ObservedStore, RpSessionChange } from './observed-store';
import { statusEvents } from './rp-status-events';

/** How often an open stream re-reads its session: a continuous login that went silent is logged
 * out when read (liveness.ts), and nothing else would read it while the relying party only listens. */
export const STATUS_RECHECK_MS = 5_000;

interface Subscriber {
  send(name: string, data: unknown): void;
  /** Ends the stream (server shutdown); EventSource clients reconnect to another instance. */
  end(): void;
  /** openServer's streams: how a session is named in their events. */
  sessionId?: (nonce: string) => string;
}

export interface StatusChannelSource {
  /** The LoginStatus of the nonce (reading it also applies the continuous-login rule). */
  loginStatus(server: ServerRecord, nonce: string): Promise<Record<string, unknown>>;
}

/** The subscribers of every session of a server (openServer): no nonce is a single newline. */
const ALL_SESSIONS = '\n';
const keyOf = (server: Uint8Array, nonce: string) => `${Buffer.from(server).toString('hex')}:${nonce}`;

export class RpStatusChannel {
  #subscribers = new Map<string, Set<Subscriber>>();
  #stopObserving: () => void;

  constructor(store: ObservedStore, private readonly source: StatusChannelSource) {
    this.#stopObserving = store.observe((change) => this.#dispatch(change));
  }

  /** Open streams, over all sessions (tests check that a closed stream lets go of its listener). */
  get openStreams(): number {
    let n = 0;
    for (const set of this.#subscribers.values()) n += set.size;
    return n;
  }

  /** Turns the response into the event stream of (server, nonce) until the client goes away. */
  open(req: http.IncomingMessage, res: http.ServerResponse, server: ServerRecord, nonce: string): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',  // nginx: pass events on at once
    });
    const subscriber: Subscriber = {
      send: (name, data) => {
        if (!res.writableEnded) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end: () => {
        if (!res.writableEnded) res.end();
      },
    };
    // Subscribed before the snapshot is read, so no change falls between the two; changes that
    // arrive while it is read wait and follow it (one may repeat what the snapshot shows).
    res.write('retry: 2000\n\n');
    const held: [string, unknown][] = [];
    const live = subscriber.send;
    subscriber.send = (name, data) => held.push([name, data]);
    const key = keyOf(server.id, nonce);
    const set = this.#subscribers.get(key) ?? new Set<Subscriber>();
    set.add(subscriber);
    this.#subscribers.set(key, set);
    this.source.loginStatus(server, nonce).then(
      (snapshot) => {
        live('status', snapshot);
        for (const [name, data] of held) live(name, data);
        subscriber.send = live;
      },
      () => subscriber.end(),
    );

    const recheck = setInterval(() => {
      if (res.writableEnded) return;
      res.write(': alive\n\n');
      // A lapsed continuous login turns into `loggedout`; a failure is the store closing under us
      // (shutdown), and the socket goes with it.
      this.source.loginStatus(server, nonce).catch(() => {});
    }, STATUS_RECHECK_MS);
    recheck.unref();
    const release = () => {
      clearInterval(recheck);
      set.delete(subscriber);
      if (set.size === 0 && this.#subscribers.get(key) === set) this.#subscribers.delete(key);
    };
    req.once('close', release);
    res.once('close', release);
  }

  /**
   * The event stream of every session of `server` (the admin console's live sessions): the same
   * events as open(), each with `session`, a digest of its nonce (`sessionId`), never the nonce.
   * No snapshot: the console reads the list (admin/store.ts liveSessions) and re-reads on events.
   */
  openServer(req: http.IncomingMessage, res: http.ServerResponse, server: ServerRecord, sessionId: (nonce: string) => string): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    const subscriber: Subscriber = {
      send: (name, data) => {
        if (!res.writableEnded) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end: () => {
        if (!res.writableEnded) res.end();
      },
      sessionId,
    };
    const key = keyOf(server.id, ALL_SESSIONS);
    const set = this.#subscribers.get(key) ?? new Set<Subscriber>();
    set.add(subscriber);
    this.#subscribers.set(key, set);
    const alive = setInterval(() => {
      if (!res.writableEnded) res.write(': alive\n\n');
    }, STATUS_RECHECK_MS);
    alive.unref();
    const release = () => {
      clearInterval(alive);
      set.delete(subscriber);
      if (set.size === 0 && this.#subscribers.get(key) === set) this.#subscribers.delete(key);
    };
    req.once('close', release);
    res.once('close', release);
  }

  /** Ends every open stream cleanly (the last chunk is sent), for a graceful shutdown. */
  endAll(): void {
    for (const set of [...this.#subscribers.values()]) for (const subscriber of [...set]) subscriber.end();
  }

  close(): void {
    this.endAll();
    this.#stopObserving();
  }

  #dispatch(change: RpSessionChange): void {
    const set = this.#subscribers.get(keyOf(change.server, change.nonce));
    const all = this.#subscribers.get(keyOf(change.server, ALL_SESSIONS));
    if (!set?.size && !all?.size) return;
    for (const e of statusEvents(change.before, change.after)) {
      for (const subscriber of set ?? []) subscriber.send(e.event, e);
      for (const subscriber of all ?? []) subscriber.send(e.event, { ...e, session: subscriber.sessionId!(change.nonce) });
    }
  }
}
