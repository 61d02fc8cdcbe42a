// Web Push from the reference server, for real: a server process whose device's push token is a
// Web Push subscription POSTs to the subscription's endpoint (here a local HTTP push service),
// VAPID-authorised and RFC 8291-encrypted; the test decrypts it with the subscription's private
// key, and the Node SDK accepts what it holds as the sealed Tapgate message. Other tokens still go
// to the local relay.
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, login, eventually } = require('./helpers/flows');
const { startPushService, newSubscription, verifyVapid } = require('./helpers/push-service');
const { sampleValue, scrapeMetrics } = require('./helpers/prometheus');

const METRICS_TOKEN = 'web-push-test-metrics-token';

let pushService;
let auth;
let subscription;

// The stand-in push service is on loopback over http: both need saying (web-push-ssrf.test.js).
const env = useServer(async () => {
  pushService = await startPushService({ statusFor: (p) => (p.startsWith('/push/gone-') ? 410 : 201) });
  env.closeAfterFile(() => pushService.close());  // after the server
  return { env: { TAPGATE_WEBPUSH_ALLOW_HTTP: '1', TAPGATE_WEBPUSH_ALLOW_HOSTS: '127.0.0.1', TAPGATE_WEBPUSH_SUBJECT: 'mailto:ops@bank.example', TAPGATE_METRICS_TOKEN: METRICS_TOKEN } };
});
beforeAll(async () => {
  auth = await env.enrolled({ userid: 'wendy' });
  subscription = newSubscription(`${pushService.origin}/push/wendy-subscription`);
  await auth.updatePushToken(`webpush:${JSON.stringify(subscription.json)}`);
  expect((await env.rp.accounts()).accounts[0].push).toBe('webpush');
});

test('a note arrives at the push service VAPID-signed and encrypted to the subscription, and holds the sealed message', async () => {
  const { publicKey } = await (await fetch(`${env.server.url}/webpush/v1/vapid`)).json();
  const count = pushService.received.length;
  await env.rp.sendMessage(auth.accounts[0].accountId, 'hello through Web Push');
  const push = await pushService.nth(count);

  expect(push).toMatchObject({ method: 'POST', path: '/push/wendy-subscription' });
  expect(push.headers).toMatchObject({ 'content-encoding': 'aes128gcm', ttl: '600', urgency: 'high' });
  const vapid = verifyVapid(push.headers.authorization);
  expect(vapid.key).toBe(publicKey);
  expect(vapid.header).toMatchObject({ alg: 'ES256' });
  expect(vapid.claims).toMatchObject({ aud: pushService.origin, sub: 'mailto:ops@bank.example' });
  expect(vapid.claims.exp * 1000).toBeGreaterThan(Date.now());

  const data = JSON.parse(subscription.decrypt(push.body));
  expect(Object.keys(data)).toEqual(['tapgate']);
  const note = nextEvent(auth, 'message');
  expect(await auth.processPush(data)).toBeNull();
  expect((await note).message.text).toBe('hello through Web Push');

  // Another subscription's key cannot read it.
  expect(() => newSubscription(push.path).decrypt(push.body)).toThrow();
});

test('a push login through Web Push becomes a session that logs in', async () => {
  const { nonce } = await login(auth, env.rp);  // the session to provoke a login on
  const count = pushService.received.length;
  expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
  const data = JSON.parse(subscription.decrypt((await pushService.nth(count)).body));
  const session = await auth.processPush(data);
  expect(session).not.toBeNull();
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
});

test('a relay token still goes to the local relay, not to the push service', async () => {
  const other = await env.enrolled({ userid: 'xavier' });
  await other.updatePushToken('xavier-relay-token');
  const count = pushService.received.length;
  await env.rp.sendMessage(other.accounts[0].accountId, 'by relay');
  const { messages } = await (await fetch(`${env.server.url}/relay/v1/xavier-relay-token`)).json();
  expect(messages).toHaveLength(1);
  expect(pushService.received.length).toBe(count);
});

test('by default the sender reaches https push services only (the endpoint comes from the device)', async () => {
  const { WebPushSender } = require('@tapgate/server');
  const failures = [];
  const sender = new WebPushSender(require('web-push').generateVAPIDKeys(), { onFailure: (err) => failures.push(err) });
  const count = pushService.received.length;
  sender.send(`webpush:${JSON.stringify(subscription.json)}`, 'AAAA');
  sender.send('webpush:{"endpoint":"https://push.example/x"}', 'AAAA');  // no keys: not a subscription
  const deadline = Date.now() + 5_000;
  while (failures.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(failures.map((e) => [e.name, e.message]).sort()).toEqual([
    ['WebPushDeliveryError', `push endpoint not allowed: ${pushService.origin}`],
    ['WebPushDeliveryError', 'the push token is not a Web Push subscription'],
  ]);
  expect(pushService.received.length).toBe(count);
});

test('a subscription the push service reports gone (410) is dropped: later messages are not pushed to it', async () => {
  const device = await env.enrolled({ userid: 'yara' });
  const gone = newSubscription(`${pushService.origin}/push/gone-yara`);
  await device.updatePushToken(`webpush:${JSON.stringify(gone.json)}`);
  const count = pushService.received.length;
  const accountPush = async () => (await env.rp.accounts()).accounts.find((a) => a.id === device.accounts[0].accountId).push;
  // Checked before the message: after it, the 410 may already have dropped the token.
  expect(await accountPush()).not.toBeNull();
  await env.rp.sendMessage(device.accounts[0].accountId, 'first');
  await pushService.nth(count);  // answered 410
  await eventually(async () => (await accountPush()) === null);
  // The next message waits to be pulled, and is not pushed: one more note for a live account
  // (wendy) shows the server has pushed since, and nothing went to the gone subscription.
  await env.rp.sendMessage(device.accounts[0].accountId, 'second');
  await env.rp.sendMessage(auth.accounts[0].accountId, 'for wendy');
  const next = await pushService.nth(count + 1);
  expect(next.path).toBe('/push/wendy-subscription');
  expect(pushService.received.slice(count).map((r) => r.path)).toEqual(['/push/gone-yara', '/push/wendy-subscription']);
  const notes = [];
  device.addEventListener('message', (e) => notes.push(e.detail.message.text));
  await device.retrieveMessages();
  expect(notes.sort()).toEqual(['first', 'second']);
});

test('GET /metrics counts Web Push deliveries and failures (tapgate_push_deliveries_total)', async () => {
  const device = await env.enrolled({ userid: 'zoe' });
  await device.updatePushToken(`webpush:${JSON.stringify(newSubscription(`${pushService.origin}/push/gone-zoe`).json)}`);
  const before = await scrapeMetrics(env.server.url, METRICS_TOKEN);
  const count = pushService.received.length;
  await env.rp.sendMessage(auth.accounts[0].accountId, 'delivered');
  await env.rp.sendMessage(device.accounts[0].accountId, 'answered 410');
  await pushService.nth(count + 1);
  const delta = (samples, outcome) => sampleValue(samples, 'tapgate_push_deliveries_total', { sender: 'webpush', outcome }) - sampleValue(before, 'tapgate_push_deliveries_total', { sender: 'webpush', outcome });
  let after;
  await eventually(async () => {
    after = await scrapeMetrics(env.server.url, METRICS_TOKEN);
    return delta(after, 'delivered') + delta(after, 'failed') === 2;
  });
  expect({ delivered: delta(after, 'delivered'), failed: delta(after, 'failed') }).toEqual({ delivered: 1, failed: 1 });
});
