// The extension's biometric: its sessions live in the background worker, which has no WebAuthn, so
// the popup runs the WebAuthn PRF prompt (the SDK's WebAuthnPrfBiometricProvider) and hands the
// secret to the worker. A DevTools virtual platform authenticator with PRF, on the popup's page,
// stands in for the fingerprint reader. Enrol with PIN + biometric, log in by the biometric; once
// the authenticator no longer verifies the user, BIOMETRIC_FAIL, and the PIN still logs in.
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, unpackedExtensionId, openExtensionPopup } = require('./helpers/chromium');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome } = require('./helpers/pwa');

const EXTENSION = path.join(__dirname, '..', '..', 'build', 'extension');
const EXTENSION_ID = unpackedExtensionId(EXTENSION);
const USER = 'erin-biometric';
const PIN = '1357';
let browser;
let rp;
let popup;
let cdp;
let authenticatorId;
const errors = [];

const site = useDemo({ env: { TAPGATE_DEVICE_ORIGINS: `chrome-extension://${EXTENSION_ID}` } });
beforeAll(async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build-extension.mjs')], { stdio: 'ignore' });
  browser = await openChromium(site, { extension: EXTENSION, viewport: { width: 900, height: 800 } });
  rp = await browser.newPage();
  rp.on('pageerror', (e) => errors.push(e.message));
  await rp.goto(`${site.server.url}/`);
  popup = await openExtensionPopup(browser, EXTENSION);
  popup.on('pageerror', (e) => errors.push(e.message));
  popup.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await popup.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  expect(await popup.getAttribute('body', 'data-biometric')).toBe('false');  // no platform authenticator yet
  cdp = await browser.newCDPSession(popup);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, hasPrf: true, automaticPresenceSimulation: true },
  }));
  // Opened again with the authenticator there, the popup tells the worker, which then offers the biometric.
  await popup.reload();
  await popup.waitForSelector('body[data-ready=true][data-biometric=true]', { timeout: 30_000 });
}, 90_000);

afterAll(() => expect(errors).toEqual([]));

async function login() {
  await popup.setInputFiles('#qr-file', { name: 'login.png', mimeType: 'image/png', buffer: await relyingPartyQr(rp, 'login') });
  await popup.waitForSelector('#pin-section:not(.hidden) #use-biometric:not(.hidden)', { timeout: 20_000 });
}

test('enrolment sets the PIN and the biometric: the credential is made in the popup, for the extension', async () => {
  await rp.fill('#userid', USER);
  await popup.setInputFiles('#qr-file', { name: 'enrol.png', mimeType: 'image/png', buffer: await relyingPartyQr(rp, 'enrol') });
  await popup.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 20_000 });
  await popup.click('#accept-enrol');
  await popup.waitForSelector('#also-biometric-row:not(.hidden)', { timeout: 20_000 });
  expect(await popup.isChecked('#also-biometric')).toBe(true);
  await typePin(popup, PIN);
  await outcome(popup, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rp, USER);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].rpId).toBe(`chrome-extension://${EXTENSION_ID}`);  // Chromium's relying-party id for an extension
}, 90_000);

test('a login by the biometric logs in at the relying party', async () => {
  await login();
  await popup.click('#use-biometric');
  await outcome(popup, 'Logged in.');
  await relyingPartyLoggedIn(rp, USER);
}, 60_000);

test('a user the platform does not verify gets BIOMETRIC_FAIL, and the PIN still logs in', async () => {
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  await login();
  await popup.click('#use-biometric');
  await popup.waitForFunction(() => document.querySelector('#pin-result').textContent.includes('BIOMETRIC_FAIL'), null, { timeout: 20_000 });
  await typePin(popup, PIN);
  await outcome(popup, 'Logged in.');
  await relyingPartyLoggedIn(rp, USER);
}, 60_000);
