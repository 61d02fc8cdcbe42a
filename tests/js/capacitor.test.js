// '@tapgate/authenticator/capacitor' against a real server: push tokens and pushes, deep links and
// resume go through bindCapacitor; capacitorBiometric enrols and logs in with a biometric. The
// native plugins cannot run here, so each is a stand-in with the plugin's own method names that
// the test drives the way the native side would (fire 'registration', deliver a push, …).
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { bindCapacitor, capacitorBiometric } = require('@tapgate/authenticator/capacitor');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, startEnrolment, eventually } = require('./helpers/flows');

/** A Capacitor plugin's listener registry: addListener resolves with a handle, emit plays the native side. */
class StandInPlugin {
  listeners = new Map();
  async addListener(event, listener) {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return { remove: async () => list.splice(list.indexOf(listener), 1) };
  }
  emit(event, data) {
    for (const l of this.listeners.get(event) ?? []) l(data);
  }
  count() {
    return [...this.listeners.values()].reduce((n, l) => n + l.length, 0);
  }
}

class StandInPush extends StandInPlugin {
  permission = 'granted';
  registered = false;
  async requestPermissions() { return { receive: this.permission }; }
  async register() { this.registered = true; }
}

/** The Keychain/Keystore behind a biometric plugin: credentials per server, a prompt that may be refused. */
class StandInBiometric {
  approve = true;
  store = new Map();
  async isAvailable() { return { isAvailable: true }; }
  async verifyIdentity() { if (!this.approve) throw new Error('User cancelled'); }
  async getCredentials({ server }) {
    if (!this.store.has(server)) throw new Error('No credentials found');
    return this.store.get(server);
  }
  async setCredentials({ server, username, password }) { this.store.set(server, { username, password }); }
}

const env = useServer();

test('the example Capacitor app type-checks against the real plugin types', () => {
  const root = path.join(__dirname, '..', '..');
  expect(() => execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'examples', 'capacitor-app')], { stdio: 'pipe' })).not.toThrow();
}, 60_000);

test('push: the token reaches the server, pushes reach processPush, resume pulls what push missed', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'cap-push' });
  const push = new StandInPush();
  const app = new StandInPlugin();
  const binding = bindCapacitor(auth, { pushNotifications: push, app });
  env.closeAfterTest({ close: () => binding.remove() });
  const errors = [];
  binding.addEventListener('error', (e) => errors.push(e.detail));
  await binding.ready;
  expect(push.registered).toBe(true);

  // The native side reports the token; the server then pushes to it (its local relay is the "FCM").
  const token = `cap-${Date.now()}`;
  push.emit('registration', { value: token });
  const { accountId } = auth.accounts[0];
  const delivered = async () => (await (await fetch(`${env.server.url}/relay/v1/${token}`)).json()).messages;
  const notes = [];
  auth.addEventListener('message', (e) => notes.push(e.detail.message.text));
  // The token is registered asynchronously, so a message may go out before it is known: resend
  // until one reaches the relay, and count the sends (resume pulls the ones push missed).
  let sends = 0;
  const sent = await eventually(async () => {
    await env.rp.sendMessage(accountId, 'hello over push');
    sends += 1;
    return delivered().then((m) => (m.length ? m : null));
  });
  // A push as the plugin hands it over: the provider's data map carries the sealed payload.
  push.emit('pushNotificationReceived', { data: { tapgate: sent[0] } });
  await eventually(() => notes.length >= 1);
  expect(notes[0]).toBe('hello over push');

  // Somebody else's push (no tapgate key) is left alone; a forged one is an 'error' of source 'push'.
  push.emit('pushNotificationReceived', { data: { other: 'x' } });
  push.emit('pushNotificationActionPerformed', { notification: { data: { tapgate: 'AAAA' } } });
  await eventually(() => errors.length === 1);
  expect(errors[0].source).toBe('push');
  expect(errors[0].error.code).toBe('PUSH_REJECTED');

  // Missed while in the background: resume pulls it (and the earlier one is not repeated).
  await env.rp.sendMessage(accountId, 'sent while away');
  app.emit('resume');
  await eventually(() => notes.includes('sent while away'));
  await new Promise((r) => setTimeout(r, 300));
  expect(notes.filter((t) => t === 'sent while away')).toHaveLength(1);
  expect(notes.filter((t) => t === 'hello over push')).toHaveLength(sends);  // the pushed one not again

  // remove() detaches every listener.
  await binding.remove();
  expect(push.count() + app.count()).toBe(0);
});

test('deep links from appUrlOpen start sessions; other URLs are ignored', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'cap-link' });
  const app = new StandInPlugin();
  const binding = bindCapacitor(auth, { app });
  env.closeAfterTest({ close: () => binding.remove() });
  await binding.ready;
  const started = [];
  auth.addEventListener('session', (e) => started.push(e.detail.session));

  app.emit('appUrlOpen', { url: 'https://example.com/some/page' });  // not a Tapgate link (no fragment)
  const nonce = env.rp.newNonce();
  const qr = Buffer.from(await env.rp.loginQr(nonce));
  const next = nextEvent(auth, 'session');
  app.emit('appUrlOpen', { url: `tapgate:${qr.toString('base64url')}` });
  const { session } = await next;
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'cap-link' });
  expect(started).toHaveLength(1);
});

test('capacitorBiometric: a secret kept in the secure store at enrolment, the system prompt at login', async () => {
  const plugin = new StandInBiometric();
  const auth = await env.authenticator({ biometric: capacitorBiometric(plugin) });

  const { session, prompt } = await startEnrolment(auth, env.rp, { userid: 'cap-bio' });
  expect(prompt.allowed).toEqual(['PIN', 'BIOMETRIC']);
  expect((await session.setPinBiometric({ pin: PIN, biometric: true })).result).toBe('SUCCESS');
  const stored = plugin.store.get('tapgate.biometric');
  expect(Buffer.from(stored.password, 'base64url')).toHaveLength(32);

  const login = async () => {
    const nonce = env.rp.newNonce();
    const s = await auth.startSession(await env.rp.loginQr(nonce));
    await reach(s, 'WAIT_FOR_SECOND_FACTOR');
    return { nonce, s };
  };
  const ok = await login();
  expect((await ok.s.setPinBiometric({ biometric: true })).result).toBe('SUCCESS');
  expect(await env.rp.loginStatus(ok.nonce)).toMatchObject({ loggedin: true, userid: 'cap-bio' });
  expect(plugin.store.get('tapgate.biometric')).toBe(stored);  // the same secret, not a new one

  plugin.approve = false;  // the user cancels the system prompt
  const refused = await login();
  expect((await refused.s.setPinBiometric({ biometric: true })).result).toBe('BIOMETRIC_FAIL');
  expect((await refused.s.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
});
