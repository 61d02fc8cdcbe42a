// The relying parties' live status channel (GET /servers/{sid}/sessions/events, server-sent
// events) against a real server process driven by the Node SDK: each change of a relying-party
// session arrives as one event, in order, on that session's streams only. Then, in process, a
// closed stream lets go of its listener.
const { useServer } = require('./helpers/fixture');
const { reach } = require('./helpers/rp');
const { PIN, eventually } = require('./helpers/flows');
const { openEventStream } = require('./helpers/sse');

const env = useServer();
let auth;

const eventsUrl = () => `${env.server.url}/servers/${env.server.serverId}/sessions/events`;
async function statusStream(nonce) {
  const stream = env.closeLater(await openEventStream(eventsUrl(), { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce }));
  await stream.next('status');
  return stream;
}

beforeAll(async () => {
  auth = await env.enrolled({ userid: 'stella' });
});

test('the stream needs the API key and a nonce, and answers text/event-stream with the LoginStatus first', async () => {
  await expect(openEventStream(eventsUrl(), { 'X-nonce': 'n1' })).rejects.toThrow(/HTTP 401/);
  await expect(openEventStream(eventsUrl(), { 'X-apikey': env.server.rootApiKey })).rejects.toThrow(/HTTP 400/);
  const stream = env.closeLater(await openEventStream(eventsUrl(), { 'X-apikey': env.server.rootApiKey, 'X-nonce': env.rp.newNonce() }));
  expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(await stream.next('status')).toMatchObject({ loggedin: false, scanned: false, canprovoke: false, userid: null });
});

test('a QR login, a push login and a logout arrive as qr, scanned, loggedin, canprovoke, …, loggedout in order', async () => {
  const nonce = env.rp.newNonce();
  const stream = await statusStream(nonce);
  const other = await statusStream(env.rp.newNonce());

  const session = await auth.startSession(await env.rp.loginQr(nonce));
  const qr = await stream.next('qr');
  expect(await stream.next('scanned')).toEqual({ event: 'scanned', hsid: qr.hsid });
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.setPinBiometric({ pin: PIN });
  const loggedin = await stream.next('loggedin');
  expect(loggedin).toEqual({ event: 'loggedin', hsid: qr.hsid, userid: 'stella', accountid: auth.accounts[0].accountId });
  expect(await stream.next('canprovoke')).toMatchObject({ accountid: auth.accounts[0].accountId });
  expect((await env.rp.loginStatus(nonce)).canprovoke).toBe(true);

  // A push login on the same session: a new QR session, logged in again. The message carries
  // its start response, so the server first hears of the device at its login: scanned then.
  const pushed = new Promise((resolve) => auth.addEventListener('session', (e) => resolve(e.detail.session), { once: true }));
  expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
  const pushQr = await stream.next('qr');
  expect(pushQr.hsid).not.toBe(qr.hsid);
  const pushSession = await auth.retrieveMessages().then(() => pushed);
  await reach(pushSession, 'WAIT_FOR_SECOND_FACTOR');
  await pushSession.setPinBiometric({ pin: PIN });
  expect(await stream.next('scanned')).toEqual({ event: 'scanned', hsid: pushQr.hsid });
  expect(await stream.next('loggedin')).toMatchObject({ hsid: pushQr.hsid, userid: 'stella' });

  await env.rp.logout(nonce);
  expect(await stream.next('loggedout')).toMatchObject({ hsid: pushQr.hsid, userid: 'stella' });
  expect(stream.names()).toEqual(['status', 'qr', 'scanned', 'loggedin', 'canprovoke', 'qr', 'scanned', 'loggedin', 'loggedout']);
  // Another relying-party session heard nothing of it.
  expect(other.names()).toEqual(['status']);
});

test('registerUser on a logged-in session arrives as registered, with the new userid', async () => {
  const nonce = env.rp.newNonce();
  const stream = await statusStream(nonce);
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.setPinBiometric({ pin: PIN });
  const loggedin = await stream.next('loggedin');
  expect(await env.rp.registerUser(nonce, 'stella-renamed')).toEqual({ result: true });
  expect(await stream.next('registered')).toEqual({ event: 'registered', hsid: loggedin.hsid, userid: 'stella-renamed', accountid: auth.accounts[0].accountId });
  expect(stream.names()).toEqual(['status', 'qr', 'scanned', 'loggedin', 'canprovoke', 'registered']);
  expect(await env.rp.registerUser(nonce, 'stella')).toEqual({ result: true });  // as before, for the tests that follow
  await stream.next('registered');
});

test('a login rejected on the device arrives as cancelled', async () => {
  const nonce = env.rp.newNonce();
  const stream = await statusStream(nonce);
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  await stream.next('scanned');
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.stopSession();
  await stream.next('cancelled');
  expect(stream.names()).toEqual(['status', 'qr', 'scanned', 'cancelled']);
});

test('a continuous login whose device goes silent arrives as loggedout without anyone polling', async () => {
  await env.rp.updateServer({ pingTime: 1 });
  const device = await env.enrolled({ userid: 'silent' });
  try {
    const nonce = env.rp.newNonce();
    const stream = await statusStream(nonce);
    const session = await device.startSession(await env.rp.loginQr(nonce));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    await session.setPinBiometric({ pin: PIN });
    await stream.next('loggedin');
    await device.close();  // no more pings, no logout: the server finds out by the clock
    expect(await stream.next('loggedout', 20_000)).toMatchObject({ userid: 'silent' });
  } finally {
    await env.rp.updateServer({ pingTime: 0 });
  }
}, 40_000);

test('a closed stream releases its listener (in process)', async () => {
  // On the PostgreSQL run, in process on a fresh database too.
  const { tapgate, url: origin } = await env.startInProcess(({ databaseUrl }) => ({ dbPath: ':memory:', databaseUrl, publicUrl: 'http://127.0.0.1:1' }));
  const url = `${origin}/servers/${tapgate.serverId}/sessions/events`;
  const headers = { 'X-apikey': tapgate.rootApiKey, 'X-nonce': 'same-nonce' };
  const a = await openEventStream(url, headers);
  const b = await openEventStream(url, headers);
  await Promise.all([a.next('status'), b.next('status')]);
  expect(tapgate.openStatusStreams).toBe(2);
  a.close();
  await eventually(() => tapgate.openStatusStreams === 1);
  b.close();
  await eventually(() => tapgate.openStatusStreams === 0);
});
