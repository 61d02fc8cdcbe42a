// The status channel (GET /servers/{sid}/sessions/events) read with fetch: one connection as an
// async iterable of typed events (openStatusChannel), and on top of it a stream that outlives
// dropped connections, reconnecting with backoff (sessionEvents). Every (re)connection starts with
// a `status` event, the LoginStatus as it is then, which makes up for anything missed meanwhile.
import { TapgateApiError, type TapgateApiErrorKind } from './errors';
import { loginStatus, statusEventData } from './models';
import { path, requestStream, type ClientSettings } from './request';
import { ShapeMismatch } from './shapes';
import { SseParser, type SseEvent } from './sse';
import type { SessionEvent } from './types';

const OPERATION = 'statusChannel';
/** The server writes a `: alive` comment every 5 s; this much silence means the stream is dead. */
export const DEFAULT_IDLE_TIMEOUT_MS = 20_000;
/** Reconnection delay until the stream says otherwise (`retry:`; the reference server sends 2000). */
const DEFAULT_RETRY_MS = 2_000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 30_000;
/** Failures a reconnection may be retried after: the server or the path to it may come back. */
const RETRYABLE: ReadonlySet<TapgateApiErrorKind> = new Set(['network', 'timeout', 'server', 'rate_limited']);

export interface StatusChannelOptions {
  signal?: AbortSignal;
  /** For the response headers; the client's timeoutMs by default. */
  timeoutMs?: number;
  /** Sent as Last-Event-ID (the reference server sends no ids yet, so there is none to send). */
  lastEventId?: string | null;
  /** Silence after which the connection counts as dead (a `timeout` error); default 20 s. */
  idleTimeoutMs?: number;
}

/** One connection of the status channel. Iterate it once; it ends when the server ends the stream. */
export interface StatusChannelConnection extends AsyncIterable<SessionEvent> {
  /** The stream's last `retry:` in ms, or null. */
  readonly retryMs: number | null;
  /** The stream's last `id:`, or null. */
  readonly lastEventId: string | null;
  /** Closes the connection; an iteration in progress ends. */
  close(): void;
}

/** Connects; rejects with a TapgateApiError if the server refuses (401, 400, 404, …) or cannot be reached. */
export async function openStatusChannel(settings: ClientSettings, serverId: string, nonce: string, options: StatusChannelOptions = {}): Promise<StatusChannelConnection> {
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const close = () => {
    options.signal?.removeEventListener('abort', onCallerAbort);
    controller.abort();
  };
  let response: Response;
  try {
    response = await requestStream(settings, {
      operationId: OPERATION, method: 'GET', path: path`/servers/${serverId}/sessions/events`, nonce,
      headers: { 'Cache-Control': 'no-store', ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}) },
      signal: controller.signal, timeoutMs: options.timeoutMs,
    }, 'text/event-stream');
  } catch (err) {
    close();
    throw err;
  }
  const body = response.body!;
  const parser = new SseParser();
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

  async function* events(): AsyncGenerator<SessionEvent> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let idle = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const rearm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        idle = true;
        controller.abort();
      }, idleTimeoutMs);
    };
    try {
      for (;;) {
        rearm();
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          if (idle) throw new TapgateApiError({ kind: 'timeout', operationId: OPERATION, message: `${OPERATION}: nothing received for ${idleTimeoutMs} ms`, cause });
          if (controller.signal.aborted) return;  // closed by us or by the caller
          throw new TapgateApiError({ kind: 'network', operationId: OPERATION, message: `${OPERATION}: the stream broke`, cause });
        }
        if (chunk.done) return;
        for (const sse of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          const event = decodeEvent(sse);
          if (event) yield event;
        }
      }
    } finally {
      clearTimeout(watchdog);
      close();
      reader.releaseLock();
    }
  }

  return {
    get retryMs() {
      return parser.retryMs;
    },
    get lastEventId() {
      return parser.lastEventId;
    },
    close,
    [Symbol.asyncIterator]: events,
  };
}

/** The typed event, or null for an event this client does not know (a newer server's). */
function decodeEvent(sse: SseEvent): SessionEvent | null {
  const known = sse.name === 'status' || Object.hasOwn(statusEventData, sse.name);
  if (!known) return null;
  try {
    const data: unknown = JSON.parse(sse.data);
    if (sse.name === 'status') return { event: 'status', status: loginStatus.parse(data, 'status') };
    return statusEventData[sse.name as keyof typeof statusEventData].parse(data, sse.name);
  } catch (cause) {
    const what = cause instanceof ShapeMismatch ? cause.message : 'not JSON';
    throw new TapgateApiError({ kind: 'bad_response', operationId: OPERATION, status: 200, message: `${OPERATION}: event "${sse.name}": ${what}`, cause });
  }
}

export interface SessionEventsOptions extends StatusChannelOptions {
  /** Upper bound of the backoff between failed reconnections; default 30 s. */
  maxReconnectDelayMs?: number;
}

/** An event stream that reconnects; `return()` (or the signal) ends it at once, even mid-wait. */
export interface SessionEventStream extends AsyncIterableIterator<SessionEvent> {
  return(): Promise<IteratorReturnResult<undefined>>;
}

/**
 * The session's events across connections. A dropped, silent or ended stream is reopened after the
 * server's `retry:` delay, doubling (with jitter) while reconnections fail, up to
 * maxReconnectDelayMs. Failures no reconnection can mend (401, 403, 404, 400, a malformed event)
 * end the iteration by throwing their TapgateApiError. Aborting the signal or calling return()
 * ends it cleanly (done, no error).
 */
export function sessionEvents(settings: ClientSettings, serverId: string, nonce: string, options: SessionEventsOptions = {}): SessionEventStream {
  const stop = new AbortController();
  const onCallerAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const maxDelayMs = options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;

  async function* run(): AsyncGenerator<SessionEvent, undefined> {
    let retryMs = DEFAULT_RETRY_MS;
    let lastEventId = options.lastEventId ?? null;
    let failures = 0;
    try {
      while (!stop.signal.aborted) {
        let waitAtLeastMs = 0;
        try {
          const connection = await openStatusChannel(settings, serverId, nonce, { ...options, lastEventId, signal: stop.signal });
          try {
            for await (const event of connection) {
              failures = 0;
              yield event;
            }
            failures += 1;  // ended by the server; the events it sent reset the count
          } finally {
            retryMs = connection.retryMs ?? retryMs;
            lastEventId = connection.lastEventId ?? lastEventId;
            connection.close();
          }
        } catch (err) {
          if (stop.signal.aborted) return undefined;
          if (!(err instanceof TapgateApiError) || !RETRYABLE.has(err.kind)) throw err;
          failures += 1;
          if (err.retryAfter !== null) waitAtLeastMs = err.retryAfter * 1000;
        }
        const backoff = Math.min(maxDelayMs, retryMs * 2 ** Math.max(0, failures - 1));
        await sleep(Math.max(waitAtLeastMs, backoff * (0.8 + 0.4 * Math.random())), stop.signal);
      }
      return undefined;
    } finally {
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  const generator = run();
  return {
    next: () => generator.next(),
    // Aborting first: a generator's own return() would wait for the read it is suspended in.
    return: async () => {
      stop.abort();
      return (await generator.return(undefined)) as IteratorReturnResult<undefined>;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
