// Several server instances on one database, restarted, one per role: useServers, not useServer.
// Scale-out: several server instances on one PostgreSQL database behave as one server. Two real
// server processes share a database; a real Node SDK authenticator talks to instance A only (its
// device URL and push relay), the relying party to instance B only (REST calls and the SSE status
// channel). B's stream must see what A's device calls did (LISTEN/NOTIFY), a push login provoked
// at B must reach the device through A's relay (the queue is in the database), and both logins
// must complete. Needs TAPGATE_TEST_DATABASE_URL (scripts/test.sh starts a throwaway cluster).
//
// Then, on whichever backend the run uses (SQLite, or PostgreSQL with two instances): parallel
// wrong-PIN logins on one account never count more guesses than the attempt limit allows.
'use strict';
const fs = require('node:fs');
const { LocalPushRelay } = require('@tapgate/authenticator/node');
const { startServer, TEST_DATABASE_URL } = require('./helpers/server-process');
const { useServers } = require('./helpers/fixture');
const { relyingParty, nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol } = require('./helpers/flows');
const { openEventStream } = require('./helpers/sse');

jest.setTimeout(60_000);

const ROOT_KEY = 'scale-out-root-key';
const fx = useServers();

/**
 * Two instances on one fresh database when PostgreSQL is there: A is the device's (the QR codes
 * carry A's URL, whichever instance made them), B the relying party's. On SQLite, one instance in both roles.
 */
async function instances() {
  if (!TEST_DATABASE_URL) {
    const only = await fx.startServer({ env: { TAPGATE_ROOT_API_KEY: ROOT_KEY } });
    return { a: only, b: only };
  }
  const db = await fx.testDatabase();
  // The key the server signing keys are encrypted under: instances sharing a database share it.
  const env = { TAPGATE_DATABASE_URL: db.url, TAPGATE_ROOT_API_KEY: ROOT_KEY, TAPGATE_KEY: SHARED_KEY };
  // Both start at once on the empty database: the schema and the first server are settled by it.
  const [a, first] = await Promise.all([fx.startServer({ env }), fx.startServer({ env })]);
  // B's QR codes must name A's device URL: B restarts with A as its public URL.
  await first.stop();
  const b = await fx.startServer({ env: { ...env, TAPGATE_PUBLIC_URL: a.url } });
  expect(b.serverId).toBe(a.serverId);
  expect(first.serverId).toBe(a.serverId);
  return { a, b };
}

const SHARED_KEY = require('node:crypto').randomBytes(32).toString('base64url');

const pg = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) {
  // eslint-disable-next-line no-console
  console.log('scale-out: the two-instance tests need PostgreSQL (TAPGATE_TEST_DATABASE_URL; scripts/test.sh sets it); skipped in this run');
}

pg('two instances on one PostgreSQL database', () => {
  test('an instance without the shared key (its own key file) refuses to start, with a clear error', async () => {
    const db = await fx.testDatabase();
    const a = await fx.startServer({ env: { TAPGATE_DATABASE_URL: db.url } });
    await expect(startServer({ env: { TAPGATE_DATABASE_URL: db.url } })).rejects.toThrow(/instances sharing a database must share it/);
  });

  test('device calls at A, relying party and status stream at B: enrol, QR login, provoked push login', async () => {
    const { a, b } = await instances();
    expect(a.url).not.toBe(b.url);
    const rp = relyingParty(b);
    await rp.updateServer({ pingTime: 60 });
    const auth = await fx.authenticator();

    // Enrolment: the QR comes from B and names A's device URL.
    const enrolled = await enrol(auth, rp, { userid: 'scaled' });
    expect(enrolled.verdict.result).toBe('SUCCESS');
    const accountId = auth.accounts[0].accountId;
    expect((await rp.accounts()).accounts.map((x) => x.id)).toContain(accountId);
    // The device's pushes come from A's relay, whichever instance sends them (the queue is in the database).
    const relay = await LocalPushRelay.connect(auth, { url: `${a.url}/relay/v1`, intervalMs: 100 });
    fx.closeLater(() => relay.close());

    // QR login with B's stream open: every event comes from A's device calls.
    const nonce = rp.newNonce();
    const stream = await openEventStream(`${b.url}/servers/${b.serverId}/sessions/events`, { 'X-apikey': ROOT_KEY, 'X-nonce': nonce });
    fx.closeLater(async () => stream.close());
    expect(await stream.next('status')).toMatchObject({ loggedin: false, scanned: false });
    const session = await auth.startSession(await rp.loginQr(nonce));
    const qr = await stream.next('qr');  // B's own write
    expect(await stream.next('scanned')).toEqual({ event: 'scanned', hsid: qr.hsid });  // A's
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect(await stream.next('loggedin')).toEqual({ event: 'loggedin', hsid: qr.hsid, userid: 'scaled', accountid: accountId });
    expect(await stream.next('canprovoke')).toMatchObject({ accountid: accountId });
    expect(await rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'scaled', canprovoke: true });

    // Logout at B reaches the device through A's relay (its session ends), then a push login
    // provoked at B the same way.
    await rp.logout(nonce);
    expect(await stream.next('loggedout')).toMatchObject({ userid: 'scaled' });
    await session.finished;
    const started = nextEvent(auth, 'session');
    expect((await rp.provokeLogin(nonce, { announceinfo: { info: { action: 'Approve at A' } } })).status).toBe(200);
    const pushQr = await stream.next('qr');  // B's own write
    expect(pushQr.hsid).not.toBe(qr.hsid);
    const { session: pushed } = await started;
    await reach(pushed, 'WAIT_FOR_SECOND_FACTOR');
    expect(pushed.announceInfo.info.action).toBe('Approve at A');
    // The message carries the start response: A first hears of the device at its login.
    expect((await pushed.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect(await stream.next('scanned')).toEqual({ event: 'scanned', hsid: pushQr.hsid });
    expect(await stream.next('loggedin')).toEqual({ event: 'loggedin', hsid: pushQr.hsid, userid: 'scaled', accountid: accountId });
    expect((await rp.loginStatus(nonce)).loggedin).toBe(true);
    await pushed.stopSession();
  });

  test('the relay queue is shared: a push made at B is taken once, at A, in order', async () => {
    const { a, b } = await instances();
    const rp = relyingParty(b);
    const auth = await fx.authenticator();
    await enrol(auth, rp, { userid: 'relayed' });
    const token = `tok-${rp.newNonce()}`;
    // Registers the token through A; polls too seldom to take anything during the test.
    const relay = await LocalPushRelay.connect(auth, { url: `${a.url}/relay/v1`, token, intervalMs: 600_000 });
    fx.closeLater(() => relay.close());
    const accountId = auth.accounts[0].accountId;
    await rp.sendMessage(accountId, 'one');
    await rp.sendMessage(accountId, 'two');
    const take = async (server) => (await (await fetch(`${server.url}/relay/v1/${encodeURIComponent(token)}`)).json()).messages;
    let got = [];
    for (let i = 0; i < 50 && got.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      got = got.concat(await take(a));
    }
    expect(got).toHaveLength(2);
    expect(await take(b)).toEqual([]);
    expect(await take(a)).toEqual([]);
    // Each payload is the sealed message for the device, the same that retrieveMessages returns.
    expect(new Set(got).size).toBe(2);
  });
});

test('parallel wrong PINs on one account count at most the attempt limit (the account row is locked per request)', async () => {
  const { a, b } = await instances();
  const rp = relyingParty(b);
  await rp.updateServer({ pinAttemptLimit: 3 });
  const origin = fx.tempDir('tapgate-scale-');
  const first = await fx.authenticator({ storage: origin });
  await enrol(first, rp, { userid: 'guessed' });
  const accountId = first.accounts[0].accountId;
  await first.close();

  // Six copies of the device, each guessing once, all at the same moment.
  const N = 6;
  const copies = [];
  for (let i = 0; i < N; i++) {
    const dir = fx.tempDir('tapgate-scale-');
    fs.cpSync(origin, dir, { recursive: true });
    const auth = await fx.authenticator({ storage: dir });
    copies.push(auth);
  }
  const sessions = await Promise.all(
    copies.map(async (auth) => {
      const session = await auth.startSession(await rp.loginQr(rp.newNonce()));
      await reach(session, 'WAIT_FOR_SECOND_FACTOR');
      return session;
    }),
  );
  const verdicts = await Promise.all(sessions.map((s) => s.setPinBiometric({ pin: '0000' }).catch((err) => ({ result: `error ${err.code ?? err.message}` }))));
  const fails = verdicts.filter((v) => v.result === 'PIN_FAIL');
  const blocked = verdicts.filter((v) => v.result === 'PIN_BLOCKED');
  // Each wrong PIN counted once, in turn: attempts left 2 and 1, then blocked, whatever the order.
  expect(fails.map((v) => v.attemptsLeft).sort()).toEqual([1, 2]);
  expect(blocked).toHaveLength(N - 2);
  const account = (await rp.accounts()).accounts.find((x) => x.id === accountId);
  expect(account.pinfailures).toBe(3);
  // Blocked for good: the right PIN no longer helps.
  const later = await copies[0].startSession(await rp.loginQr(rp.newNonce()));
  await reach(later, 'WAIT_FOR_SECOND_FACTOR');
  expect(await later.setPinBiometric({ pin: PIN })).toMatchObject({ result: 'PIN_BLOCKED' });
  expect(a.serverId).toBe(b.serverId);
});
