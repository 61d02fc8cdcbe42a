// The audit log in the relying-party API: its entry for each call (auditedCall, around the API's
// one dispatcher in rp-api.ts) and reading it (GET /servers/{sid}/audit with the audit permission
// on that server, GET /audit with it globally), newest first, paged by `before`.
import type * as http from 'node:http';
import { fromB64u, toB64u } from './crypto';
import { ANONYMOUS, AUDIT_OUTCOMES, clientIp, type AuditAction, type AuditActor, type AuditContext, type AuditDetail, type AuditEntry, type AuditLog, type AuditOutcome } from './audit-log';
import { HttpError, sendError, sendJson } from './http';
import { SERVER_ID_BYTES } from './qr';
import type { Caller } from './rp-api-keys';
import { intParam, MAX_PAGE, MAX_TEXT_PARAM_CHARS } from './rp-lists';
import { globally, onServer, type RpRoute, type RpTopRoute } from './rp-route';

const DEFAULT_AUDIT_PAGE = 100;
/** Query parameters that say what a call did and are never secret; copied into its entry (usercontext, description, bodies never are). */
const RECORDED_QUERY = ['blocked', 'userid', 'acl', 'permissions', 'serverid', 'secondfactor', 'codematch'];

/** What the dispatcher learns of a call as it goes: its entry is made of it once the call is answered. */
export interface AuditedCall {
  route: { id: string } | null;
  server: Uint8Array | null;
  params: Record<string, string>;
  /** What the handler adds (the id of a key it made). */
  detail: AuditDetail;
}

export function actorOf(caller: Caller): AuditActor {
  return caller.keyId === null ? { kind: 'admin', id: null } : { kind: 'apikey', id: caller.keyId };
}

const outcomeOf = (status: number): AuditOutcome => (status < 400 ? 'ok' : status === 401 || status === 403 || status === 429 ? 'refused' : 'failed');

/**
 * Runs `dispatch` (finding the route, checking the key, running the handler) and answers its
 * errors; then records the call: every call but a read (GET), and every call refused 401 or 403.
 * One place for every route, so a new route cannot go unrecorded.
 */
export async function auditedCall(
  audit: AuditLog, req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams,
  dispatch: (call: AuditedCall, context: AuditContext) => Promise<void>,
): Promise<void> {
  const context: AuditContext = { ip: clientIp(req), actor: ANONYMOUS };
  const call: AuditedCall = { route: null, server: null, params: {}, detail: {} };
  let code: unknown;
  try {
    await audit.within(context, () => dispatch(call, context));
  } catch (err) {
    code = err instanceof HttpError ? err.extra.code : undefined;
    sendError(req, res, err);
  }
  const status = res.statusCode;
  const read = req.method === 'GET' || req.method === 'HEAD';
  const action: AuditAction | null = call.route ? `rp.${call.route.id}` : status === 401 ? 'unauthenticated' : null;
  if (action === null || (read && status !== 401 && status !== 403)) return;
  const detail: AuditDetail = { status };
  if (typeof code === 'string') detail.code = code;
  for (const [k, v] of Object.entries(call.params)) if (k !== 'id') detail[k] = v.slice(0, MAX_TEXT_PARAM_CHARS);
  for (const k of RECORDED_QUERY) {
    const v = q.get(k);
    if (v !== null && v !== '' && call.route) detail[k] = v.slice(0, MAX_TEXT_PARAM_CHARS);
  }
  const account = /^\d{1,15}$/.test(call.params.id ?? '') ? Number(call.params.id) : null;
  await audit.record({ action, outcome: outcomeOf(status), server: call.server, account, detail: { ...detail, ...call.detail } }, context);
}

function entryJson(e: AuditEntry) {
  return {
    id: e.id,
    time: e.time,
    server: e.server ? toB64u(e.server) : null,
    actor: e.actor,
    action: e.action,
    account: e.account,
    session: e.session ? toB64u(e.session) : null,
    outcome: e.outcome,
    ip: e.ip,
    detail: e.detail,
  };
}

/** A time (ms since the epoch) or null. */
function timeParam(q: URLSearchParams, key: string): number | null {
  const v = q.get(key);
  if (v === null || v === '') return null;
  if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, `query "${key}" must be a time in ms since the epoch`);
  return Number(v);
}

/** The entries of `server` (undefined: all) the query asks for. */
async function answer(audit: AuditLog, req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams, server: Uint8Array | undefined): Promise<void> {
  const actions = q.getAll('action').flatMap((v) => v.split(',')).filter((a) => a !== '');
  for (const a of actions) if (!audit.actions.includes(a)) throw new HttpError(400, `unknown action ${JSON.stringify(a.slice(0, 60))}`);
  const outcome = q.get('outcome') || null;
  if (outcome !== null && !(AUDIT_OUTCOMES as readonly string[]).includes(outcome)) throw new HttpError(400, `query "outcome" must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  const account = q.get('account') ? intParam(q, 'account', 0, 1, 2 ** 31 - 1) : null;
  const before = q.get('before') ? intParam(q, 'before', 0, 1, 2 ** 31 - 1) : null;
  const page = await audit.page({
    server, actions, account, outcome: outcome as AuditOutcome | null,
    since: timeParam(q, 'since'), until: timeParam(q, 'until'), before,
    limit: intParam(q, 'limit', DEFAULT_AUDIT_PAGE, 1, MAX_PAGE),
  });
  sendJson(req, res, 200, { entries: page.entries.map(entryJson), next: page.next });
}

export const AUDIT_ROUTES: readonly RpRoute[] = [
  {
    id: 'listAudit', method: 'GET', path: 'audit', permission: onServer('audit'),
    handle: ({ api, req, res, q, server }) => answer(api.cfg.audit, req, res, q, server.id),
  },
];

export const AUDIT_TOP_ROUTES: readonly RpTopRoute[] = [
  {
    // Every server's entries and the global ones (API keys, unauthenticated calls, rate limits); serverid narrows to one server.
    id: 'listGlobalAudit', method: 'GET', path: 'audit', permission: globally('audit'),
    handle: ({ api, req, res, q }) => {
      const sid = q.get('serverid');
      let server: Uint8Array | undefined;
      if (sid !== null && sid !== '') {
        const id = fromB64u(sid);
        if (!id || id.length !== SERVER_ID_BYTES) throw new HttpError(400, 'query "serverid" must be a server id');
        server = id;
      }
      return answer(api.cfg.audit, req, res, q, server);
    },
  },
];
