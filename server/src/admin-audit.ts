// The admin console's actions in the audit log: one listener on its one door (admin/actions.ts
// AdminActions.perform), so each has an entry as a REST call has (rp-audit.ts): a relying-party
// operation the console ran is `rp.<operationId>`, the console's own are `admin.<operation>`; every
// change is recorded, a read only when it was refused. The actor is the administrator's account.
import type { AdminAction, AdminActionOutcome, AdminActions } from './admin';
import { CONSOLE_OWN_OPERATIONS } from './admin/actions';
import { ANONYMOUS, type AuditAction, type AuditLog, type AuditOutcome } from './audit-log';
import { fromB64u } from './crypto';

export const CONSOLE_AUDIT_ACTIONS: readonly AuditAction[] = CONSOLE_OWN_OPERATIONS.map((op) => `admin.${op}` as const);

const OWN: ReadonlySet<string> = new Set(CONSOLE_OWN_OPERATIONS);

const outcomeOf = (status: number): AuditOutcome => (status < 400 ? 'ok' : status === 401 || status === 403 || status === 429 ? 'refused' : 'failed');

/** The account an action was about: a refused sign-in's, or the one its REST path names. */
function accountOf(action: AdminAction): number | null {
  const claimed = action.target?.accountid;
  if (typeof claimed === 'number') return claimed;
  const inPath = /\/accounts\/(\d{1,15})(?:\/|$)/.exec(action.path);
  return inPath ? Number(inPath[1]) : null;
}

export function auditConsoleActions(actions: AdminActions, audit: AuditLog): () => void {
  return actions.listen(async (action: AdminAction, outcome: AdminActionOutcome) => {
    const refused = outcomeOf(outcome.status) === 'refused';
    if (!action.changes && !refused) return;
    const userid = action.target?.userid;
    await audit.record({
      action: OWN.has(action.operation) ? `admin.${action.operation}` : `rp.${action.operation}`,
      outcome: outcomeOf(outcome.status),
      server: action.server === null ? null : fromB64u(action.server),
      account: accountOf(action),
      session: null,
      actor: action.actor ? { kind: 'console', id: String(action.actor.account) } : ANONYMOUS,
      detail: { status: outcome.status, method: action.method, ...(typeof userid === 'string' ? { userid } : {}) },
    }, { ip: action.ip, actor: ANONYMOUS });
  });
}
