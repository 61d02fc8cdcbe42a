// Captured device requests used again, and what someone who only saw a QR can do (issue 12:
// items 4 and 9, the session-id denial of service of docs/security.md). The requests are the SDK's
// own, read from the fetch it was given, and sent again byte for byte to the real server.
const { Authenticator } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { reach } = require('./helpers/rp');
const { PIN, enrol, sleep, eventually } = require('./helpers/flows');

const env = useServer();

/** An authenticator whose every request (and the answer it got) is kept in `sent`. */
async function recordingApp(userid) {
  const sent = [];
  const auth = await Authenticator.create({
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      const text = await res.text();
      sent.push({ path: new URL(url).pathname.replace(/^\/device/, ''), url, body: init.body, status: res.status, text });
      return { status: res.status, text: async () => text };
    },
  });
  env.closeAfterTest(auth);
  await enrol(auth, env.rp, { userid });
  return { auth, sent, account: auth.accounts[0] };
}

const last = (sent, path) => sent.filter((r) => r.path === path).at(-1);

/** The same bytes again, as whoever captured them would send them. */
async function replay(request) {
  const res = await fetch(request.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function loginOn(auth, nonce) {
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  return session;
}

describe('replayed device calls (issue 12 item 4)', () => {
  test('a replayed /v1/logout does not end a later login of the same account on the same nonce', async () => {
    await env.rp.updateServer({ pingTime: 60 });
    try {
      const { auth, sent } = await recordingApp('replay-logout');
      const nonce = env.rp.newNonce();
      const first = await loginOn(auth, nonce);
      await first.stopSession();
      for (let i = 0; i < 100 && !last(sent, '/v1/logout'); i++) await sleep(20);  // fire-and-forget
      const logout = last(sent, '/v1/logout');
      expect(logout).toBeDefined();
      expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);

      const second = await loginOn(auth, nonce);  // a new QR for the same relying-party session
      expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
      expect((await replay(logout)).status).toBe(200);  // accepted as a logout of the first login, which is over
      expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
      expect(second.state).toBe('ACTIVE');
      await second.stopSession();
      // The genuine logout still works; it is fire-and-forget, so the relying party sees it a moment later.
      await eventually(async () => !(await env.rp.loginStatus(nonce)).loggedin, 5_000, 20);
    } finally {
      await env.rp.updateServer({ pingTime: 0 });
    }
  });

  test('a replayed /v1/pushtoken does not put the older token back', async () => {
    const { auth, sent, account } = await recordingApp('replay-push');
    await auth.updatePushToken('replay-token-a');
    const older = last(sent, '/v1/pushtoken');
    await auth.updatePushToken('replay-token-b');
    const res = await replay(older);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ error: 'the account proof is not accepted' });
    // The server pushes to the token it holds: a message reaches b's relay queue, none reaches a's.
    await env.rp.sendMessage(account.accountId, 'which token?');
    const queue = async (token) => (await (await fetch(`${env.server.url}/relay/v1/${token}`)).json()).messages;
    expect(await queue('replay-token-a')).toHaveLength(0);
    expect(await queue('replay-token-b')).toHaveLength(1);
  });

  test('200 replays of one /v1/applogin open no session besides the genuine one', async () => {
    await env.rp.updateServer({ pingTime: 0 });
    const { auth, sent } = await recordingApp('replay-applogin');
    await env.rp.updateServer({ pingTime: 30 });
    try {
      const session = await auth.startAppLogin();
      await reach(session, 'WAIT_FOR_SECOND_FACTOR');
      const appLogin = last(sent, '/v1/applogin');
      expect(appLogin.status).toBe(200);
      const answers = [];
      for (let i = 0; i < 200; i++) answers.push((await replay(appLogin)).status);
      expect(answers.filter((s) => s === 200)).toHaveLength(0);
      expect(new Set(answers)).toEqual(new Set([403]));  // signed error 48: the request is not fresh
      expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
      expect((await env.rp.loginStatus(session.appLogin.webNonce)).loggedin).toBe(true);
      await session.stopSession();
    } finally {
      await env.rp.updateServer({ pingTime: 0 });
    }
  });
});

describe('someone who only saw the QR (session-id denial of service)', () => {
  test('can neither cancel the session nor break the device login by starting it again', async () => {
    const { auth, sent } = await recordingApp('qr-watcher');
    const nonce = env.rp.newNonce();
    const qr = await env.rp.loginQr(nonce);
    const session = await auth.startSession(qr);
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    const started = last(sent, '/v1/start');
    const sessionId = Buffer.from(qr.subarray(18, 34)).toString('base64url');
    const post = (path, body) => fetch(`${env.server.url}/device${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    // Cancel without the proof, or with a guessed one.
    expect((await post('/v1/cancel', { v: 1, session: sessionId })).status).toBe(400);
    expect((await post('/v1/cancel', { v: 1, session: sessionId, proof: Buffer.alloc(32, 1).toString('base64url') })).status).toBe(403);
    // Start it again with a nonce of one's own: a signed error 53, nothing changes.
    const restart = await post('/v1/start', { v: 1, qr: Buffer.from(qr).toString('base64url'), nonce: Buffer.alloc(32, 2).toString('base64url') });
    expect(restart.status).toBe(404);
    expect(JSON.parse(JSON.parse(await restart.text()).body)).toMatchObject({ error: { code: 53 } });
    // The device's own start, repeated byte for byte (a retry), gets the answer it got.
    const again = await replay(started);
    expect(again.status).toBe(200);
    expect(again.text).toBe(started.text);

    expect((await env.rp.loginStatus(nonce)).cancelled).toBe(false);
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, cancelled: false });
  });

  test('the device itself still cancels: stopping a started session shows cancelled to the relying party', async () => {
    const { auth } = await recordingApp('qr-cancel');
    const nonce = env.rp.newNonce();
    const session = await auth.startSession(await env.rp.loginQr(nonce));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    await session.stopSession();
    for (let i = 0; i < 50 && !(await env.rp.loginStatus(nonce)).cancelled; i++) await sleep(50);
    expect((await env.rp.loginStatus(nonce)).cancelled).toBe(true);
  });
});

describe('account enumeration (issue 12 item 9)', () => {
  /** Status, JSON shape (keys, value types and lengths), length and headers: what tells two answers apart. */
  async function observe(path, body) {
    const res = await fetch(`${env.server.url}/device${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    const shape = (v) => (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : `${typeof v}:${String(v).length}`);
    // The date differs, and the request id is random per request: only its presence and length count.
    const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== 'date').map(([k, v]) => [k, k === 'x-request-id' ? v.length : v]));
    return { status: res.status, shape: shape(JSON.parse(text)), length: text.length, headers };
  }

  test('an existing and an unknown account id get indistinguishable answers', async () => {
    const { account } = await recordingApp('enumerated');
    const known = account.accountId;
    const unknown = known + 100000;
    const b = (n, fill) => Buffer.alloc(n, fill).toString('base64url');
    const requests = (accountId) => [
      ['/v1/pincheck/challenge', { v: 1, accountId }],
      ['/v1/pincheck', { v: 1, accountId, challenge: b(32, 3), sigAccount: b(64, 4), sigPin: b(64, 5) }],
      ['/v1/factors', { v: 1, accountId, challenge: b(32, 3), change: 'REMOVE_BIOMETRIC', sigAccount: b(64, 4) }],
      ['/v1/pushtoken', { v: 1, accountId, token: 'enumerate', time: Date.now(), nonce: b(32, 6), sigAccount: b(64, 4) }],
      ['/v1/factors/commit', { v: 1, accountId, pinPk: b(32, 7), sigAccount: b(64, 4) }],
      ['/v1/account/delete', { v: 1, accountId, nonce: b(32, 8), sigAccount: b(64, 4) }],
    ];
    const expected = { '/v1/pincheck/challenge': 200, '/v1/pincheck': 404, '/v1/factors': 404, '/v1/pushtoken': 403, '/v1/factors/commit': 403, '/v1/account/delete': 403 };
    const a = requests(known);
    const u = requests(unknown);
    for (let i = 0; i < a.length; i++) {
      const [path] = a[i];
      const forKnown = await observe(...a[i]);
      const forUnknown = await observe(...u[i]);
      expect({ path, ...forUnknown }).toEqual({ path, ...forKnown });
      expect({ path, status: forKnown.status }).toEqual({ path, status: expected[path] });
    }
    expect((await env.rp.accounts()).accounts.some((x) => x.id === known)).toBe(true);  // the bad proofs deleted nothing
  });
});
