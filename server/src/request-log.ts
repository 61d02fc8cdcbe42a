// Structured access log: one JSON object per line on stdout per finished request. It never holds
// request bodies, headers, query strings (usercontext, userid) or path parts that are secrets:
// the relay path carries a push token and is logged as /relay/v1/{token}.
//
// Cheap per request: the line is written by hand (no object spread nor JSON.stringify of the
// whole record), and lines are gathered and written together once the current burst of I/O
// callbacks is done (setImmediate) or 64 KiB have gathered: stdout to a pipe or file is a
// synchronous write(2) per call in Node, which cost 7 % of the server's CPU at saturation. A line
// waits at most one event-loop turn; what is pending is written synchronously at exit.
import cluster from 'node:cluster';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';

export type LogLevel = 'info' | 'warn' | 'error';

const FLUSH_BYTES = 64 * 1024;
let pending = '';
let flushScheduled = false;
let exitHooked = false;

/**
 * A pipe takes a write(2) of at most PIPE_BUF (4096) bytes in one piece: the workers of a cluster
 * share stdout, and a longer write could interleave with another's and cut lines in two. A chunk
 * of 1365 UTF-16 units is at most 4095 bytes of UTF-8. A single process writes its batch at once.
 */
const CHUNK = cluster.isWorker ? 1365 : Infinity;

function flush(): void {
  flushScheduled = false;
  if (!pending) return;
  let text = pending;
  pending = '';
  while (text.length > CHUNK) {
    // Whole lines up to CHUNK; a longer line alone.
    const cut = text.lastIndexOf('\n', CHUNK - 1);
    const end = cut >= 0 ? cut + 1 : text.indexOf('\n') + 1 || text.length;
    process.stdout.write(text.slice(0, end));
    text = text.slice(end);
  }
  if (text) process.stdout.write(text);
}

function emit(line: string): void {
  pending += line;
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      if (!pending) return;
      try {
        fs.writeSync(1, pending);
      } catch {
        // stdout is gone: nothing left to tell
      }
      pending = '';
    });
  }
  if (pending.length >= FLUSH_BYTES) flush();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  emit(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
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
    // The same fields, in the same order, as logLine would write; the request id is plain by construction.
    const durationMs = Number((process.hrtime.bigint() - started) / 1000n) / 1000;
    emit(
      `{"time":"${new Date().toISOString()}","level":"${status >= 500 ? 'error' : 'info'}","msg":"${aborted ? 'request aborted' : 'request'}",` +
        `"method":${JSON.stringify(req.method)},"path":${JSON.stringify(loggedPath(req.url))},"status":${status},` +
        `"durationMs":${durationMs},"requestId":"${requestId}"}\n`,
    );
  };
  res.once('finish', () => done(false));
  res.once('close', () => done(!res.writableFinished));
}
