// The relying-party sessions (v2.2 /servers/{sid}/sessions/...): LoginStatus, the status channel,
// QR codes, logout, push logins, registerUser, and the transactions signed on a session.
import { randomBytes, toB64u } from './crypto';
import { HttpError, parseJsonObject, readRawBody, sendJson } from './http';
import { currentRpSession } from './liveness';
import { bindingOfRpSession } from './login-binding';
import { DEFAULT_PAGE, intParam, MAX_PAGE, requiredText } from './rp-lists';
import { onServer, type RpRoute } from './rp-route';
import type { AccountRecord, Store, TransactionRecord } from './db';
import { rpSessionBinding, transactionSigningInput } from './transcript';

/** A transaction's text field: what the device shows, at most 200 characters. */
function textField(j: Record<string, unknown>, ...keys: string[]): string {
  const v = keys.map((k) => j[k]).find((x) => x !== undefined);
  if (typeof v !== 'string' || v.trim() === '' || v.length > 200) throw new HttpError(400, `${keys[0]} must be a non-empty string of at most 200 characters`);
  return v;
}

const STATUSES = ['PENDING', 'SIGNED', 'REJECTED'];

/**
 * A transaction as the relying party reads it. A relying party's carries its details; one the app
 * started (origin `app`, §5.12) has empty details, its text is the app's clientAdditionalData and
 * `secondfactor` the factor its approval required.
 */
async function transactionJson(store: Store, server: Uint8Array, tx: TransactionRecord): Promise<Record<string, unknown>> {
  const details = tx.origin === 'app'
    ? { amount: '', beneficiary: '', description: '' }
    : JSON.parse(tx.text) as { amount: string; beneficiary: string; description: string };
  const account: AccountRecord | undefined = tx.account !== null ? await store.getAccountOrTombstone(tx.account) : undefined;
  return {
    tid: tx.tid,
    tstatus: tx.status,
    ...details,
    benificiary: details.beneficiary,  // the v2.2 field name
    text: tx.text,
    rpsession: toB64u(rpSessionBinding(server, tx.nonce)),
    signeddata: toB64u(transactionSigningInput(tx.tid, rpSessionBinding(server, tx.nonce), tx.text)),
    signature: tx.signature ? toB64u(tx.signature) : null,
    accountid: tx.account,
    pk: account ? toB64u(account.pk) : null,
    origin: tx.origin ?? 'rp',
    clientadditionaldata: tx.origin === 'app' ? tx.text : null,
    secondfactor: tx.requiredFactor,
    creator: tx.creator,
    created: tx.created,
  };
}

export const SESSION_ROUTES: readonly RpRoute[] = [
  {
    id: 'getLoginStatus', method: 'GET', path: 'sessions', permission: onServer('sessions'),
    handle: async ({ api, req, res, server }) => sendJson(req, res, 200, await api.loginStatus(server, api.nonce(req))),
  },
  {
    id: 'statusChannel', method: 'GET', path: 'sessions/events', permission: onServer('sessions'),
    handle: async ({ api, req, res, server }) => {
      const nonce = api.nonce(req);
      if (!api.cfg.statusChannel) throw new HttpError(404, 'not found');
      api.cfg.statusChannel.open(req, res, server, nonce);
    },
  },
  {
    id: 'getEnrolQr', method: 'GET', path: 'sessions/qr/enrol', permission: onServer('sessions'),
    handle: ({ api, req, res, server, q }) => api.qr(req, res, server, 'enrol', q),
  },
  {
    id: 'getLoginQr', method: 'GET', path: 'sessions/qr/login', permission: onServer('sessions'),
    handle: ({ api, req, res, server, q }) => api.qr(req, res, server, 'login', q),
  },
  {
    id: 'logout', method: 'POST', path: 'sessions/logout', permission: onServer('sessions'),
    handle: async ({ api, req, res, server }) => {
      await api.logout(server, api.nonce(req));
      sendJson(req, res, 200, { result: true });
    },
  },
  {
    // provokeLogin: a push login on the nonce, to the account last logged in on it.
    id: 'provokeLogin', method: 'POST', path: 'sessions/provokelogin', permission: onServer('sessions'),
    handle: async ({ api, req, res, server, q }) => {
      const nonce = api.loginNonce(req);
      const account = await api.provokableAccount(server, nonce);
      if (!account) throw new HttpError(409, 'no earlier login on this session to provoke (canprovoke is false)');
      const { matchcode } = await api.provoke(req, server, nonce, [account], q);
      sendJson(req, res, 200, { result: true, matchcode });
    },
  },
  {
    // registerUser: the account logged in on the nonce's session belongs to `userid` from now on.
    id: 'registerUser', method: 'POST', path: 'sessions/registeruser', permission: onServer('users'),
    handle: async ({ api, req, res, server, q }) => {
      const { store, now } = api.cfg;
      const nonce = api.nonce(req);
      const userid = requiredText(q, 'userid');
      const rp = await currentRpSession(store, server, nonce, now());
      if (!rp?.loggedIn || rp.accountId == null) throw new HttpError(409, 'nobody is logged in on this session');
      await store.registerUser(server.id, nonce, rp.accountId, userid, now());
      sendJson(req, res, 200, { result: true });
    },
  },
  {
    // createTransaction: the device shows exactly these details, asks the second factor (unless
    // within pinTransTimeout) and signs them; the QR (qrdata) can be shown, and the account logged in on the nonce gets a push.
    id: 'createTransaction', method: 'POST', path: 'sessions/transactions', permission: onServer('sessions'),
    handle: async ({ api, req, res, server }) => {
      const { store, now } = api.cfg;
      const nonce = api.nonce(req);
      const j = parseJsonObject(await readRawBody(req));
      const text = JSON.stringify({ amount: textField(j, 'amount'), beneficiary: textField(j, 'beneficiary', 'benificiary'), description: textField(j, 'description') });
      // A transaction is approved by the session's user and nobody else: it needs one.
      const binding = bindingOfRpSession(await store.getRpSession(server.id, nonce));
      if (!binding) throw new HttpError(409, 'nobody has logged in on this session: a transaction needs its user');
      const tid = toB64u(randomBytes(12));
      await store.addTransaction({ tid, server: server.id, nonce, text, now: now() });
      const txQr = () => api.transactionQr(server, nonce, { userid: binding.userid, tid, boundAccount: binding.account });
      const payload = await txQr();
      // The push gets a QR session of its own: its message starts it (§6.1), and a started
      // session refuses /v1/start (§5.1), so the shown QR must stay unstarted to be scannable.
      const account = await api.provokableAccount(server, nonce);
      if (account) await api.pushLogin(server, [account], await txQr());
      sendJson(req, res, 200, { tid, qrdata: toB64u(payload), pushed: !!account });
    },
  },
  {
    id: 'getTransaction', method: 'GET', path: 'transactions/:tid', permission: onServer('sessions'),
    handle: async ({ api, req, res, server, params }) => {
      const { store } = api.cfg;
      const tx = await store.getTransaction(params.tid, server.id);
      if (!tx) throw new HttpError(404, 'unknown transaction');
      sendJson(req, res, 200, await transactionJson(store, server.id, tx));
    },
  },
  {
    // The transactions the app started (§5.12), newest first; `status` filters (SIGNED: the approved ones).
    id: 'listAppTransactions', method: 'GET', path: 'transactions', permission: onServer('sessions'),
    handle: async ({ api, req, res, server, q }) => {
      const { store } = api.cfg;
      const status = q.get('status');
      if (status !== null && !STATUSES.includes(status)) throw new HttpError(400, 'status must be PENDING, SIGNED or REJECTED');
      const limit = intParam(q, 'limit', DEFAULT_PAGE, 0, MAX_PAGE);
      const list = await store.listAppTransactions(server.id, { status, limit });
      const transactions = [];
      for (const tx of list) transactions.push(await transactionJson(store, server.id, tx));
      sendJson(req, res, 200, { transactions });
    },
  },
];
