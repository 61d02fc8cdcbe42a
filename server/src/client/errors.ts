// Every way a call of the typed client can fail, as one error class with a closed `kind`: the
// server's documented error answers by status, and what happens around them (no answer, a timeout,
// an answer that is not what the API documents). Callers switch on `kind`, never on messages.

export type TapgateApiErrorKind =
  | 'bad_request' // 400
  | 'unauthorized' // 401: no or a wrong X-apikey
  | 'forbidden' // 403: the key lacks a permission (`required` lists the ones that would do)
  | 'not_found' // 404: unknown server, account, user, key, transaction or route
  | 'method_not_allowed' // 405
  | 'conflict' // 409
  | 'too_large' // 413: request body over 64 KiB
  | 'rate_limited' // 429 (`retryAfter` seconds)
  | 'server' // 5xx
  | 'network' // no answer: refused, reset, DNS
  | 'timeout' // no (complete) answer within the timeout
  | 'aborted' // the caller's signal aborted the call
  | 'bad_response'; // an answer the API does not document: undocumented status, non-JSON or mis-shaped body, cut off

const KIND_OF_STATUS: Record<number, TapgateApiErrorKind> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  409: 'conflict', 413: 'too_large', 429: 'rate_limited',
};

export function kindOfStatus(status: number): TapgateApiErrorKind {
  return KIND_OF_STATUS[status] ?? (status >= 500 && status <= 599 ? 'server' : 'bad_response');
}

export interface TapgateApiErrorInit {
  kind: TapgateApiErrorKind;
  operationId: string;
  message: string;
  /** The HTTP status; null when no answer came. */
  status?: number | null;
  /** The decoded error body, when there was one. */
  body?: unknown;
  retryAfter?: number | null;
  required?: string[] | null;
  cause?: unknown;
}

export class TapgateApiError extends Error {
  override readonly name = 'TapgateApiError';
  readonly kind: TapgateApiErrorKind;
  /** The operationId of openapi.json the call was. */
  readonly operationId: string;
  readonly status: number | null;
  /** The error body as the server sent it ({ error, ... }), or null. */
  readonly body: unknown;
  /** rate_limited: seconds to wait (body `retryAfter`, else the Retry-After header). */
  readonly retryAfter: number | null;
  /** forbidden: the permissions that would do. */
  readonly required: string[] | null;

  constructor(init: TapgateApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.operationId = init.operationId;
    this.status = init.status ?? null;
    this.body = init.body ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.required = init.required ?? null;
  }
}

/** Type guard, optionally for one kind: `if (isTapgateApiError(e, 'not_found')) …`. */
export function isTapgateApiError(value: unknown, kind?: TapgateApiErrorKind): value is TapgateApiError {
  return value instanceof TapgateApiError && (kind === undefined || value.kind === kind);
}
