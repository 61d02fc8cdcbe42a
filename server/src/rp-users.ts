// The users of a virtual server (v2.2 /servers/{sid}/users/...): a user is the userid its live
// accounts share; listing groups the accounts by userid in SQL (db.ts queryUsers).
import type * as http from 'node:http';
import { ACCOUNT_COLUMNS, type ServerRow } from './db';
import { HttpError, sendJson } from './http';
import type { Permission } from './rp-api-keys';
import { listQuery, MAX_TEXT_PARAM_CHARS, searchParam } from './rp-lists';
import { accountJson, type RpApi } from './rp-api';

const USER_SORT = ['userid', 'numberaccounts', 'lastlogin'];
const USER_FILTERS = { userid: 'text', numberaccounts: 'int' } as const;
const USER_ACCOUNT_FILTERS = { blocked: 'bool', description: 'nullable-text' } as const;

function allow(req: http.IncomingMessage, res: http.ServerResponse, ...allowed: string[]): string {
  const m = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
  if (!allowed.includes(m)) {
    res.setHeader('Allow', allowed.join(', '));
    throw new HttpError(405, 'method not allowed');
  }
  return m;
}

export async function handleUsers(
  api: RpApi,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  server: ServerRow,
  route: string,
  params: Record<string, string>,
  q: URLSearchParams,
  need: (...acls: Permission[]) => void,
): Promise<void> {
  const { store } = api.cfg;
  if (route === 'users') {
    need('users');
    allow(req, res, 'GET');
    const list = listQuery(q, USER_SORT, USER_FILTERS);
    const page = await store.queryUsers(server.id, { ...list, search: searchParam(q) });
    sendJson(req, res, 200, { users: page.rows, totalnumber: page.total });
    return;
  }
  const userid = params.userid;
  if (userid.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `userid is too long (at most ${MAX_TEXT_PARAM_CHARS} characters)`);
  const accountsOf = async () => {
    const accounts = await store.accountsOfUser(server.id, userid);
    if (accounts.length === 0) throw new HttpError(404, 'unknown user (no accounts)');
    return accounts;
  };
  switch (route) {
    case 'users/:userid': {
      // deleteUser: a user is its accounts, so this deletes them all (each device is told).
      need('users');
      allow(req, res, 'DELETE');
      const accounts = await accountsOf();
      await api.deleteAccounts(server, accounts);
      sendJson(req, res, 200, { result: true, deleted: accounts.length });
      return;
    }
    case 'users/:userid/accounts': {
      if (allow(req, res, 'GET', 'DELETE') === 'DELETE') {
        need('users');
        const accounts = await accountsOf();
        await api.deleteAccounts(server, accounts);
        sendJson(req, res, 200, { result: true, deleted: accounts.length });
        return;
      }
      need('sessions', 'users');
      const list = listQuery(q, Object.keys(ACCOUNT_COLUMNS), USER_ACCOUNT_FILTERS);
      await accountsOf();
      const page = await store.queryAccounts(server.id, { ...list, filters: [...list.filters, { column: 'userid', value: userid }] });
      sendJson(req, res, 200, { accounts: page.rows.map(accountJson), totalnumber: page.total });
      return;
    }
    case 'users/:userid/provokelogin': {
      // provokeLoginOnUser: one push login on the nonce to every unblocked account of the user
      // that has a push token; the first to log in wins.
      need('sessions', 'users');
      allow(req, res, 'POST');
      const nonce = api.loginNonce(req);
      const targets = (await accountsOf()).filter((a) => !Number(a.blocked) && a.push_token !== null);
      if (targets.length > 0) await api.provoke(req, server, nonce, targets, q, userid);
      sendJson(req, res, 200, { result: true, pushed: targets.length, accountids: targets.map((a) => Number(a.id)) });
      return;
    }
    default:
      throw new HttpError(404, 'not found');
  }
}
