// Session properties are read from the core when first asked for after an event (not rebuilt at
// every event): in a listener they show that event's state, after the session ends its final
// state, and after close() they stay readable.
const { Authenticator } = require('@tapgate/authenticator/node');
const { startServer } = require('./helpers/server-process');
const { relyingParty, nextEvent } = require('./helpers/rp');

const PIN = '4711';

let server;
let rp;
beforeAll(async () => {
  server = await startServer();
  rp = relyingParty(server);
});
afterAll(async () => server?.stop());

async function enrol(auth) {
  const s = await auth.startSession(await rp.enrolQr(rp.newNonce(), { userid: 'props', name: 'Props' }));
  await nextEvent(s, 'confirmenrol');
  await s.setAccount();
  await s.setPinBiometric({ pin: PIN });
  await s.finished;
  return s;
}

test('in every statechange listener the properties show that change', async () => {
  const auth = await Authenticator.create();
  try {
    await enrol(auth);
    const s = await auth.startSession(await rp.loginQr(rp.newNonce()));
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
  } finally {
    await auth.close();
  }
});

test('a session nobody read during its run shows its final state, also after close()', async () => {
  const auth = await Authenticator.create();
  const enrolment = await enrol(auth);
  const s = await auth.startSession(await rp.loginQr(rp.newNonce()));
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
