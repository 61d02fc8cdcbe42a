// Minimal HTTP helpers on node:http: raw body reading with a size cap, JSON and byte answers.
import type * as http from 'node:http';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Keeps idle device connections open for 65 s instead of Node's 5 s. A device whose event loop
 * stalls (Argon2id on a slow phone, an app resumed from the background) longer than the server's
 * keep-alive would send its next request on a socket the server has closed, and lose the session
 * to a network error it never caused.
 */
export function keepDeviceConnectionsAlive(server: http.Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;  // must exceed keepAliveTimeout
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Reads the exact request body bytes; throws HttpError 413 beyond `limit`. */
export function readRawBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, 'request body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new HttpError(413, 'request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** Parses a JSON object body; HttpError 400 for invalid UTF-8, invalid JSON or a non-object. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new HttpError(400, 'request body is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function finish(req: http.IncomingMessage, res: http.ServerResponse, status: number): void {
  // A request we answered before reading its body (too large): close the connection afterwards
  // instead of reading an unbounded upload.
  if (!req.complete && status === 413) {
    res.setHeader('Connection', 'close');
    res.on('finish', () => req.socket.destroySoon?.());
  }
}

export function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown): void {
  sendText(req, res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

export function sendText(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  text: string,
  contentType: string,
): void {
  sendBytes(req, res, status, Buffer.from(text, 'utf8'), contentType);
}

export function sendBytes(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  bytes: Uint8Array,
  contentType: string,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  finish(req, res, status);
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(bytes.length));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Answers are data, never pages: nothing in them may run, load or be framed.
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(req.method === 'HEAD' ? undefined : Buffer.from(bytes));
}

/** Answers an HttpError (or anything else, as a 500 without details). */
export function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    if (err.status === 429 && typeof err.extra.retryAfter === 'number') res.setHeader('Retry-After', String(err.extra.retryAfter));
    sendJson(req, res, err.status, { error: err.message, ...err.extra });
    return;
  }
  process.stderr.write(`tapgate-server: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  sendJson(req, res, 500, { error: 'internal server error' });
}

/**
 * A path segment percent-decoded; HttpError 400 for malformed percent-encoding (`%zz`, a lone
 * `%ff`), which is the caller's mistake, not the server's.
 */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in the path');
  }
}

/** An origin as browsers send it in `Origin`: scheme://host[:port], lower case, no default port. */
export function normaliseOrigin(origin: string): string {
  const text = origin.trim().replace(/\/+$/, '');
  try {
    const url = new URL(text);
    // Special schemes serialise their origin; others (chrome-extension://id) have an opaque one.
    if (url.origin !== 'null') return url.origin;
  } catch {
    /* kept as given, lower case */
  }
  return text.toLowerCase();
}

/**
 * The device API takes only what a web page cannot send cross-site without a CORS preflight:
 * a JSON body (`Content-Type: application/json`, a UTF-8 charset at most; else 415), and, from a
 * browser, only the configured origins (an `Origin` header naming any other is 403). Requests
 * without `Origin` (native apps, Node) pass: the header is what browsers add, and a page cannot
 * remove it.
 */
export function checkDeviceRequest(req: http.IncomingMessage, allowedOrigins: ReadonlySet<string>): void {
  const origin = header(req, 'origin');
  if (origin !== undefined && !allowedOrigins.has(normaliseOrigin(origin))) {
    throw new HttpError(403, 'requests from this origin are not accepted');
  }
  const [type, ...params] = (header(req, 'content-type') ?? '').split(';').map((p) => p.trim().toLowerCase());
  const utf8Only = params.filter((p) => p !== '').every((p) => /^charset=(?:utf-8|"utf-8")$/.test(p));
  if (type !== 'application/json' || !utf8Only) {
    throw new HttpError(415, 'the request body must be Content-Type: application/json');
  }
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
