// The typed relying-party client (@tapgate/server/client, server/src/client/) against a real
// server process: every operation of /openapi.json is a method and every model matches its
// schema; the main flows run through it with a real Node SDK authenticator; each error kind comes
// from a real cause (a wrong key, a stopped server, a rate limit) or, for answers no real server
// gives, a deliberate fake one (node:http here); the status-channel iterator survives a cut stream.
'use strict';
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { TapgateClient, TapgateApiError, MODEL_SHAPES } = require('@tapgate/server/client');
const { useServer } = require('./helpers/fixture');
const { reach } = require('./helpers/rp');
const { PIN, enrol: enrolBy, eventually } = require('./helpers/flows');

jest.setTimeout(60_000);

// With the OpenID provider on: its client registry is part of the API.
const env = useServer({ env: { TAPGATE_OIDC: '1' } });
let server;
let client;
let auth;
let sid;
const newNonce = () => randomBytes(16).toString('base64url');

beforeAll(async () => {
  server = env.server;
  sid = server.serverId;
  client = new TapgateClient({ baseUrl: server.url, apiKey: server.rootApiKey });
  auth = await env.authenticator();
});

/** Enrols `userid` on the server through the client; resolves with the enrolment's nonce. */
async function enrol(userid) {
  const byClient = { newNonce, enrolQr: (nonce, names) => client.getEnrolQr(sid, nonce, names) };
  return (await enrolBy(auth, byClient, { userid, finished: true })).nonce;
}

/** Logs in from `qr` (payload bytes) answering the PIN prompt. */
async function loginWith(qr) {
  const session = await auth.startSession(qr);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.setPinBiometric({ pin: PIN });
  return session;
}

/** Reads a SessionEventStream in the background; `until(name)` resolves with the next such event. */
function collect(stream) {
  const events = [];
  const waiters = [];
  let read = 0;
  let failure = null;
  const settle = () => {
    for (const w of [...waiters]) {
      const i = events.findIndex((e, k) => k >= read && e.event === w.name);
      if (i >= 0) {
        read = i + 1;
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(events[i]);
      } else if (failure || ended) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.reject(failure ?? new Error(`the stream ended before a '${w.name}' event`));
      }
    }
  };
  let ended = false;
  const done = (async () => {
    try {
      for await (const e of stream) {
        events.push(e);
        settle();
      }
    } catch (err) {
      failure = err;
    }
    ended = true;
    settle();
  })();
  return {
    events,
    names: () => events.map((e) => e.event),
    done,
    get failure() {
      return failure;
    },
    until(name, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const w = { name, resolve, reject };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no '${name}' event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`));
        }, timeoutMs);
        waiters.push(w);
        settle();
      });
    },
  };
}

/** Resolves with the TapgateApiError the call rejects with (failing if it resolves or throws anything else). */
async function apiError(promise) {
  const err = await promise.then(() => null, (e) => e);
  expect(err).toBeInstanceOf(TapgateApiError);
  return err;
}

/** A node:http server answering with `handler`; cut() drops its connections, close() also stops listening. */
async function fakeServer(handler) {
  const sockets = new Set();
  const srv = http.createServer(handler);
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      srv.close(() => resolve());
    }),
  };
}

describe('coverage of /openapi.json', () => {
  let doc;
  beforeAll(async () => {
    doc = await client.openapi();
  });

  const operationIds = () =>
    Object.values(doc.paths).flatMap((item) => ['get', 'put', 'post', 'delete', 'patch'].filter((m) => item[m]).map((m) => item[m].operationId));

  test('every operationId is a method of TapgateClient, and every other public method is one of the two stream helpers', () => {
    const documented = operationIds();
    expect(documented.length).toBeGreaterThan(30);
    const methods = Object.getOwnPropertyNames(TapgateClient.prototype).filter((n) => n !== 'constructor');
    const missing = documented.filter((op) => typeof TapgateClient.prototype[op] !== 'function');
    expect(missing).toEqual([]);
    expect(methods.filter((m) => !documented.includes(m)).sort()).toEqual(['sessionEvents', 'waitForLogin']);
  });

  /** A schema reduced to what the client checks: JSON types, const, enum values, properties, required. */
  function normalise(schema) {
    if (schema.$ref) return normalise(doc.components.schemas[schema.$ref.split('/').pop()]);
    const types = new Set([schema.type ?? []].flat());
    for (const v of schema.enum ?? []) types.add(v === null ? 'null' : typeof v);
    if ('const' in schema) types.add(typeof schema.const);
    const out = { types: [...types].sort() };
    if ('const' in schema) out.const = schema.const;
    if (schema.enum) out.enum = [...schema.enum].sort();
    if (schema.items) out.items = normalise(schema.items);
    if (schema.properties) {
      out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, normalise(v)]));
      out.required = [...(schema.required ?? [])].sort();
    }
    return out;
  }

  test('every model the client checks matches its schema in the document field by field', () => {
    for (const [name, shape] of Object.entries(MODEL_SHAPES)) {
      expect({ name, schema: normalise(shape.schema) }).toEqual({ name, schema: normalise(doc.components.schemas[name]) });
    }
  });

  test('every JSON model a 200 answer documents is one the client checks', () => {
    const answered = new Set();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        const schema = op?.responses?.['200']?.content?.['application/json']?.schema;
        if (schema?.$ref) answered.add(schema.$ref.split('/').pop());
      }
    }
    expect([...answered].filter((name) => !MODEL_SHAPES[name])).toEqual([]);
  });
});

describe('the main flows through the client', () => {
  test('servers: list, create, get, update (also sending GET back), rotate and retire the key', async () => {
    const list = await client.listServers({ limit: 10 });
    expect(list.servers.map((s) => s.serverid)).toContain(sid);
    const created = await client.createServer({ serverName: 'Client test', pingTime: 0, pinAttemptLimit: 4 });
    expect(created).toMatchObject({ serverName: 'Client test', pinAttemptLimit: 4, accountCount: 0 });
    expect(await client.getServer(created.serverid)).toEqual(created);
    const renamed = await client.updateServer(created.serverid, { serverName: 'Renamed', pinTimeout: 5 });
    expect(renamed).toMatchObject({ serverName: 'Renamed', pinTimeout: 5, pinAttemptLimit: 4 });
    expect(await client.updateServer(created.serverid, { ...renamed, logo: 'https://rp.example/logo.png' })).toMatchObject({ logo: 'https://rp.example/logo.png' });
    const rotated = await client.rotateServerKey(created.serverid);
    expect(rotated).toMatchObject({ rekeyed: 0, serverpkPrevious: created.serverpk });
    expect(rotated.serverpk).not.toBe(created.serverpk);
    expect(await client.retireServerKey(created.serverid)).toMatchObject({ serverpkPrevious: null, serverpkPreviousUntil: null });
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toEqual({ status: 'ready' });
  });

  test('QR codes: the payload bytes, and a PNG of the same payload', async () => {
    const nonce = newNonce();
    const payload = await client.getLoginQr(sid, nonce);
    expect(payload).toBeInstanceOf(Uint8Array);
    expect(payload.length).toBeGreaterThan(16);
    const png = await client.getLoginQr(sid, nonce, { img: 'png', s: 160, usercontext: { announceinfo: { info: { origin: 'https://rp.example' } } } });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // The PNG carries a (newer) QR session of the same kind and server: same length, another id.
    const scanned = await auth.scanQr(png);
    expect(scanned.length).toBe(payload.length);
    expect(Buffer.from(scanned)).not.toEqual(Buffer.from(payload));
    const status = await client.getLoginStatus(sid, nonce);
    expect(Buffer.from(status.loginqrdata, 'base64url')).toEqual(Buffer.from(scanned));
    expect(status).toMatchObject({ loggedin: false, scanned: false, cancelled: false });
  });

  test('enrol and log in with the Node SDK; the iterator sees qr, scanned, loggedin, loggedout; waitForLogin; logout', async () => {
    await enrol('alice');
    const nonce = newNonce();
    const controller = new AbortController();
    const stream = collect(client.sessionEvents(sid, nonce, { signal: controller.signal }));
    const first = await stream.until('status');
    expect(first.status).toMatchObject({ loggedin: false, hsid: null });

    const waited = client.waitForLogin(sid, nonce, { timeoutMs: 20_000 });
    // A login from the PNG, as a phone camera would read it.
    const session = await loginWith(await auth.scanQr(await client.getLoginQr(sid, nonce, { img: 'png' })));
    const qr = await stream.until('qr');
    expect((await stream.until('scanned')).hsid).toBe(qr.hsid);
    const loggedin = await stream.until('loggedin');
    expect(loggedin).toMatchObject({ hsid: qr.hsid, userid: 'alice', accountid: session.account.accountId });
    expect(stream.names().slice(0, 4)).toEqual(['status', 'qr', 'scanned', 'loggedin']);

    const status = await waited;
    expect(status).toMatchObject({ loggedin: true, userid: 'alice', accountid: session.account.accountId });
    expect(typeof status.pk).toBe('string');
    expect(await client.getLoginStatus(sid, nonce)).toEqual(status);
    // Already logged in: at once, from the first `status` event.
    expect(await client.waitForLogin(sid, nonce, { timeoutMs: 5_000 })).toEqual(status);

    expect(await client.registerUser(sid, nonce, 'alice')).toEqual({ result: true });
    expect(await client.logout(sid, nonce)).toEqual({ result: true });
    expect(await stream.until('loggedout')).toMatchObject({ userid: 'alice', accountid: session.account.accountId });
    expect((await client.getLoginStatus(sid, nonce)).loggedin).toBe(false);

    controller.abort();
    await stream.done;
    expect(stream.failure).toBeNull();
  });

  test('waitForLogin gives up with a timeout error, and with an aborted one when its signal aborts', async () => {
    const timedOut = await apiError(client.waitForLogin(sid, newNonce(), { timeoutMs: 300 }));
    expect(timedOut).toMatchObject({ kind: 'timeout', operationId: 'statusChannel' });
    const controller = new AbortController();
    const waiting = client.waitForLogin(sid, newNonce(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await apiError(waiting)).toMatchObject({ kind: 'aborted' });
  });

  test('transactions, push login, accounts and users: list, get, block, relink, message, delete', async () => {
    // Logged in while alice is the only account (more would make the device ask which one).
    const nonce = newNonce();
    await loginWith(await client.getLoginQr(sid, nonce));
    await client.waitForLogin(sid, nonce, { timeoutMs: 20_000 });
    await enrol('bob');
    await enrol('carol');
    const tx = await client.createTransaction(sid, nonce, { amount: 'EUR 5', beneficiary: 'J. Doe', description: 'rent' });
    expect(await client.getTransaction(sid, tx.tid)).toMatchObject({ tid: tx.tid, tstatus: 'PENDING', amount: 'EUR 5', beneficiary: 'J. Doe', signature: null });
    expect(await client.provokeLogin(sid, nonce, { usercontext: { announceinfo: { info: { action: 'again' } } } })).toEqual({ result: true, matchcode: null });

    const { accounts, totalnumber } = await client.listAccounts(sid, { sort: ['userid:asc', 'created'], filter: { blocked: false } });
    expect(accounts.map((a) => a.userid)).toEqual(['alice', 'bob', 'carol']);
    expect(totalnumber).toBe(3);
    const bob = accounts.find((a) => a.userid === 'bob');
    expect(await client.getAccount(sid, bob.id)).toEqual(bob);
    expect((await client.updateAccount(sid, bob.id, { blocked: true })).blocked).toBe(true);
    expect((await client.listAccounts(sid, { filter: { blocked: true } })).accounts.map((a) => a.id)).toEqual([bob.id]);
    expect((await client.updateAccount(sid, bob.id, { blocked: false })).blocked).toBe(false);
    expect((await client.updateAccountUser(sid, bob.id, 'robert')).userid).toBe('robert');
    expect(await client.unblockPin(sid, bob.id)).toMatchObject({ id: bob.id, pinfailures: 0 });
    expect(await client.sendMessage(sid, bob.id, { text: 'hello', data: { k: 'v' } })).toEqual({ result: true });
    expect(await client.provokeLoginOnAccount(sid, bob.id, newNonce())).toEqual({ result: true, matchcode: null });

    const users = await client.getUsers(sid, { search: 'ROB', sort: 'userid' });
    expect(users).toMatchObject({ users: [{ userid: 'robert', numberaccounts: 1 }], totalnumber: 1 });
    expect((await client.getUser(sid, 'robert')).accounts.map((a) => a.id)).toEqual([bob.id]);
    expect(await client.provokeLoginOnUser(sid, 'robert', newNonce(), { secondfactor: 'required' })).toMatchObject({ result: true, accountids: expect.any(Array) });
    expect(await client.deleteAccount(sid, bob.id)).toEqual({ result: true });
    expect(await apiError(client.getAccount(sid, bob.id))).toMatchObject({ kind: 'not_found', status: 404, message: 'unknown account' });
    expect(await client.deleteUser(sid, 'carol')).toEqual({ result: true, deleted: 1 });
    await enrol('dave');
    expect(await client.deleteUserAccounts(sid, 'dave')).toEqual({ result: true, deleted: 1 });
    expect((await client.listAccounts(sid)).accounts.map((a) => a.userid)).toEqual(['alice']);
  });

  test('OpenID clients: register (the secret shown once), list, get, delete; bad metadata is bad_request', async () => {
    const created = await client.createOidcClient(sid, { client_name: 'Typed RP', redirect_uris: ['https://rp.example/cb'] });
    expect(created).toMatchObject({ client_name: 'Typed RP', tapgate_server: sid, token_endpoint_auth_method: 'client_secret_basic' });
    expect(typeof created.client_secret).toBe('string');
    const read = await client.getOidcClient(sid, created.client_id);
    expect(read.client_secret).toBeUndefined();
    expect((await client.listOidcClients(sid)).clients.map((c) => c.client_id)).toContain(created.client_id);
    await expect(client.createOidcClient(sid, { redirect_uris: ['not a url'] })).rejects.toMatchObject({ kind: 'bad_request', operationId: 'createOidcClient' });
    expect(await client.deleteOidcClient(sid, created.client_id)).toEqual({ result: true });
    await expect(client.getOidcClient(sid, created.client_id)).rejects.toMatchObject({ kind: 'not_found', status: 404 });
  });

  test('API keys and permissions: a key limited to sessions is forbidden elsewhere until a role permission is added', async () => {
    const key = await client.createApiKey({ description: 'client test', permissions: ['sessions'], serverid: sid });
    expect(key.apikey).toContain('.');
    expect(key.permissions).toEqual([{ acl: 'sessions', server: sid }]);
    expect((await client.getApiKeys()).apikeys.map((k) => k.id)).toContain(key.id);
    const limited = new TapgateClient({ baseUrl: server.url, apiKey: key.apikey });
    expect((await limited.getLoginStatus(sid, newNonce())).loggedin).toBe(false);
    const forbidden = await apiError(limited.listAccounts(sid));
    expect(forbidden).toMatchObject({ kind: 'forbidden', status: 403, operationId: 'listAccounts', required: ['accounts'] });

    expect((await client.addRolePermissions(sid, key.id, ['accounts'])).permissions.map((p) => p.acl).sort()).toEqual(['accounts', 'sessions']);
    expect((await client.getRolePermissions(sid, key.id)).permissions).toContainEqual({ acl: 'accounts', role: key.id, server: sid });
    expect((await client.getPermissions(sid)).permissions.filter((p) => p.role === key.id)).toHaveLength(2);
    expect((await limited.listAccounts(sid)).totalnumber).toBeGreaterThan(0);
    expect((await client.deleteRolePermissions(sid, key.id, ['accounts'])).permissions.map((p) => p.acl)).toEqual(['sessions']);
    expect(await apiError(limited.listAccounts(sid))).toMatchObject({ kind: 'forbidden' });

    expect(await client.deleteApiKey(key.id)).toEqual({ result: true });
    expect(await apiError(limited.getLoginStatus(sid, newNonce()))).toMatchObject({ kind: 'unauthorized', status: 401 });
  });
});

describe('errors as typed values', () => {
  test('a wrong key is unauthorized, an unknown server not_found, a bad body bad_request, a conflict conflict', async () => {
    const wrongKey = new TapgateClient({ baseUrl: server.url, apiKey: 'tgnope.nope' });
    expect(await apiError(wrongKey.getServer(sid))).toMatchObject({
      kind: 'unauthorized', status: 401, operationId: 'getServer', message: 'missing or wrong X-apikey', body: { error: 'missing or wrong X-apikey' },
    });
    const unknown = randomBytes(16).toString('base64url');
    expect(await apiError(client.getServer(unknown))).toMatchObject({ kind: 'not_found', status: 404, message: 'unknown server' });
    expect(await apiError(client.createServer({ serverName: '' }))).toMatchObject({ kind: 'bad_request', status: 400, operationId: 'createServer' });
    const range = await apiError(client.updateServer(sid, { pingTime: 999_999 }));
    expect(range).toMatchObject({ kind: 'bad_request', message: 'pingTime must be an integer in 0..86400' });
    expect(await apiError(client.registerUser(sid, newNonce(), 'x'))).toMatchObject({ kind: 'conflict', status: 409 });
  });

  test('a rate limit is rate_limited with retryAfter; a stopped server is network, never a bare TypeError', async () => {
    const limited = await env.startServer({ env: { TAPGATE_RP_RATE: '0.01', TAPGATE_RP_BURST: '1' } });
    const c = new TapgateClient({ baseUrl: limited.url, apiKey: limited.rootApiKey });
    await c.getServer(limited.serverId);
    const err = await apiError(c.getServer(limited.serverId));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, message: 'rate limit exceeded' });
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    await limited.stop();
    const down = await apiError(c.getServer(limited.serverId));
    expect(down).toMatchObject({ kind: 'network', status: null, operationId: 'getServer' });
    expect(down.message).toMatch(/ECONNREFUSED|closed|reset/i);
  });

  test('answers no real server gives are bad_response: not JSON, cut off, mis-shaped, wrong type, undocumented status', async () => {
    const fake = await fakeServer((req, res) => {
      const route = new URL(req.url, 'http://x').pathname;
      if (route === '/servers/html') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html>login page of a captive portal</html>');
      } else if (route === '/servers/truncated') {
        res.writeHead(200, { 'Content-Type': 'application/json' });  // chunked, ends in the middle of the JSON
        res.end('{"serverid":"abc","serverpk":');
      } else if (route === '/servers/cut') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '400' });
        res.write('{"serverid":"abc"');
        setTimeout(() => res.socket.destroy(), 20);
      } else if (route === '/servers/misshaped') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ serverid: 'abc', serverpk: 'pk', serverName: 7 }));
      } else if (route === '/servers/teapot') {
        res.writeHead(418, { 'Content-Type': 'text/plain' });
        res.end('short and stout');
      } else if (route === '/servers/gateway') {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end('<html>502 Bad Gateway</html>');
      } else if (route === '/servers/qr/sessions/qr/login') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"error":"not a QR"}');
      }
    });
    try {
      const c = new TapgateClient({ baseUrl: fake.url, apiKey: 'k' });
      expect(await apiError(c.getServer('html'))).toMatchObject({ kind: 'bad_response', status: 200, operationId: 'getServer' });
      expect(await apiError(c.getServer('truncated'))).toMatchObject({ kind: 'bad_response', message: expect.stringContaining('not JSON') });
      expect(await apiError(c.getServer('cut'))).toMatchObject({ kind: 'bad_response', message: expect.stringContaining('cut off') });
      expect(await apiError(c.getServer('misshaped'))).toMatchObject({ kind: 'bad_response', message: expect.stringContaining('answer.serverName: expected string') });
      expect(await apiError(c.getServer('teapot'))).toMatchObject({ kind: 'bad_response', status: 418, body: 'short and stout' });
      expect(await apiError(c.getServer('gateway'))).toMatchObject({ kind: 'server', status: 502, message: 'HTTP 502' });
      expect(await apiError(c.getLoginQr('qr', 'n'))).toMatchObject({ kind: 'bad_response', operationId: 'getLoginQr' });
    } finally {
      await fake.close();
    }
  });

  test('a hanging server is timeout (no headers, and headers without the body); an aborted call is aborted', async () => {
    const fake = await fakeServer((req, res) => {
      if (req.url.startsWith('/servers/headers-only')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{');
      }
      // otherwise: never answer
    });
    try {
      const c = new TapgateClient({ baseUrl: fake.url, apiKey: 'k', timeoutMs: 300 });
      const started = Date.now();
      expect(await apiError(c.getServer('silent'))).toMatchObject({ kind: 'timeout', status: null, operationId: 'getServer' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await apiError(c.getServer('headers-only'))).toMatchObject({ kind: 'timeout', status: 200 });
      expect(await apiError(c.getLoginStatus('silent', 'n', { timeoutMs: 100 }))).toMatchObject({ kind: 'timeout' });
      const controller = new AbortController();
      const call = c.getServer('silent', { signal: controller.signal, timeoutMs: 10_000 });
      setTimeout(() => controller.abort(), 50);
      expect(await apiError(call)).toMatchObject({ kind: 'aborted', operationId: 'getServer' });
    } finally {
      await fake.close();
    }
  });
});

describe('the status channel iterator', () => {
  /** A streaming proxy to the real server; cut() drops every connection it holds, and it goes on listening. */
  async function cuttingProxy(target) {
    let streams = 0;
    let opened = 0;
    const proxy = await fakeServer((req, res) => {
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        if ((up.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          opened += 1;
          streams += 1;
          res.once('close', () => { streams -= 1; });
        }
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.once('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    return { ...proxy, openStreams: () => streams, opened: () => opened };
  }

  test('reconnects after the stream is cut (a fresh status first), goes on delivering events, and ends on abort', async () => {
    const proxy = await cuttingProxy(server.url);
    try {
      const viaProxy = new TapgateClient({ baseUrl: proxy.url, apiKey: server.rootApiKey });
      const nonce = newNonce();
      const controller = new AbortController();
      const stream = collect(viaProxy.sessionEvents(sid, nonce, { signal: controller.signal }));
      await stream.until('status');
      proxy.cut();
      await stream.until('status', 10_000);  // after the server's retry: 2000
      expect(proxy.opened()).toBe(2);
      await client.getLoginQr(sid, nonce);
      expect(await stream.until('qr')).toMatchObject({ event: 'qr', hsid: expect.any(String) });
      controller.abort();
      await stream.done;
      expect(stream.failure).toBeNull();
      await eventually(() => proxy.openStreams() === 0, 5_000);
    } finally {
      await proxy.close();
    }
  });

  test('breaking out of the loop closes the stream; return() ends a pending next() at once', async () => {
    const proxy = await cuttingProxy(server.url);
    try {
      const viaProxy = new TapgateClient({ baseUrl: proxy.url, apiKey: server.rootApiKey });
      for await (const e of viaProxy.sessionEvents(sid, newNonce())) {
        expect(e.event).toBe('status');
        break;
      }
      await eventually(() => proxy.openStreams() === 0, 5_000);
      const events = viaProxy.sessionEvents(sid, newNonce());
      expect((await events.next()).value.event).toBe('status');
      const pending = events.next();  // nothing happens on this session: it waits
      expect(await events.return()).toEqual({ done: true, value: undefined });
      expect(await pending).toEqual({ done: true, value: undefined });
      expect(await events.next()).toEqual({ done: true, value: undefined });
      await eventually(() => proxy.openStreams() === 0, 5_000);
    } finally {
      await proxy.close();
    }
  });

  test('a refusal no reconnection mends (a wrong key, an unknown server) ends the iteration with its error', async () => {
    const wrongKey = new TapgateClient({ baseUrl: server.url, apiKey: 'tgnope.nope' });
    const unauthorized = await apiError((async () => { for await (const e of wrongKey.sessionEvents(sid, newNonce())) void e; })());
    expect(unauthorized).toMatchObject({ kind: 'unauthorized', operationId: 'statusChannel' });
    const unknown = randomBytes(16).toString('base64url');
    expect(await apiError(client.statusChannel(unknown, newNonce()))).toMatchObject({ kind: 'not_found' });
  });

  test('a silent stream is dropped after idleTimeoutMs and reopened after its retry: delay, with Last-Event-ID; unknown events are skipped', async () => {
    const requests = [];
    const status = { loggedin: false, userid: null, accountid: null, pk: null, canprovoke: false, loginqrdata: null, hsid: null,
      scanned: false, cancelled: false, userinput: null, matchcode: null };
    // A deliberate fake: the reference server sends no ids and never falls silent for long.
    const fake = await fakeServer((req, res) => {
      requests.push({ at: Date.now(), lastEventId: req.headers['last-event-id'] ?? null, nonce: req.headers['x-nonce'], key: req.headers['x-apikey'] });
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`retry: 100\nid: ${requests.length}\n\nevent: future\ndata: {"x":1}\n\n: alive\r\nevent: status\r\ndata: ${JSON.stringify(status)}\r\n\r\n`);
      // then nothing: neither events nor keep-alive comments
    });
    try {
      const c = new TapgateClient({ baseUrl: fake.url, apiKey: 'k' });
      const controller = new AbortController();
      const stream = collect(c.sessionEvents('sid', 'n1', { signal: controller.signal, idleTimeoutMs: 300 }));
      await stream.until('status');
      await stream.until('status', 5_000);
      controller.abort();
      await stream.done;
      expect(stream.failure).toBeNull();
      expect(stream.names().every((n) => n === 'status')).toBe(true);
      expect(requests[0]).toMatchObject({ lastEventId: null, nonce: 'n1', key: 'k' });
      expect(requests[1]).toMatchObject({ lastEventId: '1' });
      expect(requests[1].at - requests[0].at).toBeLessThan(2_000);  // 300 ms idle + ~100 ms retry, not the default 2 s
    } finally {
      await fake.close();
    }
  });
});
