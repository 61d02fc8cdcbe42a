// Structured access log: one JSON object per line on stdout per finished request. It never holds
// request bodies, headers, query strings (usercontext, userid) or path parts that are secrets:
// the relay path carries a push token and is logged as /relay/v1/{token}.
import * as crypto from 'node:crypto';
import type * as http from 'node:http';

export type LogLevel = 'info' | 'warn' | 'error';

export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** The path as logged: no query, and secrets in the path replaced by their parameter name. */
export function loggedPath(url: string | undefined): string {
  const pathname = (url ?? '/').split('?')[0].slice(0, 200);
  if (pathname.startsWith('/relay/v1/')) return '/relay/v1/{token}';
  return pathname;
}

/** A caller's X-Request-Id when it is short and plain, else a fresh one; echoed in the response. */
function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given)) return given;
  return crypto.randomBytes(8).toString('hex');
}

/** Logs the request once its response finished (or the connection closed before that). */
export function logRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  const started = process.hrtime.bigint();
  const requestId = requestIdOf(req);
  res.setHeader('X-Request-Id', requestId);
  let logged = false;
  const done = (aborted: boolean) => {
    if (logged) return;
    logged = true;
    const status = res.statusCode;
    logLine(status >= 500 ? 'error' : 'info', aborted ? 'request aborted' : 'request', {
      method: req.method,
      path: loggedPath(req.url),
      status,
      durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      requestId,
    });
  };
  res.once('finish', () => done(false));
  res.once('close', () => done(!res.writableFinished));
}
