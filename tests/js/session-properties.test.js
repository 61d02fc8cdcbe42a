// Session properties are read from the core when first asked for after an event (not rebuilt at
// every event): in a listener they show that event's state, after the session ends its final
// state, and after close() they stay readable.
const { useServer } = require('./helpers/fixture');
const { PIN, enrol } = require('./helpers/flows');

const env = useServer();
const PROPS = { userid: 'props', name: 'Props', finished: true };

test('in every statechange listener the properties show that change', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, PROPS);
  const s = await auth.startSession(await env.rp.loginQr(env.rp.newNonce()));
  const seen = [];
  s.addEventListener('statechange', (e) => {
    seen.push([e.detail.state, s.state, e.detail.pseudoState, s.pseudoState, e.detail.historyStatus, s.historyStatus]);
  });
  s.addEventListener('confirmlogin', (e) => s.setAccount(e.detail.accounts[0]), { once: true });
  s.addEventListener('secondfactor', (e) => { if (!e.detail.result) s.setPinBiometric({ pin: PIN }); });
  await s.finished;
  expect(seen.length).toBeGreaterThanOrEqual(2);
  for (const [state, shown, pseudo, pseudoShown, history, historyShown] of seen) {
    expect(shown).toBe(state);
    expect(pseudoShown).toBe(pseudo);
    expect(historyShown).toBe(history);
  }
  expect(s.state).toBe('DONE');
  expect(s.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(s.account.name).toBe('Props');
});

test('a session nobody read during its run shows its final state, also after close()', async () => {
  const auth = await env.authenticator();
  const { session: enrolment } = await enrol(auth, env.rp, PROPS);
  const s = await auth.startSession(await env.rp.loginQr(env.rp.newNonce()));
  s.addEventListener('confirmlogin', (e) => s.setAccount(e.detail.accounts[0]), { once: true });
  s.addEventListener('secondfactor', (e) => { if (!e.detail.result) s.setPinBiometric({ pin: PIN }); });
  await s.finished;
  await auth.close();
  expect(s.state).toBe('DONE');
  expect(s.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(s.account.name).toBe('Props');
  expect(typeof s.ended).toBe('number');
  expect(enrolment.isRegistration).toBe(true);
  expect(enrolment.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
});
