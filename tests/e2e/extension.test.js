// The MV3 extension built by scripts/build-extension.mjs, loaded unpacked in Chromium: its popup
// (the same SDK and WASM core as the PWA) enrols from an uploaded QR image, then logs in by reading
// the relying party's login QR off the visible tab with chrome.tabs.captureVisibleTab.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, artifactPath, unpackedExtensionId, openExtensionPopup } = require('./helpers/chromium');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome } = require('./helpers/pwa');

const EXTENSION = path.join(__dirname, '..', '..', 'build', 'extension');
const USER = 'carol-extension';
let demo;
let browser;

// The popup's requests carry its chrome-extension:// origin: the device API accepts only origins it is told of.
const site = useDemo({ env: { TAPGATE_DEVICE_ORIGINS: `chrome-extension://${unpackedExtensionId(EXTENSION)}` } });
beforeAll(async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build-extension.mjs')], { stdio: 'ignore' });
  demo = site.server;
  browser = await openChromium(site, { extension: EXTENSION, viewport: { width: 900, height: 800 } });
}, 60_000);

test('the popup enrols from an uploaded image and logs in from the visible tab', async () => {
  const errors = [];
  const rp = await browser.newPage();
  rp.on('pageerror', (e) => errors.push(e.message));
  await rp.goto(`${demo.url}/`);

  const popup = await openExtensionPopup(browser, EXTENSION);  // over the relying party's tab
  await rp.bringToFront();
  popup.on('pageerror', (e) => errors.push(e.message));
  popup.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await popup.setViewportSize({ width: 360, height: 820 });
  await popup.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

  // Enrol from an uploaded picture of the enrol QR.
  await rp.fill('#userid', USER);
  const enrolPng = await relyingPartyQr(rp, 'enrol');
  await popup.setInputFiles('#qr-file', { name: 'enrol.png', mimeType: 'image/png', buffer: enrolPng });
  await popup.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 20_000 });
  expect(await popup.textContent('#pending')).toContain('enrol at Tapgate Demo Bank: WAIT_FOR_CONFIRMATION');
  await popup.click('#accept-enrol');
  await typePin(popup, '9753');
  await outcome(popup, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rp, USER);
  expect(await popup.textContent('#accounts')).toContain(USER);

  // Log in: the QR is read from the relying party's tab as it is shown on screen.
  await relyingPartyQr(rp, 'login');
  await popup.click('#capture');
  await popup.waitForSelector('#pin-section:not(.hidden), #scan-error:not(:empty)', { timeout: 20_000 });
  expect(await popup.textContent('#scan-error')).toBe('');
  expect(await popup.textContent('#pin-prompt')).toContain(demo.url);
  expect(await popup.textContent('#pending')).toContain('login at Tapgate Demo Bank: WAIT_FOR_SECOND_FACTOR');
  await popup.screenshot({ path: artifactPath('extension-popup.png') });
  await typePin(popup, '9753');
  await outcome(popup, 'Logged in.');
  await relyingPartyLoggedIn(rp, USER);
  expect(await popup.textContent('#pending')).toBe('');
  expect(errors).toEqual([]);
}, 120_000);
