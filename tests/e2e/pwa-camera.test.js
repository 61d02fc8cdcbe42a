// The authenticator PWA with a camera: the relying-party page runs in one browser, the PWA in
// another whose fake camera films the relying party's QR picture (a .y4m written from the PNG
// the page shows). The PWA scans it with scanQrFromCamera, the user types the PIN on the PIN pad,
// and the relying-party page turns to "Logged in as …". Enrol first, then log in; then reload the
// PWA and check what IndexedDB holds; then the camera's failure modes.
const fs = require('node:fs');
const path = require('node:path');
const { useDemo } = require('../js/helpers/fixture');
const { launchChromium, launchCameraPhone, openChromium, recordErrors, artifactPath } = require('./helpers/chromium');
const { PNG } = require('pngjs');
const { writeY4mFromPng } = require('./helpers/y4m');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome, readIndexedDb } = require('./helpers/pwa');

const USER = 'alice-camera';
let demo;
let rp;
let rpPage;
let pwa;
let app;
let workDir;
let videoFile;
const errors = [];

// Opens the PWA in its own browser whose fake camera plays `videoFile`. getUserMedia is wrapped
// (passed through) only to keep hold of the streams, so the test can see that every track stopped.
async function openPwa() {
  pwa = await launchCameraPhone(path.join(workDir, 'pwa-profile'), videoFile);
  await pwa.addInitScript(() => {
    window.cameraStreams = [];
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      window.cameraStreams.push(stream);
      return stream;
    };
  });
  app = pwa.pages()[0] ?? (await pwa.newPage());
  recordErrors(app, errors, { csp: true });
}

const cameraState = () => app.evaluate(() => ({
  streams: window.cameraStreams.length,
  live: window.cameraStreams.flatMap((s) => s.getTracks()).filter((t) => t.readyState !== 'ended').length,
  preview: document.querySelector('#camera').srcObject,
}));

const site = useDemo();
beforeAll(async () => {
  demo = site.server;
  workDir = site.tempDir('tapgate-pwa-camera-');
  videoFile = path.join(workDir, 'camera.y4m');
  rp = await openChromium(site);
  rpPage = recordErrors(await rp.newPage(), errors);
  site.closeAfterFile(() => pwa?.close());  // the phone, opened by a test
  await rpPage.goto(`${demo.url}/`);
}, 60_000);

test('enrol and log in by filming the relying party\'s QR codes with the camera', async () => {
  // Enrol: the enrol QR is fetched from the running server before the PWA's browser starts.
  await rpPage.fill('#userid', USER);
  writeY4mFromPng(await relyingPartyQr(rpPage, 'enrol'), videoFile);
  await openPwa();

  const downloads = { beforeScan: new Map(), afterScan: new Map() };
  let phase = downloads.beforeScan;
  // What the app downloads (GETs; the device API's POSTs are not app code). Sizes from the
  // server's content-length, which holds also when the service worker passes a response on.
  app.on('requestfinished', async (req) => {
    const into = phase;
    const length = req.method() === 'GET' ? (await req.response())?.headers()['content-length'] : undefined;
    if (length) into.set(new URL(req.url()).pathname, Number(length));
  });
  await app.goto(`${demo.url}/authenticator/`);
  await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  await app.waitForSelector('body[data-offline-ready=true]', { timeout: 15_000 });
  phase = downloads.afterScan;

  const started = Date.now();
  await app.click('#scan-camera');
  await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 20_000 });
  const scanMs = Date.now() - started;
  // The camera is off as soon as the payload is read: every track ended, the preview cleared.
  expect(await cameraState()).toEqual({ streams: 1, live: 0, preview: null });
  expect(await app.textContent('#enrol-server')).toBe('Tapgate Demo Bank');
  expect(await app.textContent('#vash')).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  await app.click('#accept-enrol');
  expect(await app.textContent('#pin-prompt')).toMatch(/Choose a PIN/);
  await app.screenshot({ path: artifactPath('pwa-pin-pad.png') });
  await typePin(app, '2468');
  await outcome(app, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rpPage, USER);

  // Log in: the camera now films the login QR (the fake camera reads the file each time it opens).
  writeY4mFromPng(await relyingPartyQr(rpPage, 'login'), videoFile);
  await app.click('#scan-camera');
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  expect(await cameraState()).toEqual({ streams: 2, live: 0, preview: null });
  expect(await app.textContent('#pin-prompt')).toContain(demo.url);
  await typePin(app, '1357');
  await app.waitForFunction(() => document.querySelector('#pin-result').textContent.includes('2 attempts left'), null, { timeout: 20_000 });
  expect(await rpPage.textContent('#status')).not.toContain('Logged in');
  await typePin(app, '2468');
  await outcome(app, 'Logged in.');
  await relyingPartyLoggedIn(rpPage, USER);
  await app.screenshot({ path: artifactPath('pwa-logged-in.png') });
  await rpPage.screenshot({ path: artifactPath('relying-party-logged-in-by-camera.png') });

  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  const sizes = {
    beforeFirstScan: { bytes: sum(downloads.beforeScan), files: Object.fromEntries(downloads.beforeScan) },
    addedByFirstScan: { bytes: sum(downloads.afterScan), files: Object.fromEntries(downloads.afterScan) },
    firstScanMs: scanMs,
  };
  fs.writeFileSync(artifactPath('pwa-download-sizes.json'), JSON.stringify(sizes, null, 2));
  // The QR reader is loaded on the first scan, not before.
  expect(Object.keys(sizes.beforeFirstScan.files)).toContain('/sdk/wasm/tapgate_core.web.wasm');
  expect(Object.keys(sizes.beforeFirstScan.files)).not.toContain('/sdk/wasm/zxing_reader.wasm');
  expect(Object.keys(sizes.addedByFirstScan.files)).toContain('/sdk/wasm/zxing_reader.wasm');
  expect(errors).toEqual([]);
}, 120_000);

test('after a reload the accounts and history are there, and IndexedDB holds no plaintext', async () => {
  await app.reload();
  await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  expect(await app.textContent('#accounts')).toContain(USER);
  const history = await app.locator('#history li').allTextContents();
  expect(history).toHaveLength(2);
  expect(history.join('\n')).toMatch(/login LOGGED_IN(_ONE_SHOT)? as alice-camera[^\n]*\n.*enrol LOGGED_IN(_ONE_SHOT)?/);

  const db = await readIndexedDb(app, 'tapgate-demo');
  const records = Object.fromEntries(db.records.map((r) => [r.key, r]));
  expect(Object.keys(records).sort()).toEqual(['key', 'state']);
  // The key is a WebCrypto key the page can use but not read.
  expect(records.key.cryptoKey).toEqual({ type: 'secret', extractable: false, algorithm: 'AES-GCM', usages: ['encrypt', 'decrypt'] });
  expect(records.state.fields.sort()).toEqual(['data', 'iv']);
  expect(records.state.iv).toHaveLength(12);
  const stored = Buffer.from(records.state.data);
  expect(stored.length).toBeGreaterThan(200);
  // Nothing the state holds in clear appears in the record: not the account or server name, not
  // the account's public key, not a JSON key name (the secret keys are JSON fields of the state).
  // Every marker is at least 7 bytes long: a shorter one (say `{"`) turns up in a few kilobytes
  // of random ciphertext now and then, which would make this test fail by chance.
  const account = await app.evaluate(() => window.tapgate.accounts[0]);
  for (const text of [USER, 'Tapgate Demo Bank', account.publicKey, account.serverId, '"accounts"', '"signSk"', '"boxSk"', '"history"']) {
    expect(stored.includes(Buffer.from(text))).toBe(false);
  }
  for (const encoding of ['base64', 'base64url', 'hex']) {
    expect(stored.toString('latin1')).not.toContain(Buffer.from(USER).toString(encoding));
  }
  expect(errors).toEqual([]);
}, 60_000);

test('stopping a scan that found nothing turns the camera off', async () => {
  // The camera now films a blank page: scanning runs until the user presses "Stop camera".
  const blank = new PNG({ width: 200, height: 200 });
  blank.data.fill(255);
  writeY4mFromPng(PNG.sync.write(blank), videoFile);
  const before = (await cameraState()).streams;
  await app.click('#scan-camera');
  await app.waitForFunction((n) => window.cameraStreams.length === n + 1 && window.cameraStreams[n].getVideoTracks()[0].readyState === 'live', before, { timeout: 10_000 });
  await app.waitForFunction(() => document.querySelector('#camera').videoWidth > 0, null, { timeout: 10_000 });
  await app.click('#scan-stop');
  await app.waitForSelector('#camera', { state: 'hidden' });
  expect(await cameraState()).toEqual({ streams: before + 1, live: 0, preview: null });
  expect(await app.textContent('#scan-error')).toBe('');
  expect(errors).toEqual([]);
}, 60_000);

test('no camera and a refused permission are typed device errors, in the SDK and in the PWA', async () => {
  const cases = [
    // No capture device at all (no fake device): getUserMedia → NotFoundError.
    { args: ['--use-fake-ui-for-media-stream'], code: 'CAMERA_UNAVAILABLE' },
    // A camera, but the permission prompt is answered "no".
    { args: ['--use-fake-device-for-media-stream', '--deny-permission-prompts'], code: 'CAMERA_DENIED' },
  ];
  for (const { args, code } of cases) {
    const browser = await launchChromium({ args });
    try {
      const page = await browser.newPage();
      await page.goto(`${demo.url}/authenticator/`);
      await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
      const caught = await page.evaluate(async () => {
        const { scanQrFromCamera } = await import('/sdk/esm/index.js');
        try {
          await scanQrFromCamera(window.tapgate, { signal: AbortSignal.timeout(10_000) });
          return { resolved: true };
        } catch (err) {
          return { name: err.name, code: err.code, kind: err.kind };
        }
      });
      expect(caught).toEqual({ name: 'TapgateError', code, kind: 'device' });
      // The PWA shows the same error when its button is pressed.
      await page.click('#scan-camera');
      await page.waitForFunction((c) => document.querySelector('#scan-error').textContent.includes(c), code, { timeout: 10_000 });
      expect(await page.isHidden('#camera')).toBe(true);
    } finally {
      await browser.close();
    }
  }
}, 60_000);
