// The relying-party REST API (mirrors the v2.2 names) under /servers, authenticated by X-apikey.
import type * as http from 'node:http';
import QRCode from 'qrcode';
import { bytesEqual, fromB64u, hash, randomBytes, toB64u, utf8 } from './crypto';
import type { AccountRow, ServerRow, Store } from './db';
import { header, HttpError, parseJsonObject, readRawBody, sendBytes, sendError, sendJson } from './http';
import { buildEnrolQr, buildLoginQr, parseQr, SERVER_ID_BYTES, SESSION_ID_BYTES } from './qr';
import { startForPush } from './start-response';
import { transactionSigningInput, transcriptStart } from './transcript';
import { currentRpSession } from './liveness';
import type { Messenger } from './messages';
import type { RpStatusChannel } from './rp-status-channel';
import { parseStringMap, parseUserContext } from './usercontext';
import { pushKindOf } from './push-tokens';

export const QR_SESSION_LIFETIME_MS = 10 * 60 * 1000;
const MAX_NONCE_CHARS = 256;
const MAX_TEXT_PARAM_CHARS = 256;
const MAX_INT_PARAM = 2 ** 31 - 1;

export interface RpApiConfig {
  store: Store;
  messenger: Messenger;
  now: () => number;
  rootApiKey: string;
  deviceUrl: string;
  /** Serves GET sessions/events (server-sent events); without it that route answers 404. */
  statusChannel?: RpStatusChannel;
}

async function serverJson(store: Store, s: ServerRow) {
  return {
    serverid: toB64u(s.id),
    serverpk: toB64u(s.pk),
    serverName: s.name,
    pingTime: s.ping_time,
    pinTimeout: s.pin_timeout,
    pinAttemptLimit: s.pin_attempt_limit,
    accountCount: await store.countAccounts(s.id),
  };
}

function accountJson(a: AccountRow) {
  return {
    id: a.id,
    userid: a.userid,
    blocked: a.blocked !== 0,
    created: a.created,
    description: a.description,
    lastlogin: a.lastlogin,
    pinfailures: a.pin_failures,
    // Tapgate extension: how this account's device gets pushes (none: it only pulls).
    push: a.push_token === null ? null : pushKindOf(a.push_token),
  };
}

function optionalText(q: URLSearchParams, key: string): string | null {
  const v = q.get(key);
  if (v === null || v === '') return null;
  if (v.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `query "${key}" is too long`);
  return v;
}

function intParam(q: URLSearchParams, key: string, dflt: number, min: number, max: number): number {
  const v = q.get(key);
  if (v === null || v === '') return dflt;
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError(400, `query "${key}" must be an integer in ${min}..${max}`);
  }
  return Number(v);
}

function flagParam(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null || v === '' || v === 'false') return false;
  if (v !== 'true') throw new HttpError(400, `query "${key}" must be true or false`);
  return true;
}

/** `secondfactor=required`: this login must ask the second factor whatever the pinTimeout. */
function secondFactorParam(q: URLSearchParams): boolean {
  const v = q.get('secondfactor');
  if (v === null || v === '') return false;
  if (v !== 'required') throw new HttpError(400, 'query "secondfactor" must be "required"');
  return true;
}

/** limit / marker (offset) paging of the v2.2 list calls. */
function page<T>(rows: T[], q: URLSearchParams): T[] {
  const marker = intParam(q, 'marker', 0, 0, MAX_INT_PARAM);
  const limit = intParam(q, 'limit', MAX_INT_PARAM, 0, MAX_INT_PARAM);
  return rows.slice(marker, marker + limit);
}

function method(req: http.IncomingMessage, res: http.ServerResponse, ...allowed: string[]): string {
  const m = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
  if (!allowed.includes(m)) {
    res.setHeader('Allow', allowed.join(', '));
    throw new HttpError(405, 'method not allowed');
  }
  return m;
}

/** Every route under /servers/{sid}/ this API answers (`:id`, `:tid` are parameters); the OpenAPI
 * test checks each is documented (tests/js/openapi.test.js). `GET /servers` itself is the list. */
export const RP_SERVER_ROUTES = ['', 'sessions', 'sessions/events', 'sessions/qr/enrol', 'sessions/qr/login', 'sessions/logout',
  'sessions/provokelogin', 'sessions/transactions', 'transactions/:tid', 'accounts', 'accounts/:id', 'accounts/:id/messages'] as const;

export class RpApi {
  private readonly keyHash: Uint8Array;

  constructor(private readonly cfg: RpApiConfig) {
    this.keyHash = hash(utf8(cfg.rootApiKey));
  }

  /** Handles a path under /servers; `segments` are the decoded path parts after "servers". */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, segments: string[], query: URLSearchParams): Promise<void> {
    try {
      this.authenticate(req);
      await this.dispatch(req, res, segments, query);
    } catch (err) {
      sendError(req, res, err);
    }
  }

  private authenticate(req: http.IncomingMessage): void {
    const key = header(req, 'x-apikey');
    // Compare digests so the comparison time does not depend on the key.
    if (!key || !bytesEqual(hash(utf8(key)), this.keyHash)) throw new HttpError(401, 'missing or wrong X-apikey');
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, seg: string[], q: URLSearchParams) {
    const { store } = this.cfg;
    if (seg.length === 0) {
      method(req, res, 'GET');
      const all = await store.listServers();
      sendJson(req, res, 200, { servers: await Promise.all(page(all, q).map((s) => serverJson(store, s))), totalnumber: all.length });
      return;
    }
    // accounts/{accountid}/ is the one route with a parameter.
    const accountParam = seg[1] === 'accounts' && seg.length >= 3 ? seg[2] : null;
    const tidParam = seg[1] === 'transactions' && seg.length === 3 ? seg[2] : null;
    const route =
      accountParam !== null ? ['accounts', ':id', ...seg.slice(3)].join('/') : tidParam !== null ? 'transactions/:tid' : seg.slice(1).join('/');
    if (!(RP_SERVER_ROUTES as readonly string[]).includes(route)) throw new HttpError(404, 'not found');
    const server = await this.server(seg[0]);
    switch (route) {
      case '':
        if (method(req, res, 'GET', 'PUT') === 'PUT') await this.updateServer(req, server);
        sendJson(req, res, 200, await serverJson(store, await store.getServer(server.id) ?? server));
        return;
      case 'sessions':
        method(req, res, 'GET');
        sendJson(req, res, 200, await this.loginStatus(server, this.nonce(req)));
        return;
      case 'sessions/events': {
        method(req, res, 'GET');
        const nonce = this.nonce(req);
        if (!this.cfg.statusChannel) throw new HttpError(404, 'not found');
        this.cfg.statusChannel.open(req, res, server, nonce);
        return;
      }
      case 'sessions/qr/enrol':
      case 'sessions/qr/login':
        method(req, res, 'GET');
        await this.qr(req, res, server, route.endsWith('enrol') ? 'enrol' : 'login', q);
        return;
      case 'sessions/logout': {
        method(req, res, 'POST');
        const nonce = this.nonce(req);
        const rp = await currentRpSession(store, server, nonce, this.cfg.now());
        if (rp?.loggedin) {
          await store.logOut(server.id, nonce, this.cfg.now());
          // Tell the device at once, rather than at its next ping.
          const account = rp.accountid != null ? await store.getAccount(rp.accountid) : undefined;
          if (account && rp.login_qr) await this.cfg.messenger.send(server, account, { kind: 'logout', session: toB64u(rp.login_qr) });
        }
        sendJson(req, res, 200, { result: true });
        return;
      }
      case 'sessions/provokelogin': {
        method(req, res, 'POST');
        const nonce = this.nonce(req);
        const account = await this.provokableAccount(server, nonce);
        if (!account) throw new HttpError(409, 'no earlier login on this session to provoke (canprovoke is false)');
        const body = await readRawBody(req);
        const ctx = parseUserContext(body.length ? body.toString('utf8') : q.get('usercontext'));
        const payload = await this.newQrSession(server, nonce, 'login', { userid: null, name: null, ctx, requireSecondFactor: secondFactorParam(q) });
        await this.pushLogin(server, account, payload);
        sendJson(req, res, 200, { result: true });
        return;
      }
      case 'sessions/transactions': {
        // createTransaction: the device shows exactly these details, asks the second factor and
        // signs them; the QR (qrdata) can be shown, and the account logged in on the nonce gets a push.
        method(req, res, 'POST');
        const nonce = this.nonce(req);
        const j = parseJsonObject(await readRawBody(req));
        const field = (...keys: string[]): string => {
          const v = keys.map((k) => j[k]).find((x) => x !== undefined);
          if (typeof v !== 'string' || v.trim() === '' || v.length > 200) throw new HttpError(400, `${keys[0]} must be a non-empty string of at most 200 characters`);
          return v;
        };
        const text = JSON.stringify({ amount: field('amount'), beneficiary: field('beneficiary', 'benificiary'), description: field('description') });
        const tid = toB64u(randomBytes(12));
        await store.addTransaction({ tid, server: server.id, nonce, text, now: this.cfg.now() });
        const payload = await this.newQrSession(server, nonce, 'login', { userid: null, name: null, ctx: parseUserContext(null), requireSecondFactor: true, tid });
        const account = await this.provokableAccount(server, nonce);
        if (account) await this.pushLogin(server, account, payload);
        sendJson(req, res, 200, { tid, qrdata: toB64u(payload), pushed: !!account });
        return;
      }
      case 'transactions/:tid': {
        method(req, res, 'GET');
        const tx = await store.getTransaction(tidParam ?? '', server.id);
        if (!tx) throw new HttpError(404, 'unknown transaction');
        const details = JSON.parse(tx.text) as { amount: string; beneficiary: string; description: string };
        const account = tx.account !== null ? await store.getAccountOrTombstone(tx.account) : undefined;
        sendJson(req, res, 200, {
          tid: tx.tid,
          tstatus: tx.status,
          ...details,
          benificiary: details.beneficiary,  // the v2.2 field name
          text: tx.text,
          signeddata: toB64u(transactionSigningInput(tx.text)),
          signature: tx.signature ? toB64u(tx.signature) : null,
          accountid: tx.account,
          pk: account ? toB64u(account.pk) : null,
        });
        return;
      }
      case 'accounts/:id/messages': {
        // Tapgate extension: a note to the device (shown by the app as a `message` event).
        method(req, res, 'POST');
        const account = await this.account(server, accountParam);
        const j = parseJsonObject(await readRawBody(req));
        if (typeof j.text !== 'string' || j.text.length > 2000) throw new HttpError(400, 'text must be a string of at most 2000 characters');
        const data = j.data === undefined ? undefined : parseStringMap(j.data, 'data');
        await this.cfg.messenger.send(server, account, { kind: 'message', text: j.text, ...(data ? { data } : {}) });
        sendJson(req, res, 200, { result: true });
        return;
      }
      case 'accounts/:id': {
        const account = await this.account(server, accountParam);
        if (method(req, res, 'GET', 'DELETE') === 'GET') {
          sendJson(req, res, 200, accountJson(account));
          return;
        }
        // The deletion message is sealed to the account's key before the account becomes a tombstone.
        await store.transaction(async () => {
          await this.cfg.messenger.send(server, account, { kind: 'delete' });
          await store.deleteAccount(account.id, this.cfg.now());
        });
        sendJson(req, res, 200, { result: true });
        return;
      }
      case 'accounts': {
        method(req, res, 'GET');
        const all = await store.listAccounts(server.id);
        sendJson(req, res, 200, { accounts: page(all, q).map(accountJson), totalnumber: all.length });
        return;
      }
    }
  }

  private async server(sid: string): Promise<ServerRow> {
    const id = fromB64u(sid);
    const server = id && id.length === SERVER_ID_BYTES ? await this.cfg.store.getServer(id) : undefined;
    if (!server) throw new HttpError(404, 'unknown server');
    return server;
  }

  private nonce(req: http.IncomingMessage): string {
    const nonce = header(req, 'x-nonce');
    if (!nonce) throw new HttpError(400, 'missing X-nonce header');
    if (nonce.length > MAX_NONCE_CHARS) throw new HttpError(400, 'X-nonce too long');
    return nonce;
  }

  private async updateServer(req: http.IncomingMessage, server: ServerRow): Promise<void> {
    const j = parseJsonObject(await readRawBody(req));
    // Unknown fields are refused (a misspelt pinAttemptLimit must not pass silently). What GET
    // returns may come back (GET, edit, PUT), but its read-only fields must be unchanged.
    const writable = ['serverName', 'pingTime', 'pinTimeout', 'pinAttemptLimit'];
    const current: Record<string, unknown> = await serverJson(this.cfg.store, server);
    for (const key of Object.keys(j)) {
      if (writable.includes(key)) continue;
      const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
      if (!Object.hasOwn(current, key)) throw new HttpError(400, `unknown field "${shown}"`);
      if (j[key] !== current[key]) throw new HttpError(400, `field "${shown}" is read-only`);
    }
    const next = {
      name: server.name,
      pingTime: server.ping_time,
      pinTimeout: server.pin_timeout,
      pinAttemptLimit: server.pin_attempt_limit,
    };
    if (j.serverName !== undefined) {
      if (typeof j.serverName !== 'string' || j.serverName.trim() === '' || j.serverName.length > 100) {
        throw new HttpError(400, 'serverName must be a non-empty string of at most 100 characters');
      }
      next.name = j.serverName;
    }
    const int = (key: 'pingTime' | 'pinTimeout' | 'pinAttemptLimit', min: number): void => {
      const v = j[key];
      if (v === undefined) return;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_INT_PARAM) {
        throw new HttpError(400, `${key} must be an integer >= ${min}`);
      }
      next[key] = v;
    };
    int('pingTime', 0);
    int('pinTimeout', 0);
    int('pinAttemptLimit', 1);
    await this.cfg.store.updateServer(server.id, next);
  }

  /** The v2.2 LoginStatus of a nonce (also what the status channel sends first). */
  async loginStatus(server: ServerRow, nonce: string) {
    const { store } = this.cfg;
    const rp = await currentRpSession(store, server, nonce, this.cfg.now());
    const account = rp?.accountid != null ? await store.getAccount(rp.accountid) : undefined;
    const loggedin = !!rp?.loggedin;
    const canprovoke = !!await this.provokableAccount(server, nonce);
    const latest = rp?.latest_qr ? await store.getQrSession(rp.latest_qr) : undefined;
    return {
      loggedin,
      userid: rp?.userid ?? null,
      accountid: rp?.accountid ?? null,
      pk: account ? toB64u(account.pk) : null,
      canprovoke,
      loginqrdata: rp?.latest_login_qr ? toB64u(rp.latest_login_qr) : null,
      hsid: rp?.latest_qr ? toB64u(rp.latest_qr) : null,
      scanned: !!rp?.scanned,
      cancelled: !!rp?.cancelled,
      userinput: rp?.userinput ?? null,
      matchcode: latest?.match_code ?? null,
    };
  }

  private async account(server: ServerRow, param: string | null): Promise<AccountRow> {
    const account = /^\d{1,15}$/.test(param ?? '') ? await this.cfg.store.getAccount(Number(param)) : undefined;
    if (!account || !bytesEqual(account.server, server.id)) throw new HttpError(404, 'unknown account');
    return account;
  }

  /** The account a push login on this nonce would go to: the one last logged in on it. */
  private async provokableAccount(server: ServerRow, nonce: string): Promise<AccountRow | undefined> {
    const rp = await this.cfg.store.getRpSession(server.id, nonce);
    return rp?.accountid != null ? await this.cfg.store.getAccount(rp.accountid) : undefined;
  }

  /** A login message for the QR session, with its start response so the device goes straight to login. */
  private async pushLogin(server: ServerRow, account: AccountRow, payload: Uint8Array): Promise<void> {
    const qs = (await this.cfg.store.getQrSession(parseQr(payload)!.sessionId))!;
    const start = await startForPush(this.cfg.store, server, qs, this.cfg.now());
    await this.cfg.messenger.send(server, account, { kind: 'login', qr: toB64u(payload), start });
  }

  /** A fresh QR session for the nonce (it becomes the nonce's latest); returns its payload. */
  private async newQrSession(
    server: ServerRow,
    nonce: string,
    kind: 'login' | 'enrol',
    o: {
      userid: string | null;
      name: string | null;
      ctx: ReturnType<typeof parseUserContext>;
      requireSecondFactor?: boolean;
      matchCode?: string | null;
      tid?: string;
    },
  ): Promise<Uint8Array> {
    const id = randomBytes(SESSION_ID_BYTES);
    const payload =
      kind === 'enrol' ? buildEnrolQr(server.id, id, server.pk, this.cfg.deviceUrl) : buildLoginQr(server.id, id);
    const created = this.cfg.now();
    await this.cfg.store.insertQrSession({
      id,
      server: server.id,
      nonce,
      kind,
      userid: o.userid,
      name: o.name,
      usercontext: o.ctx.announceinfo || o.ctx.sessioninfo ? JSON.stringify(o.ctx) : null,
      payload,
      created,
      expires: created + QR_SESSION_LIFETIME_MS,
      transcript: transcriptStart(payload),
      requireSecondFactor: o.requireSecondFactor ?? false,
      matchCode: o.matchCode ?? null,
      tid: o.tid ?? null,
    });
    return payload;
  }

  private async qr(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    server: ServerRow,
    kind: 'login' | 'enrol',
    q: URLSearchParams,
  ): Promise<void> {
    const nonce = this.nonce(req);
    const img = q.get('img');
    if (img !== null && img !== '' && img !== 'png') throw new HttpError(400, 'query "img" must be "png"');
    const size = intParam(q, 's', 300, 32, 2048);
    const userid = kind === 'enrol' ? optionalText(q, 'userid') : null;
    const name = kind === 'enrol' ? optionalText(q, 'name') : null;
    const ctx = parseUserContext(q.get('usercontext'));
    const requireSecondFactor = secondFactorParam(q);
    const matchCode = kind === 'login' && flagParam(q, 'codematch') ? String((randomBytes(1)[0] % 90) + 10) : null;
    const payload = await this.newQrSession(server, nonce, kind, { userid, name, ctx, requireSecondFactor, matchCode });
    if (img === 'png') {
      const png = await QRCode.toBuffer([{ data: Buffer.from(payload), mode: 'byte' }], {
        errorCorrectionLevel: 'M',
        width: size,
        margin: 2,
      });
      sendBytes(req, res, 200, png, 'image/png');
    } else {
      sendBytes(req, res, 200, payload, 'application/octet-stream');
    }
  }
}
