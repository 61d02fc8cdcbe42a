// The extension's background service worker (extension/worker.js) holds the Authenticator and its
// sessions. A push login the relying party provokes while the popup is closed reaches the worker
// (headless Chromium reaches no Web Push service, so it comes by the worker's pull on its alarm),
// shows a notification and waits in the worker; the popup opened on it shows its PIN prompt, a
// popup closed after a wrong PIN leaves the session as it was for the next one, whose PIN logs the
// relying party in. The account outlives the worker being stopped; a real sealed push handed to the
// worker's push handler (DevTools protocol) brings a login with no pull; a web page cannot reach it.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, unpackedExtensionId, openExtensionPopup } = require('./helpers/chromium');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome } = require('./helpers/pwa');

const EXTENSION = path.join(__dirname, '..', '..', 'build', 'extension');
const EXTENSION_ORIGIN = `chrome-extension://${unpackedExtensionId(EXTENSION)}`;
const USER = 'dave-extension';
const PIN = '8642';
const PULL_WAIT_MS = 60_000;  // the alarm pulls every 30 s
let demo;
let browser;
let rp;
const errors = [];

const site = useDemo({ env: { TAPGATE_DEVICE_ORIGINS: EXTENSION_ORIGIN } });
beforeAll(async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build-extension.mjs')], { stdio: 'ignore' });
  demo = site.server;
  browser = await openChromium(site, { extension: EXTENSION, viewport: { width: 900, height: 800 } });
  rp = await browser.newPage();
  rp.on('pageerror', (e) => errors.push(e.message));
  await rp.goto(`${demo.url}/`);
}, 60_000);

/** The extension's running service worker (playwright's handle), waiting for it to start if it is not running. */
async function extensionWorker() {
  const running = browser.serviceWorkers().find((w) => w.url().startsWith(EXTENSION_ORIGIN));
  return running ?? browser.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(EXTENSION_ORIGIN), timeout: PULL_WAIT_MS });
}

/** The worker's notifications once there is one (chrome.notifications, read inside the worker). */
function notificationShown(worker) {
  return worker.evaluate(() => new Promise((resolve) => {
    const look = () => chrome.notifications.getAll().then((all) => (Object.keys(all).length ? resolve(all) : setTimeout(look, 200)));
    look();
  }));
}

async function openPopup() {
  const popup = await openExtensionPopup(browser, EXTENSION);
  await rp.bringToFront();
  popup.on('pageerror', (e) => errors.push(e.message));
  popup.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await popup.setViewportSize({ width: 360, height: 820 });
  await popup.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  return popup;
}

/** Opens the popup, which shows the push login waiting in the worker at its PIN prompt. */
async function popupOnWaitingLogin() {
  const popup = await openPopup();
  await popup.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  expect(await popup.textContent('#pin-prompt')).toBe(`Enter your PIN for ${demo.url}`);
  expect(await popup.textContent('#pending')).toBe('login at Tapgate Demo Bank: WAIT_FOR_SECOND_FACTOR');
  return popup;
}

async function completeLogin(popup) {
  await typePin(popup, PIN);
  await outcome(popup, 'Logged in.');
  await relyingPartyLoggedIn(rp, USER);
  expect(await popup.textContent('#pending')).toBe('');
  await popup.close();
}

test('a push login provoked with the popup closed reaches the worker, and completes once the popup opens', async () => {
  const popup = await openPopup();
  await rp.fill('#userid', USER);
  const enrolPng = await relyingPartyQr(rp, 'enrol');
  await popup.setInputFiles('#qr-file', { name: 'enrol.png', mimeType: 'image/png', buffer: enrolPng });
  await popup.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 20_000 });
  await popup.click('#accept-enrol');
  await typePin(popup, PIN);
  await outcome(popup, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rp, USER);
  await popup.close();

  // The relying party asks for a push login (POST /rp/api/provoke → provokelogin); no extension page is open.
  await rp.waitForSelector('#push-login:not([disabled])');
  await rp.click('#push-login');
  const worker = await extensionWorker();
  const notifications = await notificationShown(worker);
  expect(Object.values(notifications)).toHaveLength(1);
  const [id] = Object.keys(notifications);
  expect(id).toMatch(/^tapgate-session-\d+$/);

  // The popup opens on the session and takes over from the notification. A wrong PIN, then the
  // popup closes: the session stays in the worker, and the next popup shows it as it was left.
  const first = await popupOnWaitingLogin();
  expect(await worker.evaluate(() => chrome.notifications.getAll())).toEqual({});
  await typePin(first, '0000');
  await first.waitForFunction(() => /^Wrong PIN — \d+ attempts? left$/.test(document.querySelector('#pin-result').textContent), null, { timeout: 20_000 });
  const verdict = await first.textContent('#pin-result');
  await first.close();
  const again = await popupOnWaitingLogin();
  expect(await again.textContent('#pin-result')).toBe(verdict);
  await completeLogin(again);
  expect(errors).toEqual([]);
}, 150_000);

test('the account outlives the worker: a login provoked while it is stopped is pulled when the alarm starts it again', async () => {
  const worker = await extensionWorker();
  await worker.evaluate(() => (self.beforeTheStop = true));
  // The DevTools protocol of a web page of the profile (which has no port to the worker) stops it.
  const page = await browser.newPage();
  const cdp = await browser.newCDPSession(page);
  const status = (wanted) => new Promise((resolve) => cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    if (versions.some((v) => v.scriptURL === `${EXTENSION_ORIGIN}/worker.js` && v.runningStatus === wanted)) resolve();
  }));
  await cdp.send('ServiceWorker.enable');
  const stopped = status('stopped');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await stopped;

  const running = status('running');
  await rp.click('#push-login');
  await running;  // started by its alarm: nothing else here calls it
  expect(await worker.evaluate(() => self.beforeTheStop)).toBeUndefined();  // a fresh start, its state from IndexedDB
  expect(Object.keys(await notificationShown(worker))).toHaveLength(1);
  await page.close();
  await completeLogin(await popupOnWaitingLogin());
  expect(errors).toEqual([]);
}, 150_000);

test('a Web Push message reaches the worker: the sealed push of a provoked login, given to its push handler, shows the notification with no pull', async () => {
  // Headless Chromium reaches no push service, so the account's push token is pointed at the
  // server's local relay, the server's real sealed push is taken from there and handed to the
  // worker's push handler by the DevTools protocol, as a push service would. The pull alarm is
  // off meanwhile, so only the push can bring the login.
  const worker = await extensionWorker();
  const token = `extension-test-${randomBytes(12).toString('hex')}`;
  await worker.evaluate(async (t) => {
    await chrome.alarms.clear('tapgate-pull');
    await self.tapgate.updatePushToken(t);
  }, token);
  const page = await browser.newPage();
  try {
    const cdp = await browser.newCDPSession(page);
    const registration = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL.startsWith(EXTENSION_ORIGIN) && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    }));
    await cdp.send('ServiceWorker.enable');
    const registrationId = await registration;

    await rp.click('#push-login');
    let messages = [];
    for (let i = 0; i < 100 && messages.length === 0; i++) {
      messages = (await (await fetch(`${demo.url}/relay/v1/${token}`)).json()).messages;
      if (messages.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(messages).toHaveLength(1);
    expect(await worker.evaluate(() => chrome.notifications.getAll())).toEqual({});
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: EXTENSION_ORIGIN, registrationId, data: JSON.stringify({ tapgate: messages[0] }) });  // what the server's Web Push sender encrypts (web-push.ts)
    expect(Object.keys(await notificationShown(worker))).toHaveLength(1);
  } finally {
    await page.close();
    await worker.evaluate(() => chrome.alarms.create('tapgate-pull', { periodInMinutes: 0.5 }));
  }
  await completeLogin(await popupOnWaitingLogin());
  expect(errors).toEqual([]);
}, 150_000);

test('a web page cannot reach the worker (not externally connectable), and the worker takes ports from its own pages only', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION, 'manifest.json'), 'utf8'));
  expect(manifest.externally_connectable).toBeUndefined();
  // The relying party's page (any web page) sees no runtime to connect to this extension with.
  expect(await rp.evaluate(() => typeof globalThis.chrome?.runtime?.connect)).toBe('undefined');
  // The worker's own check on a port's sender, with the senders Chromium reports: its popup passes;
  // a content script in a web page (same extension id, the page's URL and origin) and another
  // extension's page do not.
  const page = await browser.newPage();
  await page.goto(`${EXTENSION_ORIGIN}/popup.html`);
  const verdicts = await page.evaluate(async () => {
    const { isOwnPage } = await import('./protocol.js');
    const own = chrome.runtime.getURL('popup.html');
    return [
      isOwnPage({ id: chrome.runtime.id, url: own, origin: location.origin }, chrome.runtime),
      isOwnPage({ id: chrome.runtime.id, url: 'https://evil.example/', origin: 'https://evil.example', tab: { id: 1 } }, chrome.runtime),
      isOwnPage({ id: 'otherextensionidotherextensionid', url: 'chrome-extension://otherextensionidotherextensionid/popup.html', origin: 'chrome-extension://otherextensionidotherextensionid' }, chrome.runtime),
      isOwnPage({ id: chrome.runtime.id, url: own, origin: 'https://evil.example' }, chrome.runtime),
    ];
  });
  expect(verdicts).toEqual([true, false, false, false]);
  await page.close();
});
