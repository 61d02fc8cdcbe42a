// The PWA's Web Push path in headless Chromium. Chromium here reaches no push service, so the PWA
// falls back to the relay; the push itself is then delivered to the PWA's service worker through
// the DevTools protocol (ServiceWorker.deliverPushMessage), with a real payload: the sealed push
// login the server made for this device, taken off the relay. The service worker hands it to the
// page, which opens the PIN pad; the PIN logs the relying party in.
const { randomBytes } = require('node:crypto');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, recordErrors } = require('./helpers/chromium');
const { typePin, outcome } = require('./helpers/pwa');

const API_KEY = randomBytes(24).toString('base64url');
const PIN = '1357';
let demo;
let browser;
let app;
let base;
const errors = [];

const rest = (p, nonce, init = {}) =>
  fetch(`${base}${p}`, { ...init, headers: { 'X-apikey': API_KEY, ...(nonce ? { 'X-nonce': nonce } : {}), ...init.headers } });

const site = useDemo({ env: { TAPGATE_ROOT_API_KEY: API_KEY } });
beforeAll(async () => {
  demo = site.server;
  base = `${demo.url}/servers/${demo.serverId}`;
  browser = await openChromium(site, { viewport: { width: 480, height: 1000 } });
  app = recordErrors(await browser.newPage(), errors);
  await app.goto(`${demo.url}/authenticator/`);
  await app.waitForSelector('body[data-ready=true][data-push=relay][data-offline-ready=true]', { timeout: 30_000 });
}, 60_000);

/** The registration id of the PWA's service worker, as the DevTools protocol names it. */
async function serviceWorkerRegistration(cdp) {
  const found = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
    const r = registrations.find((x) => x.scopeURL === `${demo.url}/authenticator/` && !x.isDeleted);
    if (r) resolve(r.registrationId);
  }));
  await cdp.send('ServiceWorker.enable');
  return found;
}

test('a push delivered to the service worker reaches the page and opens the PIN pad', async () => {
  // Enrol by deep link, on a relying-party session (nonce) the push login will be provoked on.
  const nonce = randomBytes(16).toString('base64url');
  const enrolQr = Buffer.from(await (await rest('/sessions/qr/enrol?userid=sw-user', nonce)).arrayBuffer());
  await app.evaluate((l) => (location.hash = l), `tapgate:${enrolQr.toString('base64url')}`);
  await app.click('#accept-enrol', { timeout: 20_000 });
  await typePin(app, PIN);
  await outcome(app, 'Enrolled and logged in.');

  // The device now takes pushes on a token nobody polls: what the server sends stays there.
  await app.evaluate(async () => {
    window.tapgatePush.relay.close();
    await window.tapgate.updatePushToken('delivered-by-devtools');
  });
  expect((await rest('/sessions/provokelogin', nonce, { method: 'POST' })).status).toBe(200);
  const { messages } = await (await fetch(`${demo.url}/relay/v1/delivered-by-devtools`)).json();
  expect(messages).toHaveLength(1);
  expect(await app.isVisible('#pin-section')).toBe(false);

  const cdp = await browser.newCDPSession(app);
  const registrationId = await serviceWorkerRegistration(cdp);
  // Something that is not a Tapgate message is ignored by the service worker.
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: demo.url, registrationId, data: '{"hello":"world"}' });
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: demo.url, registrationId, data: JSON.stringify({ tapgate: messages[0] }) });
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  await typePin(app, PIN);
  await outcome(app, 'Logged in.');
  expect((await (await rest('/sessions/', nonce)).json()).loggedin).toBe(true);
  expect(errors).toEqual([]);
}, 60_000);
