// Operations endpoints: GET /healthz (the process answers), GET /readyz (it can serve: not shutting
// down and the database answers a query) and GET /openapi.json (the relying-party API's description).
import type * as http from 'node:http';
import { sendJson } from './http';
import { openApiDocument } from './openapi';

export const OPS_PATHS = ['/healthz', '/readyz', '/openapi.json'] as const;

export interface Readiness {
  /** Null when ready, else why not (answered as 503 `{ error: "not ready", reason }`). */
  notReadyReason(): Promise<string | null>;
}

export function isOpsPath(pathname: string): boolean {
  return (OPS_PATHS as readonly string[]).includes(pathname);
}

export async function handleOps(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, readiness: Readiness): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    sendJson(req, res, 405, { error: 'method not allowed' });
    return;
  }
  switch (pathname) {
    case '/healthz':
      sendJson(req, res, 200, { status: 'ok' });
      return;
    case '/readyz': {
      const reason = await readiness.notReadyReason();
      if (reason) sendJson(req, res, 503, { error: 'not ready', reason });
      else sendJson(req, res, 200, { status: 'ready' });
      return;
    }
    default:
      sendJson(req, res, 200, openApiDocument);
  }
}
