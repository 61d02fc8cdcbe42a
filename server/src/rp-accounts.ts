// The accounts of a virtual server (v2.2 /servers/{sid}/accounts/...): list, read, block, relink to
// another user, delete, a note to the device, a push login to one account, and unblocking its PIN.
import { ACCOUNT_COLUMNS } from './db';
import { HttpError, parseJsonObject, readRawBody, sendJson } from './http';
import { accountJson } from './rp-json';
import { listQuery, parseBool, requiredText } from './rp-lists';
import { onServer, type RpRoute } from './rp-route';
import { parseStringMap } from './usercontext';

/** Sortable columns and filter attributes of the account lists. */
const ACCOUNT_SORT = Object.keys(ACCOUNT_COLUMNS);
const ACCOUNT_FILTERS = { userid: 'nullable-text', blocked: 'bool', description: 'nullable-text' } as const;

export const ACCOUNT_ROUTES: readonly RpRoute[] = [
  {
    id: 'listAccounts', method: 'GET', path: 'accounts', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, q }) => {
      const page = await api.cfg.store.queryAccounts(server.id, listQuery(q, ACCOUNT_SORT, ACCOUNT_FILTERS));
      sendJson(req, res, 200, { accounts: page.rows.map(accountJson), totalnumber: page.total });
    },
  },
  {
    id: 'getAccount', method: 'GET', path: 'accounts/:id', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, params }) => sendJson(req, res, 200, accountJson(await api.account(server, params.id))),
  },
  {
    // updateAccount: only blocking and unblocking. A blocked account cannot log in (error 48) and is
    // logged out of its sessions.
    id: 'updateAccount', method: 'PUT', path: 'accounts/:id', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, params, q }) => {
      const account = await api.account(server, params.id);
      const v = q.get('blocked');
      if (v === null || v === '') throw new HttpError(400, 'query "blocked" (true or false) is required');
      await api.cfg.store.setAccountBlocked(account.id, parseBool(v, 'query "blocked"'), api.cfg.now());
      sendJson(req, res, 200, accountJson((await api.cfg.store.getAccount(account.id))!));
    },
  },
  {
    id: 'deleteAccount', method: 'DELETE', path: 'accounts/:id', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, params }) => {
      await api.deleteAccounts(server, [await api.account(server, params.id)]);
      sendJson(req, res, 200, { result: true });
    },
  },
  {
    // Tapgate extension: a note to the device (shown by the app as a `message` event).
    id: 'sendMessage', method: 'POST', path: 'accounts/:id/messages', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, params }) => {
      const account = await api.account(server, params.id);
      const j = parseJsonObject(await readRawBody(req));
      if (typeof j.text !== 'string' || j.text.length > 2000) throw new HttpError(400, 'text must be a string of at most 2000 characters');
      const data = j.data === undefined ? undefined : parseStringMap(j.data, 'data');
      await api.cfg.messenger.send(server, account, { kind: 'message', text: j.text, ...(data ? { data } : {}) });
      sendJson(req, res, 200, { result: true });
    },
  },
  {
    // updateAccountUser: the account belongs to another user.
    id: 'updateAccountUser', method: 'PUT', path: 'accounts/:id/user', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, params, q }) => {
      const account = await api.account(server, params.id);
      await api.cfg.store.setAccountUser(account.id, requiredText(q, 'userid'));
      sendJson(req, res, 200, accountJson((await api.cfg.store.getAccount(account.id))!));
    },
  },
  {
    // Tapgate extension: unblockPin. A blocked PIN can never be entered again (pinVerdict answers
    // PIN_BLOCKED before checking it), so only the relying party can set the failure count back to 0.
    id: 'unblockPin', method: 'POST', path: 'accounts/:id/unblockpin', permission: onServer('accounts'),
    handle: async ({ api, req, res, server, params }) => {
      const account = await api.account(server, params.id);
      await api.cfg.store.unblockPin(account.id);
      sendJson(req, res, 200, accountJson((await api.cfg.store.getAccount(account.id))!));
    },
  },
  {
    // provokeLoginOnAccount: a push login on the nonce, to this account.
    id: 'provokeLoginOnAccount', method: 'POST', path: 'accounts/:id/provokelogin', permission: onServer('sessions', 'accounts'),
    handle: async ({ api, req, res, server, params, q }) => {
      const nonce = api.loginNonce(req);
      const account = await api.account(server, params.id);
      if (account.blocked) throw new HttpError(409, 'the account is blocked');
      const { matchcode } = await api.provoke(req, server, nonce, [account], q);
      sendJson(req, res, 200, { result: true, matchcode });
    },
  },
];
