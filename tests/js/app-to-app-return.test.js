// App-to-app logins through the public SDK against the real server: a link's `?return=` URL is
// opened (the `return` event, `session.returnUrl`) after approve or reject, only at an origin the
// virtual server registered (`returnOrigins`, signed into the start response), never elsewhere.
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN } = require('./helpers/flows');

/** The Authenticator's fetch, with an optional rewrite of the next /v1/start answer (a network in between). */
const network = {
  rewriteStart: null,
  async fetch(url, init) {
    const res = await fetch(url, init);
    let text = await res.text();
    if (new URL(url).pathname.endsWith('/v1/start') && network.rewriteStart) {
      text = network.rewriteStart(text);
      network.rewriteStart = null;
    }
    return { status: res.status, text: async () => text };
  },
};

const env = useServer();
let auth;
beforeAll(async () => {
  auth = await env.enrolled({ userid: 'a2a-user' }, { fetch: network.fetch });
  await env.rp.updateServer({ returnOrigins: ['https://shop.example', 'http://127.0.0.1:8080'] });
});

const link = (qr, returnUrl) => `tapgate:${Buffer.from(qr).toString('base64url')}?return=${encodeURIComponent(returnUrl)}`;

/** Starts an app-to-app login; records every `return` event of the session. */
async function startLink(returnUrl) {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(link(await env.rp.loginQr(nonce), returnUrl));
  const returns = [];
  session.addEventListener('return', (e) => returns.push(e.detail));
  return { nonce, session, returns };
}

test('the server keeps returnOrigins as a server parameter and refuses what is not an origin', async () => {
  expect((await env.rp.server()).returnOrigins).toEqual(['https://shop.example', 'http://127.0.0.1:8080']);
  for (const bad of [['https://shop.example/'], ['https://Shop.example'], ['https://shop.example:443'], ['javascript:alert(1)'],
    ['https://user@shop.example'], ['ftp://shop.example'], 'https://shop.example', ['https://a.example', 'https://a.example'],
    Array.from({ length: 17 }, (_, i) => `https://s${i}.example`), [7]]) {
    await expect(env.rp.updateServer({ returnOrigins: bad })).rejects.toThrow(/HTTP 400/);
  }
  expect((await env.rp.server()).returnOrigins).toEqual(['https://shop.example', 'http://127.0.0.1:8080']);
});

test('approve: the login is in, then the app is told to open the return URL with the outcome and nothing secret', async () => {
  const { nonce, session, returns } = await startLink('https://shop.example/back?order=7');
  const returned = nextEvent(session, 'return');
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect(returns).toEqual([]);  // never before the end
  expect(session.returnUrl).toBeNull();
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  const detail = await returned;
  expect(detail).toEqual({ url: 'https://shop.example/back?order=7&tapgate_status=approved', outcome: 'approved' });
  expect(session.returnUrl).toBe(detail.url);
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  expect(detail.url).not.toContain(nonce);
  await session.finished;
  expect(returns).toHaveLength(1);
});

test('reject: the user declines at the prompt, and the app returns with the reject outcome', async () => {
  const { nonce, session, returns } = await startLink('http://127.0.0.1:8080/cb');
  const returned = nextEvent(session, 'return');
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.stopSession();
  expect(await returned).toEqual({ url: 'http://127.0.0.1:8080/cb?tapgate_status=rejected', outcome: 'rejected' });
  await session.finished;
  expect(session.historyStatus).toBe('ABORTED');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
  expect(returns).toHaveLength(1);
});

test.each([
  'https://evil.example/phish',
  'https://shop.example.evil.example/',  // a look-alike host
  'http://shop.example/',                // the registered origin is https
  'https://shop.example:8443/',          // another port
  'http://127.0.0.1:8081/cb',
])('a return URL outside the registered origins (%s) is refused: no redirect, a typed error, the login cancelled', async (returnUrl) => {
  const { nonce, session, returns } = await startLink(returnUrl);
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'RETURN_URL_NOT_ALLOWED', kind: 'security' });
  expect(session.returnUrl).toBeNull();
  expect(returns).toEqual([]);
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
});

test.each(['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'https://user:pw@shop.example/', 'https://shop.example/#x', ''])(
  'a malformed return URL (%j) is a QR_PARSE_ERROR at once', async (returnUrl) => {
    const nonce = env.rp.newNonce();
    const error = await auth.startSession(link(await env.rp.loginQr(nonce), returnUrl)).catch((e) => e);
    expect(error).toMatchObject({ code: 'QR_PARSE_ERROR' });
    expect(error.session.state).toBe('ERROR');
    expect(error.session.returnUrl).toBeNull();
  });

test('a network that adds its own origin to the signed list breaks the start response: an integrity error, no redirect', async () => {
  network.rewriteStart = (text) => {
    const env = JSON.parse(text);
    const body = JSON.parse(env.body);
    expect(body.returnOrigins).toEqual(['https://shop.example', 'http://127.0.0.1:8080']);
    body.returnOrigins.push('https://evil.example');
    return JSON.stringify({ ...env, body: JSON.stringify(body) });
  };
  const { session, returns } = await startLink('https://evil.example/phish');
  await session.finished;
  expect(network.rewriteStart).toBeNull();  // the rewrite happened
  expect(session.state).toBe('ERROR');
  expect(session.error.kind).toBe('security');
  expect(session.error.code).toBe('SERVER_AUTHENTICATION_ERROR');  // the signature, before the list is read
  expect(returns).toEqual([]);
});

test('a server with no returnOrigins allows no return URL', async () => {
  await env.rp.updateServer({ returnOrigins: [] });
  try {
    const { session, returns } = await startLink('https://shop.example/back');
    await session.finished;
    expect(session.error.code).toBe('RETURN_URL_NOT_ALLOWED');
    expect(returns).toEqual([]);
  } finally {
    await env.rp.updateServer({ returnOrigins: ['https://shop.example', 'http://127.0.0.1:8080'] });
  }
});
