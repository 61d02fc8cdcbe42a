// Server-side request forgery through Web Push (issue 12, item 2): a device chooses its push
// token, so a `webpush:` subscription could name an internal address for the server to POST to.
// The server refuses such tokens when the device registers them (a 400 the SDK reports), refuses
// to connect to one stored earlier (a local listener counts the connections: none), checks the
// addresses a name resolves to on the very connection it makes, and follows no redirect. Hosts an
// operator allow-lists (TAPGATE_WEBPUSH_ALLOW_HOSTS) are the exception, for private push services
// and tests.
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const { useServer, useServers } = require('./helpers/fixture');
const { relyingParty } = require('./helpers/rp');
const { enrol, eventually, sleep } = require('./helpers/flows');
const { newSubscription } = require('./helpers/push-service');

jest.setTimeout(60_000);

/** A TCP listener on loopback that only counts the connections it gets. */
async function countingListener() {
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    get connections() {
      return connections;
    },
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(resolve);
    }),
  };
}

const webPushToken = (endpoint) => `webpush:${JSON.stringify(newSubscription(endpoint).json)}`;

// The tests after the describe block start servers with other settings through `fx`.
const fx = useServers();
let listener;
beforeAll(async () => {
  listener = fx.closeLater(await countingListener());
});

describe('without an allow-list', () => {
  const env = useServer();
  let auth;
  beforeAll(async () => {
    auth = await env.enrolled({ userid: 'ssrf-victim' });
  });

  test('updatePushToken refuses endpoints on loopback, private, link-local, unique-local, multicast and local names', async () => {
    const p = listener.port;
    const refused = [
      `https://127.0.0.1:${p}/push`, `https://[::1]:${p}/push`, `https://[::ffff:127.0.0.1]:${p}/push`, `https://[::ffff:7f00:1]:${p}/`,
      `https://2130706433:${p}/`, `https://0x7f.1:${p}/`, `https://127.1:${p}/`,  // other spellings of 127.0.0.1
      'https://10.1.2.3/push', 'https://172.16.0.1/push', 'https://192.168.1.1/push', 'https://100.64.0.1/push',
      'https://169.254.169.254/latest/meta-data', 'https://[fe80::1]/push', 'https://[fd00::1]/push', 'https://[fc00::1]/push',
      'https://0.0.0.0/push', 'https://[::]/push', 'https://224.0.0.1/push', 'https://[ff02::1]/push', 'https://255.255.255.255/push',
      'https://[64:ff9b::a9fe:a9fe]/push', 'https://[2002:7f00:1::]/push', 'https://[::ffff:a9fe:a9fe]/push',
      `https://localhost:${p}/push`, 'https://push.localhost/', 'https://intranet/push', 'https://printer.local/push',
      'https://metadata.google.internal/computeMetadata/v1/', 'http://push.example.com/push', 'https://user:pw@push.example.com/push',
    ];
    for (const endpoint of refused) {
      await expect(auth.updatePushToken(webPushToken(endpoint))).rejects.toMatchObject({ name: 'TapgateError' });
    }
    // Not a subscription at all: refused too, rather than stored to fail at every send.
    await expect(auth.updatePushToken('webpush:{"endpoint":"https://push.example.com/x"}')).rejects.toMatchObject({ name: 'TapgateError' });
    expect((await env.rp.accounts()).accounts.find((a) => a.userid === 'ssrf-victim').push).toBeNull();
    expect(listener.connections).toBe(0);
    expect(env.server.output().stderr).not.toMatch(/internal error/);
  });

  test('the device API answers a refused token with a 400 that says why', async () => {
    // Straight at the API: the endpoint is judged before the account proof (403 for a good token).
    const post = async (token) => {
      const res = await fetch(`${env.server.url}/device/v1/pushtoken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          v: 1, accountId: auth.accounts[0].accountId, token, time: Date.now(),
          nonce: Buffer.alloc(32, 1).toString('base64url'), sigAccount: Buffer.alloc(64).toString('base64url'),
        }),
      });
      return { status: res.status, error: (await res.json()).error };
    };
    expect(await post(webPushToken(`https://127.0.0.1:${listener.port}/`))).toEqual({
      status: 400, error: 'push token refused: push endpoint not allowed: 127.0.0.1 is not a public address',
    });
    expect(await post(webPushToken('https://intranet/x'))).toEqual({
      status: 400, error: 'push token refused: push endpoint not allowed: intranet is not a public host name',
    });
    expect((await post(webPushToken('https://push.example.com/x'))).status).toBe(403);
  });

  test('public endpoints and other token kinds are still accepted', async () => {
    await auth.updatePushToken(webPushToken('https://fcm.googleapis.com/fcm/send/abc'));
    await auth.updatePushToken(webPushToken('https://[2607:f8b0:4004:800::200a]/push'));
    await auth.updatePushToken(webPushToken('https://93.184.215.14/push'));
    expect((await env.rp.accounts()).accounts.find((a) => a.userid === 'ssrf-victim').push).toBe('webpush');
    await auth.updatePushToken('relay-token-ssrf');
    expect((await env.rp.accounts()).accounts.find((a) => a.userid === 'ssrf-victim').push).toBe('relay');
  });

  test('an enrolment whose pushToken names an internal endpoint is refused', async () => {
    const device = await env.authenticator();
    await device.updatePushToken(webPushToken(`https://127.0.0.1:${listener.port}/enrol-push`));  // no account yet: kept for enrolments
    const { session } = await enrol(device, env.rp, { userid: 'ssrf-enrol' }).catch((err) => ({ session: null, err }));
    expect(session?.state ?? 'ERROR').toBe('ERROR');
    expect((await env.rp.accounts()).accounts.some((a) => a.userid === 'ssrf-enrol')).toBe(false);
    expect(listener.connections).toBe(0);
  });
});

test('a token stored while its host was allow-listed is not connected to once the allow-list is gone', async () => {
  const dataDir = fx.tempDir('tapgate-ssrf-');
  const auth = await fx.authenticator();
  const allowing = await fx.startServer({ dataDir, env: { TAPGATE_WEBPUSH_ALLOW_HOSTS: '127.0.0.1' } });
  await enrol(auth, relyingParty(allowing), { userid: 'stored-token' });
  await auth.updatePushToken(webPushToken(`https://127.0.0.1:${listener.port}/stored`));
  const accountId = auth.accounts[0].accountId;
  // Allow-listed: the server does connect (the listener is no push service: the push fails).
  const before = listener.connections;
  await relyingParty(allowing).sendMessage(accountId, 'pushed while allowed');
  await eventually(() => listener.connections > before);
  await allowing.stop();

  // Same port: the device keeps the URL it enrolled with.
  const { rootApiKey } = allowing;  // printed once, at the first start only
  const server = await fx.startServer({ dataDir, env: { PORT: String(allowing.port) } });
  const rp = relyingParty({ ...server, rootApiKey });
  const count = listener.connections;
  await rp.sendMessage(accountId, 'must not be pushed');
  await rp.sendMessage(accountId, 'nor this one');
  await eventually(() => /push endpoint not allowed: 127\.0\.0\.1 is not a public address/.test(server.output().stderr));
  await sleep(500);
  expect(listener.connections).toBe(count);
  // The messages still reach the device by pull.
  expect(await auth.retrieveMessages()).toBeGreaterThanOrEqual(2);
});

test('a push service redirect is not followed', async () => {
  const redirects = [];
  const pushService = http.createServer((req, res) => {
    redirects.push(req.url);
    req.resume();
    res.writeHead(307, { location: `http://127.0.0.1:${listener.port}/redirected` }).end();
  });
  await new Promise((resolve) => pushService.listen(0, '127.0.0.1', resolve));
  fx.closeAfterTest(() => {
    pushService.closeAllConnections();
    return new Promise((resolve) => pushService.close(resolve));
  });
  const server = await fx.startServer({ env: { TAPGATE_WEBPUSH_ALLOW_HOSTS: '127.0.0.1', TAPGATE_WEBPUSH_ALLOW_HTTP: '1' } });
  const auth = await fx.authenticator();
  const rp = relyingParty(server);
  await enrol(auth, rp, { userid: 'redirected' });
  await auth.updatePushToken(webPushToken(`http://127.0.0.1:${pushService.address().port}/push/redirect-me`));
  const count = listener.connections;
  await rp.sendMessage(auth.accounts[0].accountId, 'redirected?');
  await eventually(() => /push service answered HTTP 307/.test(server.output().stderr));
  await sleep(300);
  expect(redirects).toEqual(['/push/redirect-me']);
  expect(listener.connections).toBe(count);
});

test('the send-time lookup refuses a name that resolves to a non-public address, on the connection itself', async () => {
  // "localhost" resolves (from /etc/hosts) to loopback: the pinned lookup refuses it before any
  // connection, which is what the server does for every push-service name it is not told to trust.
  const { publicOnlyLookup } = require('@tapgate/server');
  const count = listener.connections;
  const error = await new Promise((resolve) => {
    const req = https.request(`https://localhost:${listener.port}/`, { method: 'POST', lookup: publicOnlyLookup, agent: false }, () => resolve(null));
    req.on('error', resolve);
    req.end();
  });
  expect(error).toMatchObject({ code: 'ERR_PUSH_ADDRESS_REFUSED' });
  expect(error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), not a public address/);
  await sleep(200);
  expect(listener.connections).toBe(count);
});
