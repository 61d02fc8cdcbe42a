// The admin console (/admin, TAPGATE_ADMIN=1) in Chromium against a real server process: an
// administrator signs in with Tapgate itself — the console's login QR, screenshotted and scanned
// by a real enrolled Node SDK authenticator, the PIN — then lists users, resets a PIN blocked by
// wrong PINs, blocks and unblocks an account, edits a server parameter, creates and revokes an
// API key, watches a session log in and out live, sees a push that failed and reads the audit
// log (the device's blocked PIN, the administrator's reset, a filter); each effect is
// checked through the REST API or the device. The attacker's side: a non-admin account's sign-in
// is refused, /admin/api without a cookie, with a forged one, a signed-out one or one past its
// idle or absolute expiry is 401, a cross-origin page cannot change anything, and without the
// flag /admin is 404. Screenshots go to test-results/.
'use strict';
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { scanQr } = require('@tapgate/authenticator/node');
const { useServer } = require('../js/helpers/fixture');
const { relyingParty, reach } = require('../js/helpers/rp');
const { PIN, enrol, login, eventually } = require('../js/helpers/flows');
const { openChromium, recordErrors, artifactPath } = require('./helpers/chromium');

jest.setTimeout(120_000);

const env = useServer({ env: { TAPGATE_ADMIN: '1' } });
let sid;
let browser;
let page;
let admin;       // the administrator's authenticator
let adminAccount;
const errors = [];

/** A REST call with the root key (or `key`); resolves with {status, body}. */
async function rest(method, urlPath, { key = env.server.rootApiKey, base = env.server.url, body } = {}) {
  const res = await fetch(`${base}${urlPath}`, { method, headers: { 'X-apikey': key, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}
const account = async (id) => (await rest('GET', `/servers/${sid}/accounts/${id}`)).body;

/** Logs `auth` in on the console's sign-in page: the QR as the page shows it, screenshotted and scanned, then the PIN. */
async function scanConsoleQr(auth) {
  await page.waitForFunction(() => {
    const img = document.querySelector('#login-qr');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 15_000 });
  const payload = await scanQr(await page.locator('#login-qr').screenshot());
  expect(payload).not.toBeNull();
  const session = await auth.startSession(payload);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  return session;
}

/** Loads the console afresh on page `id` (a new document: not only a hash change). */
async function openPage(id) {
  await page.goto(`${env.server.url}/admin/?load=${Date.now()}#${id}`);
  await page.waitForSelector(`body[data-page=${id}] #page-${id}`, { timeout: 15_000 });
}

beforeAll(async () => {
  sid = env.server.serverId;
  admin = await env.enrolled({ userid: 'ops-admin' });
  adminAccount = admin.accounts[0].accountId;
  const granted = await rest('PUT', `/servers/${sid}/accounts/${adminAccount}/roles/admin`);
  expect(granted).toEqual({ status: 200, body: { accountid: adminAccount, roles: ['admin'] } });
  browser = await openChromium(env);
  page = recordErrors(await browser.newPage(), errors, { csp: true });
  page.on('dialog', (d) => d.accept());
});

describe('signing in', () => {
  test('a non-admin account\'s sign-in is refused, and the console stays signed out', async () => {
    const bob = await env.enrolled({ userid: 'bob' });
    await page.goto(`${env.server.url}/admin/`);
    await page.waitForSelector('body[data-page=signin] #login-qr');
    await page.screenshot({ path: artifactPath('admin-console-signin.png') });
    await scanConsoleQr(bob);
    await page.waitForSelector('body[data-page=signin-refused]', { timeout: 20_000 });
    expect(await page.textContent('#login-status')).toBe('Sign-in refused: this account is not an administrator of the console');
    await page.screenshot({ path: artifactPath('admin-console-refused.png') });
    expect(await page.evaluate(async () => (await fetch('/admin/api/session')).status)).toBe(401);
    // (Its Tapgate login on the console's session was ended too: the live-sessions test finds none of bob's.)
  });

  test('an administrator signs in by QR with the PIN and sees the console', async () => {
    await page.click('#login-again');
    await page.waitForSelector('body[data-page=signin] #login-qr');
    await scanConsoleQr(admin);
    await page.waitForSelector('body[data-page=servers] #page-servers', { timeout: 20_000 });
    expect(await page.textContent('#who')).toBe(`ops-admin #${adminAccount}`);
    expect(await page.locator('nav a').allTextContents()).toEqual(['Virtual servers', 'Users and accounts', 'API keys', 'Live sessions', 'Push failures', 'Audit log']);
    const cookies = await browser.cookies(`${env.server.url}/admin/`);
    const session = cookies.find((c) => c.name === 'tapgate_admin');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin', secure: false });
    expect(Buffer.from(session.value, 'base64url')).toHaveLength(32);
    expect(cookies.find((c) => c.name === 'tapgate_admin_login')).toBeUndefined();  // the pending sign-in is over
  });
});

describe('the pages', () => {
  test('virtual servers: the parameters of the server are shown and saved', async () => {
    await openPage('servers');
    expect(await page.inputValue('#server-pinAttemptLimit')).toBe('3');
    await page.fill('#server-serverName', 'Tapgate Ops');
    await page.fill('#server-pinTimeout', '5');
    await page.fill('#server-pinTransTimeout', '2');
    await page.fill('#server-siteurl', 'https://ops.example/');
    await page.fill('#server-owner', 'Tapgate Ops Ltd');
    await page.fill('#server-returnOrigins', 'https://shop.example https://bank.example');
    await page.check('#server-uniqueDisplayNames');
    await page.click('#server-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#server-serverName')?.value === 'Tapgate Ops' && document.querySelector('#notice').textContent === 'Saved Tapgate Ops.');
    expect((await rest('GET', `/servers/${sid}`)).body).toMatchObject({
      serverName: 'Tapgate Ops', pinTimeout: 5, pinTransTimeout: 2, pinAttemptLimit: 3, siteurl: 'https://ops.example/', owner: 'Tapgate Ops Ltd',
      appurl: null, returnOrigins: ['https://shop.example', 'https://bank.example'], serverFlags: ['uniqueDisplayNames'],
    });
    await page.screenshot({ path: artifactPath('admin-console-servers.png'), fullPage: true });
    // A link the server refuses (not https) is a clear error, and nothing is saved.
    await page.fill('#server-appurl', 'javascript:alert(1)');
    await page.click('#server-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#notice').textContent.startsWith('Not saved:'));
    expect((await rest('GET', `/servers/${sid}`)).body.appurl).toBeNull();
    await rest('PUT', `/servers/${sid}`, { body: { pinTimeout: 0, pinTransTimeout: 0, siteurl: null, owner: null, returnOrigins: [], serverFlags: [] } });
  });

  test('users and accounts: search, reset a blocked PIN\'s failure count, block and unblock', async () => {
    // carol's PIN is blocked by three wrong PINs (the limit); the right one is refused until reset.
    const carol = await env.enrolled({ userid: 'carol' });
    const carolId = carol.accounts[0].accountId;
    const wrong = await login(carol, env.rp, { pin: '0000' });
    await wrong.session.setPinBiometric({ pin: '0000' });
    expect(await wrong.session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_BLOCKED' });
    await wrong.session.finished;
    expect((await account(carolId)).pinfailures).toBe(3);

    await openPage('users');
    await page.fill('#user-search', 'car');
    await page.click('#user-search-form button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('#users a[data-user]')].map((a) => a.dataset.user).join() === 'carol');
    await page.click('#users a[data-user=carol]');
    const row = `#accounts tr[data-account="${carolId}"]`;
    await page.waitForSelector(`${row} [data-pinfailures="3"]`);
    await page.screenshot({ path: artifactPath('admin-console-users.png'), fullPage: true });
    await page.click(`${row} button[data-action=unblockpin]`);
    await page.waitForSelector(`${row} button[data-action=unblockpin][disabled]`);
    expect((await account(carolId)).pinfailures).toBe(0);
    const right = await login(carol, env.rp);
    expect(right.verdict.result).toBe('SUCCESS');
    await right.session.finished;

    await page.click(`${row} button[data-action=block]`);
    await page.waitForSelector(`${row} button[data-action=unblock]`);
    expect((await account(carolId)).blocked).toBe(true);
    // Blocked, the device's login is refused (error 48).
    const refused = await carol.startSession(await env.rp.loginQr(env.rp.newNonce()));
    await reach(refused, 'WAIT_FOR_SECOND_FACTOR');
    await refused.setPinBiometric({ pin: PIN }).catch(() => {});
    await refused.finished;
    expect(refused.error).toMatchObject({ code: 'SERVER_AUTHENTICATION_FAILED' });
    await page.click(`${row} button[data-action=unblock]`);
    await page.waitForSelector(`${row} button[data-action=block]`);
    expect((await account(carolId)).blocked).toBe(false);
  });

  test('users and accounts: delete an account (its device is told)', async () => {
    const dave = await env.enrolled({ userid: 'dave' });
    const daveId = dave.accounts[0].accountId;
    await openPage('users');
    await page.click(`#accounts tr[data-account="${daveId}"] button[data-action=delete]`);
    await page.waitForSelector(`#accounts tr[data-account="${daveId}"]`, { state: 'detached' });
    expect((await rest('GET', `/servers/${sid}/accounts/${daveId}`)).status).toBe(404);
  });

  test('API keys: a key made with permissions works, and revoked it is refused', async () => {
    await openPage('apikeys');
    await page.fill('#new-key-description', 'console-made');
    await page.check('#new-key-form input[value=accounts]');
    await page.click('#new-key-form button[type=submit]');
    const made = await (await page.waitForSelector('#new-key-secret')).textContent();
    const keyId = made.split('.')[0];
    await page.waitForSelector(`tr[data-key="${keyId}"]`);
    expect(await page.textContent(`tr[data-key="${keyId}"]`)).toContain('accounts on Tapgate Ops');
    await page.screenshot({ path: artifactPath('admin-console-apikeys.png'), fullPage: true });
    expect((await rest('GET', `/servers/${sid}/accounts`, { key: made })).status).toBe(200);
    expect((await rest('GET', `/servers/${sid}/users`, { key: made })).status).toBe(403);  // only the permission given

    await page.click(`button[data-revoke="${keyId}"]`);
    await page.waitForSelector(`tr[data-key="${keyId}"]`, { state: 'detached' });
    expect((await rest('GET', `/servers/${sid}/accounts`, { key: made })).status).toBe(401);
  });

  test('live sessions: the console\'s own, and a login and logout of a relying party as they happen', async () => {
    const erin = await env.enrolled({ userid: 'erin' });
    await openPage('sessions');
    await page.waitForSelector('#live-state[data-live=true]');
    expect(await page.textContent('#live-sessions tr[data-user=ops-admin]')).toContain('admin console');
    expect(await page.locator('#live-sessions tr[data-console]').evaluateAll((rows) => rows.map((r) => r.dataset.user))).toEqual(['ops-admin']);  // bob's refused sign-in was logged out
    const erins = () => page.$$eval('#live-sessions tr[data-user=erin]', (rows) => rows.map((r) => r.dataset.session));
    const before = await erins();  // the enrolment's login
    const { nonce, session } = await login(erin, env.rp);
    await session.finished;
    await page.waitForFunction((n) => document.querySelectorAll('#live-sessions tr[data-user=erin]').length === n, before.length + 1, { timeout: 10_000 });
    const added = (await erins()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    expect(added[0]).not.toContain(nonce);  // a digest, not the relying party's nonce
    await page.screenshot({ path: artifactPath('admin-console-sessions.png'), fullPage: true });
    await env.rp.logout(nonce);
    await page.waitForFunction((n) => document.querySelectorAll('#live-sessions tr[data-user=erin]').length === n, before.length, { timeout: 10_000 });
    expect(await erins()).toEqual(before);
  });

  test('push failures: a message to an account whose push service is not configured', async () => {
    const fiona = await env.enrolled({ userid: 'fiona' });
    await fiona.updatePushToken('fcm:not-configured-here');
    await env.rp.sendMessage(fiona.accounts[0].accountId, 'hello');
    await openPage('pushfailures');
    await page.waitForSelector('tr[data-sender=router]');
    expect(await page.textContent('tr[data-sender=router]')).toContain('no fcm sender is configured');
    expect(await page.textContent('#page-pushfailures')).not.toContain('not-configured-here');  // no token shown
    await page.screenshot({ path: artifactPath('admin-console-push-failures.png'), fullPage: true });
  });

  test('audit log: carol\'s blocked PIN and the administrator\'s reset are there, and the filter narrows to one action', async () => {
    await openPage('audit');
    await page.waitForSelector('#audit-entries tr[data-action="device.pinBlocked"]');
    const reset = page.locator('#audit-entries tr[data-action="rp.unblockPin"]').first();
    expect(await reset.textContent()).toContain('console');  // done in the console, by the signed-in administrator
    await page.screenshot({ path: artifactPath('admin-console-audit.png'), fullPage: true });
    await page.fill('#audit-action', 'device.pinBlocked');
    await page.click('#audit-filter button[type=submit]');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#audit-entries tbody tr')];
      return rows.length > 0 && rows.every((r) => r.dataset.action === 'device.pinBlocked');
    });
  });
});

describe('the attacker\'s side', () => {
  /** Another origin of the same site (127.0.0.1, another port) serving `html` at /, closed after the test. */
  async function evilSite(html) {
    const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    env.closeAfterTest(() => {
      server.closeAllConnections();  // Chromium keeps its sockets open otherwise
      return new Promise((resolve) => server.close(resolve));
    });
    return { url: `http://127.0.0.1:${server.address().port}` };
  }
  const apiKeyCount = async () => (await rest('GET', '/apikeys')).body.totalnumber;

  test('/admin/api without the cookie, with a forged or malformed one: 401, and nothing is done', async () => {
    const before = await apiKeyCount();
    const call = (method, p, cookie) => fetch(`${env.server.url}/admin/api/${p}`, { method, headers: { 'X-Tapgate-Admin': '1', ...(cookie ? { Cookie: cookie } : {}) } });
    for (const cookie of [null, `tapgate_admin=${randomBytes(32).toString('base64url')}`, 'tapgate_admin=short', 'tapgate_admin=']) {
      expect((await call('GET', 'session', cookie)).status).toBe(401);
      expect((await call('GET', 'rp/servers', cookie)).status).toBe(401);
      expect((await call('POST', 'rp/apikeys?permissions=root', cookie)).status).toBe(401);
      expect((await call('GET', 'pushfailures', cookie)).status).toBe(401);
    }
    // The pending-login cookie is no session.
    const pending = (await call('POST', 'login')).headers.get('set-cookie').split(';')[0].replace('tapgate_admin_login', 'tapgate_admin');
    expect((await call('GET', 'session', pending)).status).toBe(401);
    expect(await apiKeyCount()).toBe(before);
  });

  test('a cross-origin page cannot change anything: its form post is refused 403, its fetch never leaves', async () => {
    const before = await apiKeyCount();
    const target = `${env.server.url}/admin/api/rp/apikeys?description=evil&permissions=root`;
    const evil = await evilSite(`<!doctype html><form id="f" method="post" action="${target}"></form><button id="go" onclick="document.getElementById('f').submit()">go</button>`);
    const evilPage = await browser.newPage();
    await evilPage.goto(`${evil.url}/`);
    // Same site (127.0.0.1), other origin: the SameSite=Strict cookie goes along; the Origin check refuses.
    await Promise.all([evilPage.waitForNavigation(), evilPage.click('#go')]);
    expect(JSON.parse(await evilPage.textContent('body')).error).toMatch(/^cross-site request refused/);
    await evilPage.goto(`${evil.url}/`);
    const fetched = await evilPage.evaluate(async (url) => {
      try {
        await fetch(url, { method: 'POST', credentials: 'include', headers: { 'X-Tapgate-Admin': '1' } });
        return 'answered';
      } catch {
        return 'blocked';
      }
    }, target);
    expect(fetched).toBe('blocked');
    await evilPage.close();
    expect(await apiKeyCount()).toBe(before);
    // The same call from the console's own page goes through (the cookie is valid).
    expect(await page.evaluate(async () => (await fetch('/admin/api/session')).status)).toBe(200);
  });

  test('a relying-party key cannot log anyone in on the console\'s sessions (admin. nonces are the server\'s)', async () => {
    const res = await fetch(`${env.server.url}/servers/${sid}/sessions/qr/login`, { headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': 'admin.forged' } });
    expect(res.status).toBe(400);
  });

  test('revoking the admin role ends the console session; signing out ends the cookie and the Tapgate login', async () => {
    const cookieHeader = async () => (await browser.cookies(`${env.server.url}/admin/`)).filter((c) => c.name === 'tapgate_admin').map((c) => `${c.name}=${c.value}`).join('; ');
    const old = await cookieHeader();
    await page.click('#signout');
    await page.waitForSelector('body[data-page=signin] #login-qr');
    expect(await cookieHeader()).toBe('');
    // The signed-out session's cookie, replayed: 401.
    expect((await fetch(`${env.server.url}/admin/api/session`, { headers: { Cookie: old } })).status).toBe(401);

    // Signed in again, then the role revoked (by the root key): the next call is 401.
    await scanConsoleQr(admin);
    await page.waitForSelector('nav:not([hidden])', { timeout: 20_000 });
    expect((await rest('DELETE', `/servers/${sid}/accounts/${adminAccount}/roles/admin`)).body).toEqual({ accountid: adminAccount, roles: [] });
    expect(await page.evaluate(async () => (await fetch('/admin/api/session')).status)).toBe(401);
    await rest('PUT', `/servers/${sid}/accounts/${adminAccount}/roles/admin`);
    expect(errors).toEqual([]);
  });
});

describe('a server without the flag', () => {
  test('/admin is 404, pages and API alike', async () => {
    const plain = await env.startServer();
    for (const p of ['/admin', '/admin/', '/admin/app.js', '/admin/api/session', '/admin/api/login']) {
      expect((await fetch(`${plain.url}${p}`, { method: p.endsWith('login') ? 'POST' : 'GET' })).status).toBe(404);
    }
  });
});

describe('in the server\'s process: expiry on its clock, and every action through AdminActions', () => {
  let offset = 0;
  let inProcess;
  let srv;
  let rp;
  let auth;
  const cookieOf = (res, name) => (res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) ?? '').split(';')[0];

  /** Signs `auth` in through /admin/api as the page would; resolves with the session cookie. */
  async function signIn() {
    const headers = { 'X-Tapgate-Admin': '1' };
    const pending = cookieOf(await fetch(`${srv.url}/admin/api/login`, { method: 'POST', headers }), 'tapgate_admin_login');
    const png = new Uint8Array(await (await fetch(`${srv.url}/admin/api/login/qr.png`, { headers: { Cookie: pending } })).arrayBuffer());
    const session = await auth.startSession(await scanQr(png));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    await session.setPinBiometric({ pin: PIN });
    const finished = await eventually(async () => {
      const res = await fetch(`${srv.url}/admin/api/login/finish`, { method: 'POST', headers: { ...headers, Cookie: pending } });
      return res.status === 200 && res;
    });
    // A finished sign-in cannot be finished again (its cookie replayed).
    expect((await fetch(`${srv.url}/admin/api/login/finish`, { method: 'POST', headers: { ...headers, Cookie: pending } })).status).toBe(409);
    return cookieOf(finished, 'tapgate_admin');
  }
  const status = async (cookie) => (await fetch(`${srv.url}/admin/api/session`, { headers: { Cookie: cookie } })).status;

  beforeAll(async () => {
    inProcess = await env.startInProcess(({ url, dir, databaseUrl }) => ({ publicUrl: url, dataDir: dir, databaseUrl, admin: true, now: () => Date.now() + offset }));
    srv = inProcess.server;
    rp = relyingParty(srv);
    auth = await env.authenticator();
    await enrol(auth, rp, { userid: 'clock-admin' });
    await rest('PUT', `/servers/${srv.serverId}/accounts/${auth.accounts[0].accountId}/roles/admin`, { base: srv.url, key: srv.rootApiKey });
  });

  test('sign-in, reads, changes, a refused call and sign-out each reach the listeners once, with the administrator as the actor', async () => {
    const heard = [];
    const stop = inProcess.tapgate.adminActions.listen((action, outcome) => heard.push({ ...action, ...outcome }));
    try {
      const cookie = await signIn();
      const actor = { server: srv.serverId, account: auth.accounts[0].accountId, userid: 'clock-admin' };
      const call = (method, p) => fetch(`${srv.url}/admin/api/${p}`, { method, headers: { Cookie: cookie, 'X-Tapgate-Admin': '1' } });
      expect((await call('GET', `rp/servers/${srv.serverId}/users`)).status).toBe(200);
      expect((await call('POST', `rp/servers/${srv.serverId}/accounts/${actor.account}/unblockpin`)).status).toBe(200);
      expect((await call('PUT', `rp/servers/${srv.serverId}/accounts/999999?blocked=true`)).status).toBe(404);
      // Operations on a relying-party session are not the console's: 404, and nothing to hear.
      expect((await call('GET', `rp/servers/${srv.serverId}/sessions/qr/login`)).status).toBe(404);
      expect((await call('POST', 'logout')).status).toBe(200);
      expect(heard.map((a) => [a.operation, a.method, a.path, a.changes, a.status, a.ok])).toEqual([
        ['adminSignIn', 'POST', '/admin/api/login/finish', true, 200, true],
        ['adminSignIn', 'POST', '/admin/api/login/finish', true, 409, false],  // signIn()'s replay of the finished sign-in
        ['getUsers', 'GET', `/servers/${srv.serverId}/users`, false, 200, true],
        ['unblockPin', 'POST', `/servers/${srv.serverId}/accounts/${actor.account}/unblockpin`, true, 200, true],
        ['updateAccount', 'PUT', `/servers/${srv.serverId}/accounts/999999`, true, 404, false],
        ['adminSignOut', 'POST', '/admin/api/logout', true, 200, true],
      ]);
      for (const a of heard) expect(a.actor).toEqual(actor);
      expect((await call('GET', 'session')).status).toBe(401);  // signed out

      // The audit log has the changes (not the read), each with the administrator's account as the actor.
      const audit = await rest('GET', `/servers/${srv.serverId}/audit?limit=20`, { base: srv.url, key: srv.rootApiKey });
      expect(audit.status).toBe(200);
      const consoleEntries = audit.body.entries.filter((e) => e.actor.kind === 'console').reverse();
      expect(consoleEntries.map((e) => [e.action, e.outcome, e.account])).toEqual([
        ['admin.adminSignIn', 'ok', null],
        ['admin.adminSignIn', 'failed', null],
        ['rp.unblockPin', 'ok', actor.account],
        ['rp.updateAccount', 'failed', 999999],
        ['admin.adminSignOut', 'ok', null],
      ]);
      for (const e of consoleEntries) {
        expect(e.actor).toEqual({ kind: 'console', id: String(actor.account) });
        expect(e.ip).toMatch(/127\.0\.0\.1/);
      }
      expect(JSON.stringify(audit.body)).not.toContain(cookie.split('=')[1]);
    } finally {
      stop();
    }
  });

  test('idle for more than 30 minutes: 401; used every 29 minutes, it still ends 8 hours after sign-in', async () => {
    // Both signed in before the clock moves (the device's own clock stays where it is).
    const idle = await signIn();
    const busy = await signIn();
    expect([await status(idle), await status(busy)]).toEqual([200, 200]);
    offset += 29 * 60_000;
    expect(await status(busy)).toBe(200);
    offset += 2 * 60_000;
    expect(await status(idle)).toBe(401);  // 31 minutes unused
    expect(await status(idle)).toBe(401);  // and forgotten
    expect(await status(busy)).toBe(200);  // used 2 minutes ago

    while (offset + 29 * 60_000 < 8 * 3600_000) {
      offset += 29 * 60_000;
      expect(await status(busy)).toBe(200);
    }
    offset = 8 * 3600_000 + 1000;
    expect(await status(busy)).toBe(401);
  });
});
