// One call of the relying-party API over `fetch`: URL, headers, timeout and the caller's signal,
// and the answer turned into a checked value or a TapgateApiError. Nothing here is Node-only, so
// the client runs in browsers and edge runtimes too.
import { kindOfStatus, TapgateApiError, type TapgateApiErrorKind } from './errors';
import { ShapeMismatch, type Shape } from './shapes';
import type { ListQuery } from './types';

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** What every call shares: the client's settings. */
export interface ClientSettings {
  baseUrl: string;
  apiKey: string;
  fetch: FetchFunction;
  timeoutMs: number;
}

interface RequestBase {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below baseUrl, its parameters already encoded (see `path`). */
  path: string;
  query?: URLSearchParams;
  nonce?: string;
  body?: { json: unknown } | { text: string };
  /** The operations endpoints (/healthz, /readyz, /openapi.json) take no key; it is not sent there. */
  anonymous?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The path with each parameter percent-encoded: `path\`/servers/${sid}/accounts/${id}\``. */
export function path(strings: TemplateStringsArray, ...params: Array<string | number>): string {
  return strings.reduce((out, s, i) => out + s + (i < params.length ? encodeURIComponent(String(params[i])) : ''), '');
}

/** Query parameters from a record: undefined is left out, booleans and numbers as text. */
export function query(values: Record<string, string | number | boolean | undefined>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) q.set(key, String(value));
  return q;
}

/** limit, marker, sort (comma-separated) and filter (one `attr=value` parameter each). */
export function listQuery<C extends string, F extends string>(list: ListQuery<C, F> = {}): URLSearchParams {
  const q = query({ limit: list.limit, marker: list.marker });
  if (list.sort !== undefined) q.set('sort', (Array.isArray(list.sort) ? list.sort : [list.sort]).join(','));
  for (const [attr, value] of Object.entries(list.filter ?? {})) if (value !== undefined) q.append('filter', `${attr}=${String(value)}`);
  return q;
}

/** A request in flight: the fetch signal aborts on the caller's signal and on the timeout. */
class Attempt {
  readonly controller = new AbortController();
  timedOut = false;
  #timer: ReturnType<typeof setTimeout>;
  #unlink: () => void;

  constructor(readonly operationId: string, timeoutMs: number, private readonly callerSignal: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeoutMs);
    const onAbort = () => this.controller.abort();
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    if (callerSignal?.aborted) this.controller.abort();
    this.#unlink = () => callerSignal?.removeEventListener('abort', onAbort);
  }

  /** The answer is complete: no timeout from here on. `keepLinked`: the caller's signal still ends a stream. */
  settle(keepLinked = false): void {
    clearTimeout(this.#timer);
    if (!keepLinked) this.#unlink();
  }

  /** Why the request failed when `cause` was thrown while `doing` it. */
  failure(cause: unknown, kind: TapgateApiErrorKind, doing: string, status: number | null = null): TapgateApiError {
    const { operationId } = this;
    if (this.timedOut) return new TapgateApiError({ kind: 'timeout', operationId, status, message: `${operationId}: no answer within the timeout`, cause });
    if (this.callerSignal?.aborted) return new TapgateApiError({ kind: 'aborted', operationId, status, message: `${operationId}: aborted`, cause });
    return new TapgateApiError({ kind, operationId, status, message: `${operationId}: ${doing}: ${describeCause(cause)}`, cause });
  }
}

/**
 * fetch's TypeError says "fetch failed"; the reason (ECONNREFUSED, …) is its cause. Duck-typed:
 * the error may come from another realm (a test runner's sandbox), where instanceof Error fails.
 */
function describeCause(cause: unknown): string {
  const fields = (v: unknown) => (typeof v === 'object' && v !== null ? (v as { code?: unknown; message?: unknown; cause?: unknown }) : null);
  const outer = fields(cause);
  const inner = fields(outer?.cause) ?? outer;
  if (typeof inner?.code === 'string') return inner.code;
  if (typeof inner?.message === 'string') return inner.message;
  return String(cause);
}

/** Sends the request; resolves with the response once its status is 2xx, else rejects with the server's error. */
async function send(settings: ClientSettings, req: RequestBase, attempt: Attempt): Promise<Response> {
  const url = `${settings.baseUrl}${req.path}${req.query && [...req.query.keys()].length ? `?${req.query}` : ''}`;
  const headers: Record<string, string> = { ...req.headers };
  if (!req.anonymous) headers['X-apikey'] = settings.apiKey;
  if (req.nonce !== undefined) headers['X-nonce'] = req.nonce;
  let body: string | undefined;
  if (req.body && 'json' in req.body) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(req.body.json);
  } else if (req.body) {
    headers['Content-Type'] = 'text/plain; charset=utf-8';
    body = req.body.text;
  }
  let response: Response;
  try {
    response = await settings.fetch(url, { method: req.method, headers, body, signal: attempt.controller.signal });
  } catch (cause) {
    throw attempt.failure(cause, 'network', `no answer from ${new URL(url).origin}`);
  }
  if (response.ok) return response;
  throw await errorOf(response, attempt);
}

/** The TapgateApiError of a non-2xx answer, with the server's `{ error, ... }` if it sent one. */
async function errorOf(response: Response, attempt: Attempt): Promise<TapgateApiError> {
  const { status } = response;
  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    return attempt.failure(cause, kindOfStatus(status), `HTTP ${status}, its body cut off`, status);
  }
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // a proxy's HTML page, say: the status alone tells the kind
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const headerRetry = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  const retryAfter = Number.isInteger(fields.retryAfter) ? (fields.retryAfter as number) : Number.isFinite(headerRetry) ? headerRetry : null;
  const required = Array.isArray(fields.required) ? fields.required.filter((r): r is string => typeof r === 'string') : null;
  return new TapgateApiError({
    kind: kindOfStatus(status),
    operationId: attempt.operationId,
    status,
    message: typeof fields.error === 'string' ? fields.error : `HTTP ${status}`,
    body: body ?? (text === '' ? null : text),
    retryAfter: status === 429 ? retryAfter : null,
    required: status === 403 ? required : null,
  });
}

function badResponse(operationId: string, status: number, message: string, cause?: unknown): TapgateApiError {
  return new TapgateApiError({ kind: 'bad_response', operationId, status, message: `${operationId}: ${message}`, cause });
}

/** A JSON operation: the body checked against `shape`. */
export async function requestJson<T>(settings: ClientSettings, req: RequestBase, shape: Shape<T>): Promise<T> {
  const attempt = new Attempt(req.operationId, req.timeoutMs ?? settings.timeoutMs, req.signal);
  try {
    const response = await send(settings, { ...req, headers: { Accept: 'application/json', ...req.headers } }, attempt);
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw attempt.failure(cause, 'bad_response', 'the answer was cut off', response.status);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw badResponse(req.operationId, response.status, `the answer is not JSON (${JSON.stringify(text.slice(0, 40))})`, cause);
    }
    try {
      return shape.parse(value, 'answer');
    } catch (cause) {
      if (!(cause instanceof ShapeMismatch)) throw cause;
      throw badResponse(req.operationId, response.status, `the answer does not match the API: ${cause.message}`, cause);
    }
  } finally {
    attempt.settle();
  }
}

/** A binary operation (QR payload or PNG): the bytes, if the answer is of one of `types`. */
export async function requestBytes(settings: ClientSettings, req: RequestBase, types: string[]): Promise<Uint8Array> {
  const attempt = new Attempt(req.operationId, req.timeoutMs ?? settings.timeoutMs, req.signal);
  try {
    const response = await send(settings, { ...req, headers: { Accept: types.join(', '), ...req.headers } }, attempt);
    const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!types.includes(type)) throw badResponse(req.operationId, response.status, `expected ${types.join(' or ')}, got ${JSON.stringify(type)}`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (cause) {
      throw attempt.failure(cause, 'bad_response', 'the answer was cut off', response.status);
    }
    if (bytes.length === 0) throw badResponse(req.operationId, response.status, 'the answer is empty');
    return bytes;
  } finally {
    attempt.settle();
  }
}

/**
 * A streaming operation (the status channel): resolves with the 2xx response once its headers are
 * in. The timeout covers only that; `req.signal` keeps governing the body.
 */
export async function requestStream(settings: ClientSettings, req: RequestBase, type: string): Promise<Response> {
  const attempt = new Attempt(req.operationId, req.timeoutMs ?? settings.timeoutMs, req.signal);
  let streaming = false;
  try {
    const response = await send(settings, { ...req, headers: { Accept: type, ...req.headers } }, attempt);
    const got = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (got !== type || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw badResponse(req.operationId, response.status, `expected ${type}, got ${JSON.stringify(got)}`);
    }
    streaming = true;
    return response;
  } finally {
    attempt.settle(streaming);
  }
}
