// The users of a virtual server (v2.2 /servers/{sid}/users/...): a user is the userid its live
// accounts share; listing groups the accounts by userid in SQL (db.ts queryUsers).
import { ACCOUNT_COLUMNS, type AccountRecord } from './db';
import { HttpError, sendJson } from './http';
import { accountJson, userJson } from './rp-json';
import { listQuery, MAX_TEXT_PARAM_CHARS, searchParam } from './rp-lists';
import { onServer, type RpCall, type RpRoute } from './rp-route';

const USER_SORT = ['userid', 'numberaccounts', 'lastlogin'];
const USER_FILTERS = { userid: 'text', numberaccounts: 'int' } as const;
const USER_ACCOUNT_FILTERS = { blocked: 'bool', description: 'nullable-text' } as const;

/** The user of the path and its live accounts; a user without any is unknown. */
async function accountsOfUser({ api, server, params }: RpCall): Promise<{ userid: string; accounts: AccountRecord[] }> {
  const { userid } = params;
  if (userid.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `userid is too long (at most ${MAX_TEXT_PARAM_CHARS} characters)`);
  const accounts = await api.cfg.store.accountsOfUser(server.id, userid);
  if (accounts.length === 0) throw new HttpError(404, 'unknown user (no accounts)');
  return { userid, accounts };
}

/** deleteUser / deleteUserAccounts: a user is its accounts, so this deletes them all (each device is told). */
async function deleteUser(call: RpCall): Promise<void> {
  const { accounts } = await accountsOfUser(call);
  await call.api.deleteAccounts(call.server, accounts);
  sendJson(call.req, call.res, 200, { result: true, deleted: accounts.length });
}

export const USER_ROUTES: readonly RpRoute[] = [
  {
    id: 'getUsers', method: 'GET', path: 'users', permission: onServer('users'),
    handle: async ({ api, req, res, server, q }) => {
      const page = await api.cfg.store.queryUsers(server.id, { ...listQuery(q, USER_SORT, USER_FILTERS), search: searchParam(q) });
      sendJson(req, res, 200, { users: page.rows.map(userJson), totalnumber: page.total });
    },
  },
  { id: 'deleteUser', method: 'DELETE', path: 'users/:userid', permission: onServer('users'), handle: deleteUser },
  {
    id: 'getUser', method: 'GET', path: 'users/:userid/accounts', permission: onServer('sessions', 'users'),
    handle: async (call) => {
      const { api, req, res, server, q } = call;
      const list = listQuery(q, Object.keys(ACCOUNT_COLUMNS), USER_ACCOUNT_FILTERS);
      const { userid } = await accountsOfUser(call);
      const page = await api.cfg.store.queryAccounts(server.id, { ...list, filters: [...list.filters, { column: 'userid', value: userid }] });
      sendJson(req, res, 200, { accounts: page.rows.map(accountJson), totalnumber: page.total });
    },
  },
  { id: 'deleteUserAccounts', method: 'DELETE', path: 'users/:userid/accounts', permission: onServer('users'), handle: deleteUser },
  {
    // provokeLoginOnUser: one push login on the nonce to every unblocked account of the user that
    // has a push token; the first to log in wins.
    id: 'provokeLoginOnUser', method: 'POST', path: 'users/:userid/provokelogin', permission: onServer('sessions', 'users'),
    handle: async (call) => {
      const { api, req, res, server, q } = call;
      const nonce = api.loginNonce(req);
      const { userid, accounts } = await accountsOfUser(call);
      const targets = accounts.filter((a) => !a.blocked && a.pushToken !== null);
      const matchcode = targets.length > 0 ? (await api.provoke(req, server, nonce, targets, q, userid)).matchcode : null;
      sendJson(req, res, 200, { result: true, pushed: targets.length, accountids: targets.map((a) => a.id), matchcode });
    },
  },
];
