// The Node entry's default transport: a small HTTP/1.1 client on node:net / node:tls. Node's
// global `fetch` (undici, web streams, a Request and a Response object per call) cost about as
// much CPU per login as the core itself (issue 13); node:http was next, at ~97 µs of client CPU
// per pooled POST (an agent, a ClientRequest, an IncomingMessage stream and llhttp per call)
// against ~45 µs for one socket write and a plain parser. A device talks to one or two servers
// with small JSON POSTs, so that is all this client does:
// - one write per request: request line, Host, the caller's (validated) headers, Content-Length,
//   the UTF-8 body; never chunked, never Expect: 100-continue;
// - the answer read whole by a strict parser (http1-response.ts) and capped at MAX_RESPONSE_BYTES;
// - idle keep-alive connections pooled per origin, one request at a time on each;
// - https with Node's default certificate verification and SNI, ALPN http/1.1 only.
// It does not do redirects, proxies, cookies, compression, HTTP/2, or any HTTP feature the
// core's protocol does not use. `options.fetch` still replaces it.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Http1ResponseParser, type HttpResponse } from './http1-response.js';
import type { FetchLike } from './types.js';

/**
 * An answer is read whole before the core sees it; beyond this the request fails (a hostile
 * server's endless body). Far above anything the core accepts, so the core still judges every
 * oversized answer it can hold (a 20 MB server name is its BAD_RESPONSE, not a network error).
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** An idle connection is closed after this; servers close theirs after 5 s or more (Node's default). */
const IDLE_TIMEOUT_MS = 4_000;
/** Idle connections kept per origin; a burst beyond that closes the surplus as it ends. */
const MAX_IDLE_PER_ORIGIN = 16;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;
/** Framing and connection management are this client's alone: a caller's would corrupt them. */
const OWN_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);

type Init = Parameters<FetchLike>[1];

interface Origin {
  key: string;
  secure: boolean;
  host: string;  // for connect: an IPv6 literal without its brackets
  port: number;
}

/** What `send` resolves with when a reused connection proved closed: resend on a fresh one. */
const STALE = Symbol('stale');
type Outcome = HttpResponse | typeof STALE;

interface Exchange {
  parser: Http1ResponseParser;
  resolve: (outcome: Outcome) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

const idle = new Map<string, Connection[]>();

/** One socket to an origin; listeners are attached once, the exchange in flight changes. */
class Connection {
  readonly socket: Socket;
  #exchange: Exchange | null = null;
  #served = 0;  // answers read on it: a request on a used connection may meet a server's idle close

  constructor(private readonly origin: Origin) {
    const { host, port } = origin;
    this.socket = origin.secure
      ? tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] })
      : netConnect({ host, port });
    this.socket.setNoDelay(true);
    // Socket timeouts rearm on every read and write, so this fires 4 s after the last answer;
    // during an exchange it is ignored (the caller's signal bounds a request, not this).
    this.socket.setTimeout(IDLE_TIMEOUT_MS);
    this.socket.on('timeout', () => {
      if (!this.#exchange) this.socket.destroy();
    });
    this.socket.on('data', (chunk: Buffer) => this.#data(chunk));
    this.socket.on('end', () => this.#end());
    this.socket.on('error', (err) => this.#fail(err));
    this.socket.on('close', () => this.#closed());
  }

  /** Sends one request and reads its answer; STALE when a reused connection was already closed. */
  send(request: string, signal: AbortSignal | undefined): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#settle();
        this.socket.destroy();
        reject(signal!.reason);
      };
      this.#exchange = { parser: new Http1ResponseParser(MAX_RESPONSE_BYTES), resolve, reject, signal, onAbort };
      signal?.addEventListener('abort', onAbort);
      this.socket.ref();
      this.socket.write(request);
    });
  }

  #data(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (!exchange) {
      this.socket.destroy();  // nothing was asked: a server that talks unasked is not reused
      return;
    }
    let answer: HttpResponse | null;
    try {
      answer = exchange.parser.feed(chunk);
    } catch (err) {
      this.#settle();
      this.socket.destroy();
      exchange.reject(err);
      return;
    }
    if (answer) this.#done(exchange, answer);
  }

  /** The server closed its side: a close-delimited answer ends here, any other is cut short. */
  #end(): void {
    const exchange = this.#exchange;
    if (!exchange) {
      this.socket.destroy();
      return;
    }
    if (this.#stale(exchange)) return;
    let answer: HttpResponse;
    try {
      answer = exchange.parser.end();
    } catch (err) {
      this.#settle();
      this.socket.destroy();
      exchange.reject(err);
      return;
    }
    this.#done(exchange, answer);
  }

  #fail(err: NodeJS.ErrnoException): void {
    const exchange = this.#exchange;
    if (!exchange) return;  // idle: 'close' follows and drops it from the pool
    if ((err.code === 'ECONNRESET' || err.code === 'EPIPE') && this.#stale(exchange)) return;
    this.#settle();
    exchange.reject(err);
  }

  #closed(): void {
    const pool = idle.get(this.origin.key);
    const at = pool ? pool.indexOf(this) : -1;
    if (at >= 0) pool!.splice(at, 1);
    const exchange = this.#exchange;
    if (exchange && !this.#stale(exchange)) {
      this.#settle();
      exchange.reject(new Error('the connection closed before the answer was complete'));
    }
  }

  /**
   * A used connection that failed before any byte of the answer came back: the server had closed
   * it while idle and never read the request, so it is sent again on a fresh one, as browsers do.
   * Never once answer bytes arrived (the request may have been acted on).
   */
  #stale(exchange: Exchange): boolean {
    if (this.#served === 0 || exchange.parser.received > 0) return false;
    this.#settle();
    this.socket.destroy();
    exchange.resolve(STALE);
    return true;
  }

  #done(exchange: Exchange, answer: HttpResponse): void {
    this.#settle();
    this.#served += 1;
    if (answer.keepAlive && !this.socket.destroyed) this.#park();
    else this.socket.destroy();
    exchange.resolve(answer);
  }

  /** Ends the exchange in flight: later socket events find none. */
  #settle(): void {
    const exchange = this.#exchange;
    this.#exchange = null;
    exchange?.signal?.removeEventListener('abort', exchange.onAbort);
  }

  #park(): void {
    let pool = idle.get(this.origin.key);
    if (!pool) idle.set(this.origin.key, (pool = []));
    if (pool.length >= MAX_IDLE_PER_ORIGIN) {
      this.socket.destroy();
      return;
    }
    this.socket.unref();  // an idle pool must not keep the process alive
    pool.push(this);
  }
}

/** The request's bytes; TypeError for a method or header that would break its framing. */
function requestText(url: URL, init: Init): string {
  const method = init.method;
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [name, raw] of Object.entries(init.headers ?? {})) {
    const value = String(raw);
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (UNSAFE_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`);  // header injection
    if (OWN_HEADERS.has(name.toLowerCase())) continue;
    head += `${name}: ${value}\r\n`;
  }
  const body = init.body ?? '';
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The most recently used idle connection (the least likely to be closed by now), or none. */
function takeIdle(key: string): Connection | undefined {
  const pool = idle.get(key);
  let connection;
  // A socket destroyed this tick (idle timeout, unasked bytes) leaves the pool on 'close', later.
  while ((connection = pool?.pop()) && connection.socket.destroyed);
  return connection;
}

function originOf(url: URL): Origin {
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { key: `${url.protocol}//${host}:${port}`, secure, host, port };
}

/**
 * A FetchLike over the client above. Only http: and https: URLs (the core validates every URL it
 * sends to). Rejects with an Error on any network or framing fault, with the signal's reason on an
 * abort. A request whose pooled connection the server had just closed (reset, broken pipe or a
 * close before any answer byte) is sent once more on a fresh connection; never a second time.
 */
export const nodeFetch: FetchLike = async (input, init) => {
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  const request = requestText(url, init);
  const signal = init.signal;
  if (signal?.aborted) throw signal.reason;
  const origin = originOf(url);
  const reused = takeIdle(origin.key);
  let answer = reused ? await reused.send(request, signal) : STALE;
  if (answer === STALE) {
    if (signal?.aborted) throw signal.reason;
    answer = await new Connection(origin).send(request, signal);
  }
  if (answer === STALE) throw new Error('unreachable: a fresh connection is never stale');
  const body = answer.body.toString('utf8');
  return { status: answer.status, text: async () => body };
};
