// The authenticator as an installable PWA: Chromium finds nothing missing for installation; after
// one online visit the service worker serves the shell, the SDK and the core's wasm offline; deep
// links (#tapgate:…, ?link=…, web+tapgate:) reach startSession, offline too.
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, recordErrors } = require('./helpers/chromium');

let demo;
let browser;
let app;
const errors = [];

const site = useDemo();
beforeAll(async () => {
  demo = site.server;
  browser = await openChromium(site);
  app = recordErrors(await browser.newPage(), errors);
}, 30_000);

const ready = () => app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

test('installable: manifest, icons and service worker satisfy Chromium', async () => {
  await app.goto(`${demo.url}/authenticator/`);
  await ready();
  await app.waitForSelector('body[data-offline-ready=true]', { timeout: 15_000 });
  const cdp = await browser.newCDPSession(app);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);
  const manifest = await cdp.send('Page.getAppManifest');
  expect(manifest.errors).toEqual([]);
  expect(JSON.parse(manifest.data)).toMatchObject({ start_url: '/authenticator/', display: 'standalone' });
  expect(await app.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${demo.url}/authenticator/sw.js`);
}, 60_000);

test('offline after the first visit: the shell and the core\'s wasm load from the service worker', async () => {
  await browser.setOffline(true);
  try {
    const served = new Map();
    const record = (res) => served.set(new URL(res.url()).pathname, res.fromServiceWorker());
    app.on('response', record);
    await app.reload();
    await ready();
    app.off('response', record);
    // The Authenticator opened, so the core's wasm was compiled, and its data came from the cache.
    expect(await app.evaluate(() => typeof window.tapgate.startSession)).toBe('function');
    expect(served.get('/sdk/wasm/tapgate_core.web.wasm')).toBe(true);
    expect(served.get('/authenticator/')).toBe(true);
    // And the network really is gone for this page.
    expect(await app.evaluate(() => fetch('/rp/api/status').then(() => 'online', () => 'offline'))).toBe('offline');
  } finally {
    await browser.setOffline(false);
  }
}, 60_000);

test('deep links reach startSession and leave the address bar; offline too', async () => {
  // A well-formed link to a server with no account here: the core refuses it without contacting anyone.
  // LOGIN payload (protocol.md §2): version 1, type 1, server id, QR session id.
  const payload = Buffer.concat([Buffer.from([1, 1]), Buffer.alloc(16, 7), Buffer.alloc(16, 9)]).toString('base64url');
  const cases = [`#tapgate:${payload}`, `?link=${encodeURIComponent(`tapgate:${payload}`)}`, `?link=${encodeURIComponent(`web+tapgate:${payload}`)}`, '?link=tapgate:not*base64'];
  await browser.setOffline(true);
  try {
    for (const suffix of cases) {
      await app.goto(`${demo.url}/authenticator/${suffix}`);
      await ready();
      await app.waitForFunction(() => document.querySelector('#scan-error').textContent !== '', null, { timeout: 10_000 });
      const shown = await app.textContent('#scan-error');
      // The link was parsed: a bad one is a parse error, a good one names a server we have no account at.
      expect(shown).toContain(suffix.includes('not*base64') ? '(QR_PARSE_ERROR 32)' : '(NO_ACCOUNTS_FOR_SERVER 34)');
      expect(app.url()).toBe(`${demo.url}/authenticator/`);
    }
  } finally {
    await browser.setOffline(false);
  }
  expect(errors).toEqual([]);
}, 60_000);
