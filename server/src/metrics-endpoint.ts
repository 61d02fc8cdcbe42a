// GET /metrics: the Prometheus text format of the server's metrics (metrics.ts), to the bearer of
// the configured token only. Without a token the path is not the server's (nothing is counted and
// the host's handler gets it): metrics tell who logs in how often, so they are never public.
import type * as http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { hash, utf8 } from './crypto';
import { sendJson, sendText } from './http';
import type { ServerMetrics } from './metrics';

export const METRICS_PATH = '/metrics';
/** Shorter tokens are refused at start: the endpoint is not rate-limited, so the token must not be guessable. */
export const MIN_METRICS_TOKEN_CHARS = 16;

/** Throws if `token` is not usable as the metrics token. */
export function checkMetricsToken(token: string): void {
  if (token.length < MIN_METRICS_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new Error(`the metrics token must be at least ${MIN_METRICS_TOKEN_CHARS} printable ASCII characters without spaces`);
  }
}

/** True if the request carries `Authorization: Bearer <token>` (compared in constant time, over digests). */
function authorised(req: http.IncomingMessage, tokenDigest: Uint8Array): boolean {
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
  return !!m && timingSafeEqual(hash(utf8(m[1])), tokenDigest);
}

export async function handleMetrics(req: http.IncomingMessage, res: http.ServerResponse, metrics: ServerMetrics, tokenDigest: Uint8Array): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendJson(req, res, 405, { error: 'method not allowed' });
    return;
  }
  if (!authorised(req, tokenDigest)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="tapgate-metrics"');
    sendJson(req, res, 401, { error: 'a valid metrics bearer token is required' });
    return;
  }
  sendText(req, res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
}
