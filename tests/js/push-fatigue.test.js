// Push logins with number matching (codematch on provokelogin) and the push-fatigue limits
// (at most TAPGATE_PUSH_PENDING_LIMIT unanswered push logins per account, TAPGATE_PUSH_WINDOW_LIMIT
// per window, else 429 PUSH_LIMIT): through the REST API and the device, on a real server.
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, login, eventually } = require('./helpers/flows');
const { TapgateClient } = require('@tapgate/server/client');

// The default pending limit (1); a window of 4 so the window test stays short.
const env = useServer({ env: { TAPGATE_PUSH_WINDOW_LIMIT: '4' } });

async function device(userid) {
  const auth = await env.enrolled({ userid });
  await env.pushRelay(auth);
  return { auth, account: auth.accounts[0] };
}

/** A login on a fresh nonce, logged out again: the nonce can be provoked, and its status shows a decline. */
async function earlierLogin(auth) {
  const { nonce } = await login(auth, env.rp);
  await env.rp.logout(nonce);
  return { nonce };
}

/** The next session a push starts on `auth`, with its confirmlogin event caught from the start. */
function pushedSession(auth) {
  return new Promise((resolve) => {
    auth.addEventListener('session', function on(e) {
      auth.removeEventListener('session', on);
      const { session } = e.detail;
      let offered = null;
      const confirm = new Promise((ok) => session.addEventListener('confirmlogin', (c) => ok((offered = c.detail))));
      resolve({ session, confirm, offered: () => offered });
    });
  });
}

/** POST provokelogin on the nonce (to the account last logged in on it); the raw response. */
function provoke(nonce, query = '') {
  return fetch(`${env.server.url}/servers/${env.server.serverId}/sessions/provokelogin${query}`, {
    method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce },
  });
}

/** POST accounts/{id}/provokelogin on a nonce of the caller's choosing. */
function provokeAccount(accountId, nonce) {
  return fetch(`${env.server.url}/servers/${env.server.serverId}/accounts/${accountId}/provokelogin`, {
    method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce },
  });
}

async function expectPushLimit(res) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(await res.json()).toMatchObject({ code: 'PUSH_LIMIT', retryAfter, error: expect.stringMatching(/push login/) });
}

/** Declines the pushed session on the device and waits until the server knows. */
async function decline(session, nonce) {
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.inputCancel();
  await session.finished;
  await eventually(async () => (await env.rp.loginStatus(nonce)).cancelled);
}

test('number matching on a push login: the RP gets the number, the device asks for it, the right one logs in', async () => {
  const { auth, account } = await device('nina');
  const { nonce } = await earlierLogin(auth);
  const pushed = pushedSession(auth);
  // Through the typed client this time (codematch, matchcode in the answer).
  const client = new TapgateClient({ baseUrl: env.server.url, apiKey: env.server.rootApiKey });
  const { matchcode } = await client.provokeLogin(env.server.serverId, nonce, { codematch: true });
  expect(matchcode).toMatch(/^[0-9]{2}$/);
  expect((await env.rp.loginStatus(nonce)).matchcode).toBe(matchcode);
  const { session, confirm } = await pushed;
  expect((await confirm).codeLength).toBe(2);
  await reach(session, 'WAIT_FOR_CONFIRMATION');  // code matching forces the confirmation
  await session.setAccount(account, '', { code: matchcode });
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
});

test('number matching on a push login: a wrong number ends it with CODE_MISMATCH and the RP sees it cancelled', async () => {
  const { auth, account } = await device('oscar');
  const { nonce } = await earlierLogin(auth);
  const pushed = pushedSession(auth);
  const res = await provoke(nonce, '?codematch=true');
  const { matchcode } = await res.json();
  const { session, confirm } = await pushed;
  expect((await confirm).codeLength).toBe(2);
  await session.setAccount(account, '', { code: String((Number(matchcode) + 1) % 100).padStart(2, '0') });
  await session.finished;
  expect(session.error).toMatchObject({ code: 'CODE_MISMATCH', kind: 'security' });
  await eventually(async () => (await env.rp.loginStatus(nonce)).cancelled);
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: false, cancelled: true });
  // A mismatch answers the prompt: it no longer counts as pending.
  expect((await provoke(nonce)).status).toBe(200);
});

test('a push login without codematch works as before: no number, no confirmation', async () => {
  const { auth } = await device('pia');
  const { nonce } = await earlierLogin(auth);
  const pushed = pushedSession(auth);
  const res = await provoke(nonce);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ result: true, matchcode: null });
  expect((await env.rp.loginStatus(nonce)).matchcode).toBeNull();
  const { session, offered } = await pushed;
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect(offered()).toBeNull();
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
});

test('push fatigue: a second push while one is pending is refused 429 PUSH_LIMIT, also on a new nonce; answering frees it', async () => {
  const { auth, account } = await device('quinn');
  const { nonce } = await earlierLogin(auth);
  const other = await device('rita');
  const { nonce: otherNonce } = await earlierLogin(other.auth);

  let pushed = pushedSession(auth);
  expect((await provoke(nonce)).status).toBe(200);
  const { session } = await pushed;
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await expectPushLimit(await provoke(nonce));
  // The attacker's way around: another nonce, another route, the same account.
  await expectPushLimit(await provokeAccount(account.accountId, env.rp.newNonce()));
  // The typed client: a rate_limited error with the code and the wait.
  const client = new TapgateClient({ baseUrl: env.server.url, apiKey: env.server.rootApiKey });
  await expect(client.provokeLoginOnAccount(env.server.serverId, account.accountId, env.rp.newNonce())).rejects.toMatchObject({
    kind: 'rate_limited', status: 429, body: { code: 'PUSH_LIMIT', accountid: account.accountId }, retryAfter: expect.any(Number),
  });
  // Another account is not affected.
  const otherPushed = pushedSession(other.auth);
  expect((await provoke(otherNonce)).status).toBe(200);
  await decline((await otherPushed).session, otherNonce);

  // Logging in answers it.
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await env.rp.logout(nonce);
  pushed = pushedSession(auth);
  expect((await provoke(nonce)).status).toBe(200);
  // Declining answers it too.
  await decline((await pushed).session, nonce);
  expect((await provoke(nonce)).status).toBe(200);
});

test('push fatigue: at most TAPGATE_PUSH_WINDOW_LIMIT push logins per window, answered or not', async () => {
  const { auth } = await device('sam');
  const { nonce } = await earlierLogin(auth);
  for (let i = 0; i < 4; i++) {
    const pushed = pushedSession(auth);
    expect((await provoke(nonce)).status).toBe(200);
    await decline((await pushed).session, nonce);
  }
  const res = await provoke(nonce);
  await expectPushLimit(res);
  // The window is 10 minutes: the wait is most of it.
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(500);
  expect(env.server.output().stderr).toMatch(/push login refused \(PUSH_LIMIT\).*in the last 600 s/);
});
