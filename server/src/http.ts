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
  res.end(req.method === 'HEAD' ? undefined : Buffer.from(bytes));
}

/** Answers an HttpError (or anything else, as a 500 without details). */
export function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    sendJson(req, res, err.status, { error: err.message, ...err.extra });
    return;
  }
  process.stderr.write(`tapgate-server: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  sendJson(req, res, 500, { error: 'internal server error' });
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
