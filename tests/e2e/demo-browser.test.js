// The demo for real in headless Chromium: the relying-party page shows an enrol and a login QR, the
// browser authenticator (WASM core + IndexedDB) reads each QR image, the user confirms and types the
// PIN on the PIN pad, and the relying-party page turns to "Logged in as …".
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { useDemo } = require('../js/helpers/fixture');
const { typePin } = require('./helpers/pwa');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-results');

let demo;
let context;
let profileDir;

const site = useDemo();
beforeAll(async () => {
  demo = site.server;
  site.closeAfterFile(async () => {  // before the demo stops
    await context?.close();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  });
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

async function qrPicture(rpPage, kind) {
  await rpPage.click(`#${kind}`);
  const src = await rpPage.locator(`img[data-kind=${kind}]`).getAttribute('src', { timeout: 15_000 });
  return Buffer.from(src.split(',')[1], 'base64');
}

async function scan(appPage, png) {
  await appPage.setInputFiles('#qr-file', { name: 'qr.png', mimeType: 'image/png', buffer: png });
}

test('enrol and log in entirely in the browser', async () => {
  const errors = [];
  const rp = await context.newPage();
  const app = await context.newPage();
  for (const p of [rp, app]) {
    p.on('pageerror', (e) => errors.push(e.message));
    // Whatever the pages' Content-Security-Policy blocks is reported on the console: none may be.
    p.on('console', (m) => /Content Security Policy/i.test(m.text()) && errors.push(m.text()));
  }
  await rp.goto(`${demo.url}/`);
  await app.goto(`${demo.url}/authenticator/`);
  await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

  // Enrol.
  await rp.fill('#userid', 'alice-browser');
  await scan(app, await qrPicture(rp, 'enrol'));
  await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 15_000 });
  expect(await app.textContent('#vash')).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  // The enrol card's fingerprint (GET /servers/{sid}/vash) is the one the app asks the user to compare.
  expect(await rp.textContent('#enrol-vash')).toBe(await app.textContent('#vash'));
  expect(await app.textContent('#enrol-server')).toBe('Tapgate Demo Bank');
  await app.click('#accept-enrol');
  await app.waitForSelector('#pin-section:not(.hidden)');
  expect(await app.textContent('#pin-prompt')).toMatch(/Choose a PIN/);
  await typePin(app, '2468');
  await app.waitForFunction(() => document.querySelector('#outcome').textContent.includes('Enrolled'), null, { timeout: 20_000 });
  await rp.waitForFunction(() => document.querySelector('#status').textContent === 'Logged in as alice-browser', null, { timeout: 10_000 });
  await rp.screenshot({ path: path.join(ARTIFACTS, 'relying-party-enrolled.png') });

  // Log in, with one wrong PIN first.
  await scan(app, await qrPicture(rp, 'login'));
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 15_000 });
  expect(await app.textContent('#pin-prompt')).toContain(demo.url);
  await typePin(app, '0000');
  await app.waitForFunction(() => document.querySelector('#pin-result').textContent.includes('2 attempts left'), null, { timeout: 20_000 });
  expect(await rp.textContent('#status')).not.toContain('Logged in');
  await typePin(app, '2468');
  await app.waitForFunction(() => document.querySelector('#outcome').textContent === 'Logged in.', null, { timeout: 20_000 });
  await rp.waitForFunction(() => document.querySelector('#status').textContent === 'Logged in as alice-browser', null, { timeout: 10_000 });
  await app.screenshot({ path: path.join(ARTIFACTS, 'authenticator-logged-in.png') });
  await rp.screenshot({ path: path.join(ARTIFACTS, 'relying-party-logged-in.png') });

  // The account and the history survive a reload (IndexedDB), and the records hold no plaintext.
  await app.reload();
  await app.waitForSelector('body[data-ready=true]');
  expect(await app.textContent('#accounts')).toContain('alice-browser');
  expect(await app.locator('#history li').count()).toBe(2);
  const raw = await app.evaluate(async () => {
    const db = await new Promise((res, rej) => { const r = indexedDB.open('tapgate-demo'); r.onsuccess = () => res(r.result); r.onerror = rej; });
    const rec = await new Promise((res) => { const r = db.transaction('records').objectStore('records').get('state'); r.onsuccess = () => res(r.result); });
    return new TextDecoder('latin1').decode(rec.data);
  });
  expect(raw).not.toContain('alice-browser');
  expect(raw).not.toContain('signSk');
  expect(errors).toEqual([]);
}, 120_000);
