// The one door every administrator action of the console goes through (AdminActions.perform): the
// relying-party operations it proxies (admin/api.ts), the console's own routes, and signing in and
// out. Listeners hear of each action once it ran, with its outcome: the place for an audit log.
import { HttpError } from '../http';

/** The console's own operations (beside the relying-party ones it runs): their audit actions are `admin.<operation>`. */
export const CONSOLE_OWN_OPERATIONS = ['adminSignIn', 'adminSignInRefused', 'adminSignOut', 'listPushFailures', 'listLiveSessions'] as const;

/** Who acts: an account holding the admin role on the console's server. */
export interface AdminActor {
  /** base64url id of the console's virtual server. */
  server: string;
  account: number;
  userid: string | null;
}

export interface AdminAction {
  /** Null for a sign-in refused before anyone was known to be an administrator: its account is in `target`. */
  actor: AdminActor | null;
  /** The operationId of the relying-party route, or a console operation (adminSignIn, adminSignOut, adminSignInRefused, …). */
  operation: string;
  method: string;
  /** The path the operation acted on, as the REST API names it (/servers/{sid}/accounts/7/unblockpin), without the query. */
  path: string;
  /** base64url id of the virtual server acted on, if any. */
  server: string | null;
  /** False for reads (GET): listeners may keep only the changes. */
  changes: boolean;
  /** The client address as the server sees it (audit-log.ts clientIp). */
  ip: string | null;
  /** What else identifies the target (the account of a refused sign-in). */
  target?: Record<string, string | number | null>;
}

export interface AdminActionOutcome {
  /** The HTTP status answered (an error's status when it threw). */
  status: number;
  ok: boolean;
}

export type AdminActionListener = (action: AdminAction, outcome: AdminActionOutcome) => void | Promise<void>;

export class AdminActions {
  readonly #listeners = new Set<AdminActionListener>();

  /** Calls `listener` after every action; returns what stops that. A listener that throws is reported, not fatal. */
  listen(listener: AdminActionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `work` as `action`; `status()` reads the status it answered. The listeners run after it,
   * in order, and are awaited: an audit write that fails is an error on stderr, the action stands.
   */
  async perform<T>(action: AdminAction, work: () => Promise<T>, status: () => number): Promise<T> {
    let outcome: AdminActionOutcome;
    try {
      const result = await work();
      const s = status();
      outcome = { status: s, ok: s < 400 };
      return result;
    } catch (err) {
      outcome = { status: err instanceof HttpError ? err.status : 500, ok: false };
      throw err;
    } finally {
      for (const listener of this.#listeners) {
        try {
          await listener(action, outcome!);
        } catch (err) {
          process.stderr.write(`tapgate-server: admin action listener failed: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
    }
  }
}
