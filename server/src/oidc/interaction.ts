// The provider's interaction routes under /oidc/interaction/{uid}: the login page (a Tapgate login
// QR on a relying-party session of its own, followed live over the status channel), the push
// login to a known user, the step that finishes the interaction from what the device did, and the
// consent page. Each route first loads the interaction through its cookie (oidc-provider's
// interactionDetails), so it acts only for the browser that started it; the cookie is SameSite,
// so a cross-site form cannot post to these routes on the user's behalf.
import type * as http from 'node:http';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import QRCode from 'qrcode';
import { hash, toB64u, utf8 } from '../crypto';
import { readRawBody, sendBytes } from '../http';
import type { ServerRecord } from '../db';
import { qrSessionStatus } from '../qr-session-status';
import { amrOf, accountsOfSubject, LOGIN_CLAIMS, serverOfClient, subjectOf } from './accounts';
import { consentPage, loginPage, messagePage } from './pages';
import type { OidcRuntime } from './runtime';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The relying-party session nonce of an interaction: derived, so no row links the two. */
export function interactionNonce(rt: OidcRuntime, uid: string): string {
  return `oidc.${toB64u(hash(rt.storage.dataKey, utf8('interaction'), utf8(uid)).subarray(0, 24))}`;
}

/** The four-digit code the page and the push's announce info both show. */
function pushCode(rt: OidcRuntime, uid: string): string {
  const h = hash(rt.storage.dataKey, utf8('push-code'), utf8(uid));
  return String(((h[0] << 16) | (h[1] << 8) | h[2]) % 10000).padStart(4, '0');
}

const ROUTE = /^\/oidc\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(qr\.png|events|login|push|abort|consent))?$/;

export function isInteractionPath(pathname: string): boolean {
  return pathname.startsWith('/oidc/interaction/');
}

export async function handleInteraction(rt: OidcRuntime, req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
  const m = ROUTE.exec(pathname);
  if (!m) return messagePage(res, 404, 'Not found', 'There is no such page.');
  const [, uid, action = ''] = m;
  const expected = action === '' || action === 'qr.png' || action === 'events' ? 'GET' : 'POST';
  if (req.method !== expected) {
    res.setHeader('Allow', expected);
    return messagePage(res, 405, 'Method not allowed', `Use ${expected}.`);
  }
  if (expected === 'POST' && !sameOrigin(rt, req)) return messagePage(res, 403, 'Forbidden', 'This form was posted from another site.');
  let details: Interaction;
  try {
    details = await rt.provider.interactionDetails(req, res);
  } catch {
    return messagePage(res, 400, 'Sign-in expired', 'This sign-in is no longer open. Go back to the application and start again.');
  }
  if (details.uid !== uid) return messagePage(res, 400, 'Sign-in expired', 'This page belongs to another sign-in.');
  const client = await rt.provider.Client.find(String(details.params.client_id));
  const serverId = serverOfClient(client as unknown as Record<string, unknown>);
  const server = serverId ? await rt.store.getServer(serverId) : undefined;
  if (!client || !server) return finish(rt, req, res, { error: 'server_error', error_description: 'the client has no Tapgate server' });
  const base = `/oidc/interaction/${uid}`;
  const nonce = interactionNonce(rt, uid);
  const clientName = client.clientName ?? client.clientId;

  if (details.prompt.name === 'consent') {
    if (action === '') return consentPage(res, base, clientName, requestedScopes(details));
    if (action === 'consent') return consent(rt, req, res, details);
    return messagePage(res, 404, 'Not found', 'There is no such page.');
  }
  switch (action) {
    case '': {
      const pushUser = await pushTarget(rt, server, details);
      const pushed = details.result?.tapgatePushed === true;
      return loginPage(res, { base, clientName, pushUser, pushCode: pushCode(rt, uid), pushed, remainingMs: deadline(rt, details) - Date.now() });
    }
    case 'qr.png': {
      const payload = await loginQr(rt, server, nonce, clientName);
      const png = await QRCode.toBuffer([{ data: Buffer.from(payload), mode: 'byte' }], { errorCorrectionLevel: 'M', width: 256, margin: 2 });
      res.setHeader('Cache-Control', 'no-store');
      return sendBytes(req, res, 200, png, 'image/png');
    }
    case 'events':
      return rt.statusChannel.open(req, res, server, nonce);
    case 'push':
      return push(rt, req, res, server, details, clientName);
    case 'abort':
      return finish(rt, req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' });
    case 'login':
      return login(rt, req, res, server, details, nonce);
    default:
      return messagePage(res, 404, 'Not found', 'There is no such page.');
  }
}

/**
 * The interaction's login QR: the one it showed while nobody has scanned it, else a new one. A page
 * reloaded (or an image fetched again) does not add a QR session each time.
 */
async function loginQr(rt: OidcRuntime, server: ServerRecord, nonce: string, clientName: string): Promise<Uint8Array> {
  const latest = (await rt.store.getRpSession(server.id, nonce))?.latestQr;
  const shown = latest ? await rt.store.getQrSession(latest) : undefined;
  if (shown && shown.kind === 'login' && qrSessionStatus(shown, rt.now()) === 'fresh') return shown.payload;
  return rt.rp.createLoginQr(server, nonce, { ctx: { announceinfo: { info: { Application: clientName } }, sessioninfo: null }, requireSecondFactor: rt.options.requireSecondFactor });
}

/** The origin check of the POST routes, beside the SameSite cookie: a browser always sends Origin on a POST. */
function sameOrigin(rt: OidcRuntime, req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin === undefined || origin === rt.publicOrigin;
}

/** When the login times out: loginTimeoutSeconds after the interaction began. */
function deadline(rt: OidcRuntime, details: Interaction): number {
  return (details.iat + rt.options.loginTimeoutSeconds) * 1000;
}

/** Who a push login may go to: the login_hint user, or the session's own on a re-login, if they can get pushes. */
async function pushTarget(rt: OidcRuntime, server: ServerRecord, details: Interaction): Promise<string | null> {
  const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : details.session?.accountId ?? null;
  if (!hint || hint.length > 256) return null;
  const accounts = await accountsOfSubject(rt.store, server.id, hint);
  return accounts.some((a) => a.pushToken !== null) ? hint : null;
}

async function push(rt: OidcRuntime, req: http.IncomingMessage, res: http.ServerResponse, server: ServerRecord, details: Interaction, clientName: string) {
  const user = await pushTarget(rt, server, details);
  if (user !== null && details.result?.tapgatePushed !== true) {
    const targets = (await accountsOfSubject(rt.store, server.id, user)).filter((a) => a.pushToken !== null);
    const info = { Application: clientName, Code: pushCode(rt, details.uid) };
    await rt.rp.provokeAccounts(server, interactionNonce(rt, details.uid), targets, {
      ctx: { announceinfo: { info }, sessioninfo: null },
      requireSecondFactor: rt.options.requireSecondFactor,
      forUser: user.startsWith('account:') ? null : user,
    });
    // One push per interaction: the page cannot be used to flood the user's phone.
    await rt.provider.interactionResult(req, res, { tapgatePushed: true });
  }
  res.writeHead(303, { Location: `/oidc/interaction/${details.uid}`, 'Content-Length': '0' });
  res.end();
}

/** Finishes the interaction from the relying-party session: logged in, declined, timed out, or not yet. */
async function login(rt: OidcRuntime, req: http.IncomingMessage, res: http.ServerResponse, server: ServerRecord, details: Interaction, nonce: string) {
  const row = await rt.store.getRpSession(server.id, nonce);
  if (row?.loggedIn) {
    const accountId = subjectOf(row);
    const result: InteractionResults = {
      login: { accountId, amr: amrOf(row.factor), acr: rt.options.acr, ts: Math.floor((row.loggedInAt ?? Date.now()) / 1000), remember: true },
      // The device showed the application's name and the user approved it there: that is the consent
      // to the scopes asked for, unless the client asked for the consent page (prompt=consent). A
      // later sign-in without a login, for a client not yet approved, asks on the page too.
      consent: prompts(details).has('consent') ? undefined : { grantId: await grantScopes(rt, details, accountId) },
      tapgate: { nonce },
    };
    return finish(rt, req, res, result);
  }
  if (row?.cancelled) return finish(rt, req, res, { error: 'access_denied', error_description: 'the user declined the sign-in on their device' });
  if (Date.now() >= deadline(rt, details)) return finish(rt, req, res, { error: 'login_required', error_description: 'the sign-in timed out' });
  res.writeHead(303, { Location: `/oidc/interaction/${details.uid}`, 'Content-Length': '0' });
  res.end();
}

function prompts(details: Interaction): Set<string> {
  return new Set(String(details.params.prompt ?? '').split(' '));
}

function requestedScopes(details: Interaction): string[] {
  return String(details.params.scope ?? '').split(' ').filter((s) => s !== '');
}

/** A grant of the requested OIDC scopes (those the provider supports) and claims to the client. */
async function grantScopes(rt: OidcRuntime, details: Interaction, accountId: string): Promise<string> {
  const existing = details.grantId ? await rt.provider.Grant.find(details.grantId) : undefined;
  const grant = existing?.accountId === accountId ? existing : new rt.provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const scopes = missing.missingOIDCScope ?? requestedScopes(details).filter((s) => rt.scopes.has(s));
  grant.addOIDCScope(scopes.join(' '));
  grant.addOIDCClaims([...LOGIN_CLAIMS, ...(missing.missingOIDCClaims ?? [])]);
  for (const [indicator, s] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, s.join(' '));
  return grant.save();
}

async function consent(rt: OidcRuntime, req: http.IncomingMessage, res: http.ServerResponse, details: Interaction) {
  const form = new URLSearchParams((await readRawBody(req)).toString('utf8'));
  if (form.get('decision') !== 'allow') return finish(rt, req, res, { error: 'access_denied', error_description: 'the user denied access' });
  const accountId = details.session?.accountId;
  if (!accountId) return finish(rt, req, res, { error: 'login_required', error_description: 'no signed-in user' });
  return finish(rt, req, res, { consent: { grantId: await grantScopes(rt, details, accountId) } });
}

function finish(rt: OidcRuntime, req: http.IncomingMessage, res: http.ServerResponse, result: InteractionResults) {
  return rt.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}
