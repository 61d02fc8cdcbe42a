// Server signing-key rotation end to end (docs/protocol.md §3, §6.1 `rekey`; server-api.md §1):
// an enrolled app logs in before, during (before and after it pulled the rekey) and after
// retirement; an app that missed the rekey fails after retirement with a typed security error.
const { useServer } = require('./helpers/fixture');
const { driveEnrol, driveLogin } = require('./helpers/flows');

const env = useServer();

const keysCall = (action) =>
  fetch(`${env.server.url}/servers/${env.server.serverId}/keys/${action}`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });

async function enrolled(userid) {
  const auth = await env.authenticator();
  const { session } = await driveEnrol(auth, env.rp, userid);
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  return auth;
}

async function logIn(auth) {
  const { nonce, session } = await driveLogin(auth, env.rp);
  return { session, loggedin: (await env.rp.loginStatus(nonce)).loggedin };
}

test('an enrolled app keeps working across a rotation; one that missed the rekey fails after retirement', async () => {
  const pulling = await enrolled('rotating');
  const missing = await enrolled('offline');
  const keyEvents = [];
  pulling.addEventListener('serverkey', (e) => keyEvents.push(e.detail));
  expect((await logIn(pulling)).loggedin).toBe(true);  // before

  const rotated = await keysCall('rotate');
  expect(rotated.status).toBe(200);
  const info = await rotated.json();
  expect(info.serverpkPrevious).toBeTruthy();
  expect(info.serverpk).not.toBe(info.serverpkPrevious);
  expect(info.serverpkPreviousUntil).toBeGreaterThan(Date.now());
  expect(info.rekeyed).toBe(2);
  // A second rotation during the overlap is refused: devices know at most two keys.
  expect((await keysCall('rotate')).status).toBe(409);
  // New enrol QRs carry the new key (bytes 34..66 of the payload, protocol §2).
  const enrolQr = await env.rp.enrolQr(env.rp.newNonce(), { userid: 'later' });
  expect(Buffer.from(enrolQr.subarray(34, 66)).toString('base64url')).toBe(info.serverpk);

  // During the overlap, before the app pulled the rekey: the old key's sigPrev carries it.
  expect((await logIn(pulling)).loggedin).toBe(true);
  expect((await logIn(missing)).loggedin).toBe(true);
  expect(keyEvents).toEqual([]);

  // The app pulls its messages: the rekey pins the new key and the app hears of it.
  await pulling.retrieveMessages();
  expect(keyEvents).toHaveLength(1);
  expect(keyEvents[0]).toMatchObject({ serverId: env.server.serverId, publicKey: info.serverpk });
  expect((await logIn(pulling)).loggedin).toBe(true);  // during, after the pull

  const retired = await keysCall('retire');
  expect(retired.status).toBe(200);
  expect((await retired.json()).serverpkPrevious).toBeNull();
  expect((await keysCall('retire')).status).toBe(409);

  expect((await logIn(pulling)).loggedin).toBe(true);  // after retirement
  const failed = await logIn(missing);
  expect(failed.loggedin).toBe(false);
  expect(failed.session.historyStatus).toBe('ERROR');
  expect(failed.session.error).toMatchObject({ code: 'SERVER_AUTHENTICATION_ERROR', kind: 'security' });
});

test('keys/rotate and keys/retire need the servers permission', async () => {
  const res = await fetch(`${env.server.url}/apikeys/?permissions=sessions`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });
  const { apikey } = await res.json();
  const call = (action, key) => fetch(`${env.server.url}/servers/${env.server.serverId}/keys/${action}`, { method: 'POST', headers: { 'X-apikey': key } });
  expect((await call('rotate', apikey)).status).toBe(403);
  expect((await call('retire', apikey)).status).toBe(403);
  expect((await fetch(`${env.server.url}/servers/${env.server.serverId}/keys/rotate`, { headers: { 'X-apikey': env.server.rootApiKey } })).status).toBe(405);
});

test('the overlap ends by itself after TAPGATE_KEY_OVERLAP_S', async () => {
  const short = await env.startServer({ env: { TAPGATE_KEY_OVERLAP_S: '1' } });
  const res = await fetch(`${short.url}/servers/${short.serverId}/keys/rotate`, { method: 'POST', headers: { 'X-apikey': short.rootApiKey } });
  expect((await res.json()).serverpkPrevious).toBeTruthy();
  await new Promise((r) => setTimeout(r, 1500));
  const info = await (await fetch(`${short.url}/servers/${short.serverId}/`, { headers: { 'X-apikey': short.rootApiKey } })).json();
  expect(info.serverpkPrevious).toBeNull();
});
