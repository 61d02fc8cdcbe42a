// Signing administrators in with Tapgate itself: the console is a relying party of its own server.
// The sign-in page gets a pending-login cookie whose secret derives the nonce of a relying-party
// session on the console's server; the page shows that session's login QR and follows it over the
// status channel. Once an account logs in on it, finish() checks that the account holds the admin
// role: then a session cookie is set (its digest stored, with idle and absolute expiry), else the
// login is ended on the device too and refused. Every request of a signed-in console re-checks the
// session, the account (live, unblocked, still admin) and that its Tapgate login still stands, so
// blocking the account, revoking the role or logging out on the phone ends the console session.
import type * as http from 'node:http';
import QRCode from 'qrcode';
import { randomBytes, toB64u } from '../crypto';
import type { ServerRecord, Store } from '../db';
import { HttpError, sendBytes, sendJson } from '../http';
import { clientIp } from '../audit-log';
import { currentRpSession } from '../liveness';
import { qrSessionStatus } from '../qr-session-status';
import type { RpApi } from '../rp-api';
import type { RpStatusChannel } from '../rp-status-channel';
import type { AdminActions, AdminActor } from './actions';
import { addCookie, cookie, COOKIE_BYTES, cookieSecret, LOGIN_COOKIE, secretDigest, SESSION_COOKIE } from './cookies';
import type { AdminStore } from './store';

export interface AdminAuthOptions {
  /** Admin sign-ins ask the second factor whatever the server's pinTimeout (default true). */
  requireSecondFactor: boolean;
  /** A session unused this long ends (default 30 minutes). */
  idleMs: number;
  /** A session ends this long after sign-in whatever its use (default 8 hours). */
  absoluteMs: number;
}

/** How long a pending sign-in (its QR) lasts: a QR session's lifetime. */
const LOGIN_WINDOW_MS = 10 * 60 * 1000;
/** last_seen is written at most this often: not one write per request. */
const TOUCH_EVERY_MS = 30_000;

export interface AdminAuthDeps {
  store: Store;
  roles: AdminStore;
  rp: RpApi;
  statusChannel: RpStatusChannel;
  actions: AdminActions;
  now: () => number;
  /** The console's virtual server. */
  server: () => Promise<ServerRecord>;
  secure: boolean;
}

/** The relying-party session nonce of a pending sign-in: derived from its cookie, so no row links the two. */
export function loginNonce(secret: Uint8Array): string {
  return `admin.${toB64u(secretDigest('login', secret))}`;
}

export class AdminAuth {
  constructor(private readonly d: AdminAuthDeps, private readonly o: AdminAuthOptions) {}

  /** Starts a sign-in: a fresh pending-login cookie (a new QR session is made when the QR is fetched). */
  startLogin(req: http.IncomingMessage, res: http.ServerResponse): void {
    const secret = randomBytes(COOKIE_BYTES);
    addCookie(res, cookie(LOGIN_COOKIE, toB64u(secret), { maxAgeS: LOGIN_WINDOW_MS / 1000, secure: this.d.secure }));
    sendJson(req, res, 200, { result: true });
  }

  #pending(req: http.IncomingMessage): string {
    const secret = cookieSecret(req, LOGIN_COOKIE);
    if (!secret) throw new HttpError(401, 'no sign-in in progress');
    return loginNonce(secret);
  }

  /** The pending sign-in's login QR as a PNG: the one shown while nobody scanned it, else a new one. */
  async loginQrPng(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const nonce = this.#pending(req);
    const server = await this.d.server();
    const latest = (await this.d.store.getRpSession(server.id, nonce))?.latestQr;
    const shown = latest ? await this.d.store.getQrSession(latest) : undefined;
    const payload = shown && shown.kind === 'login' && qrSessionStatus(shown, this.d.now()) === 'fresh'
      ? shown.payload
      : await this.d.rp.createLoginQr(server, nonce, {
        ctx: { announceinfo: { info: { Application: 'Tapgate admin console' } }, sessioninfo: null },
        requireSecondFactor: this.o.requireSecondFactor,
      });
    const png = await QRCode.toBuffer([{ data: Buffer.from(payload), mode: 'byte' }], { errorCorrectionLevel: 'M', width: 256, margin: 2 });
    sendBytes(req, res, 200, png, 'image/png');
  }

  /** The pending sign-in's status channel (scanned, loggedin, cancelled …). */
  async loginEvents(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const nonce = this.#pending(req);
    this.d.statusChannel.open(req, res, await this.d.server(), nonce);
  }

  /**
   * Finishes the pending sign-in: 409 while nobody has logged in on it, 403 (the device logged out
   * again) when the account is no administrator, else the session cookie. Once only per login.
   */
  async finishLogin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const nonce = this.#pending(req);
    const server = await this.d.server();
    const now = this.d.now();
    const rp = await currentRpSession(this.d.store, server, nonce, now);
    if (rp?.cancelled && !rp.loggedIn) throw new HttpError(409, 'the sign-in was declined on the device', { code: 'CANCELLED' });
    if (!rp?.loggedIn || rp.accountId == null) throw new HttpError(409, 'nobody has signed in on this QR code yet', { code: 'PENDING' });
    if (now - (rp.loggedInAt ?? 0) > LOGIN_WINDOW_MS) throw new HttpError(401, 'this sign-in has expired: start again');
    const account = await this.d.store.getAccount(rp.accountId);
    const sid = toB64u(server.id);
    const isAdmin = !!account && !account.blocked && (await this.d.roles.hasRole(account.id, 'admin'));
    const clear = () => addCookie(res, cookie(LOGIN_COOKIE, '', { maxAgeS: 0, secure: this.d.secure }));
    if (!isAdmin) {
      const refusal = { actor: null, operation: 'adminSignInRefused', method: 'POST', path: '/admin/api/login/finish', server: sid, changes: true, ip: clientIp(req), target: { accountid: rp.accountId, userid: rp.userId } };
      await this.d.actions.perform(refusal, async () => {
        await this.d.rp.logout(server, nonce);
        clear();
        throw new HttpError(403, 'this account is not an administrator of the console', { code: 'NOT_ADMIN' });
      }, () => 403);
    }
    const actor: AdminActor = { server: sid, account: account!.id, userid: account!.userId };
    await this.d.actions.perform({ actor, operation: 'adminSignIn', method: 'POST', path: '/admin/api/login/finish', server: sid, changes: true, ip: clientIp(req) }, async () => {
      await this.d.roles.deleteExpiredSessions(now - this.o.idleMs, now - this.o.absoluteMs);
      const secret = randomBytes(COOKIE_BYTES);
      const made = await this.d.roles.insertSession({ idHash: secretDigest('session', secret), server: server.id, account: account!.id, nonce, now });
      if (!made) throw new HttpError(409, 'this sign-in was finished already: start again');
      clear();
      addCookie(res, cookie(SESSION_COOKIE, toB64u(secret), { maxAgeS: Math.floor(this.o.absoluteMs / 1000), secure: this.d.secure }));
      sendJson(req, res, 200, { admin: actor });
    }, () => res.statusCode);
  }

  /**
   * The administrator of the request's session cookie; 401 (and the session forgotten) for none, an
   * unknown or expired one, an account no longer live, unblocked and admin, or a Tapgate login that ended.
   */
  async authenticate(req: http.IncomingMessage): Promise<{ actor: AdminActor; nonce: string; digest: Uint8Array }> {
    const secret = cookieSecret(req, SESSION_COOKIE);
    if (!secret) throw new HttpError(401, 'not signed in');
    const digest = secretDigest('session', secret);
    const s = await this.d.roles.session(digest);
    if (!s) throw new HttpError(401, 'not signed in');
    const now = this.d.now();
    const server = await this.d.server();
    const expired = now - s.lastSeen > this.o.idleMs || now - s.created > this.o.absoluteMs;
    const account = expired ? undefined : await this.d.store.getAccount(s.account);
    const rp = account ? await currentRpSession(this.d.store, server, s.nonce, now) : undefined;
    const valid = !!account && !account.blocked && s.server.equals(server.id) && !!rp?.loggedIn && rp.accountId === account.id
      && (await this.d.roles.hasRole(account.id, 'admin'));
    if (!valid) {
      await this.d.roles.deleteSession(digest);
      throw new HttpError(401, expired ? 'the session has expired: sign in again' : 'the session has ended: sign in again');
    }
    if (now - s.lastSeen >= TOUCH_EVERY_MS) await this.d.roles.touchSession(digest, now);
    return { actor: { server: toB64u(server.id), account: account!.id, userid: account!.userId }, nonce: s.nonce, digest };
  }

  /** Ends the session: the cookie, its row, and the Tapgate login (the device is told). */
  async logout(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { actor, nonce, digest } = await this.authenticate(req);
    await this.d.actions.perform({ actor, operation: 'adminSignOut', method: 'POST', path: '/admin/api/logout', server: actor.server, changes: true, ip: clientIp(req) }, async () => {
      await this.d.roles.deleteSession(digest);
      await this.d.rp.logout(await this.d.server(), nonce);
      addCookie(res, cookie(SESSION_COOKIE, '', { maxAgeS: 0, secure: this.d.secure }));
      sendJson(req, res, 200, { result: true });
    }, () => res.statusCode);
  }
}
