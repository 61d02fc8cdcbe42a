// Round trips per flow, counted at the authenticator's fetch (every device-API request is one
// round trip to the server), against the bench server on loopback. Targets: QR login 2,
// enrolment 2, push login 1 once the push arrived (today 2: the core change is separate), AppLogin 2.
import { enrol, nextEvent, relyingParty, sdk } from './lib.mjs';

const CMD = 'npm run bench -- --only=round-trips';

export async function run(ctx) {
  const server = ctx.server;
  const { Authenticator, LocalPushRelay } = sdk();
  const rp = relyingParty(server);
  const rows = [];
  let requests = [];
  const counting = (url, init) => {
    requests.push(new URL(url).pathname);
    return fetch(url, init);
  };
  const measure = async (label, target, flow) => {
    requests = [];
    const t0 = performance.now();
    await flow();
    const took = performance.now() - t0;
    const n = requests.length;
    rows.push({ group: 'round trips', measure: label,
      value: `${n} (${requests.map((p) => p.replace('/device/v1/', '')).join(', ')})${target ? `; target ${target}: ${n <= target ? 'met' : '**missed**'}` : ''}; ${took.toFixed(0)} ms on loopback incl. Argon2id`, command: CMD });
  };
  const auth = await Authenticator.create({ fetch: counting });
  try {
    await measure('first enrolment (sets the PIN)', 2, () => enrol(auth, rp, 'rt-1'));
    await measure('later enrolment, same server (PIN proved inside enrol)', 2, () => enrol(auth, rp, 'rt-2'));
    const nonce = rp.newNonce();
    await measure('QR login, right PIN', 2, async () => {
      const s = await auth.startSession(await rp.loginQr(nonce));
      const { accounts } = await nextEvent(s, 'confirmlogin');
      await s.setAccount(accounts[0]);
      await s.setPinBiometric({ pin: '2580' });
      await s.finished;
    });
    // Push login: the device's requests once the push is in (the relay's polling is the push
    // provider's part, not the device protocol's, and is not counted).
    const relay = await LocalPushRelay.connect(auth, { url: `${server.url}/relay/v1`, intervalMs: 50, fetch: (u) => fetch(u) });
    try {
      await measure('push login (provokeLogin), once the push arrived', 1, async () => {
        const pushed = nextEvent(auth, 'session');
        await rp.provokeLogin(nonce);
        const { session } = await pushed;
        await nextEvent(session, 'secondfactor'); // one candidate (the addressed account): no confirmation
        await session.setPinBiometric({ pin: '2580' });
        await session.finished;
      });
    } finally {
      relay.close();
    }
  } finally {
    await auth.close();
  }
  const single = await Authenticator.create({ fetch: counting });
  try {
    await enrol(single, rp, 'rt-app');
    await rp.updateServer({ pingTime: 60 });
    let app;
    await measure('AppLogin (continuous; up to the `login` event)', 2, async () => {
      app = await single.startAppLogin();
      await nextEvent(app, 'secondfactor');
      const loggedIn = nextEvent(app, 'login');
      await app.setPinBiometric({ pin: '2580' });
      await loggedIn;
    });
    await app.stopSession();
    await app.finished;
    await rp.updateServer({ pingTime: 0 });
  } finally {
    await single.close();
  }
  return rows;
}
