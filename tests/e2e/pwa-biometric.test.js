// The PWA's biometric in Chromium: a virtual platform authenticator with PRF (DevTools' WebAuthn
// domain) stands in for the fingerprint reader, WebAuthnPrfBiometricProvider is the SDK's real
// provider. The user enrols with a PIN and the biometric, logs in by the biometric; once the
// authenticator no longer verifies the user, the biometric gives BIOMETRIC_FAIL and the PIN still works.
// WebAuthn refuses IP addresses as relying-party ids, so the pages are opened at localhost.
const net = require('node:net');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, recordErrors, artifactPath } = require('./helpers/chromium');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome } = require('./helpers/pwa');

const USER = 'fay-biometric';
const PIN = '2468';
let origin;
let browser;
let rp;
let app;
let cdp;
let authenticatorId;
const errors = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const site = useDemo(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  return { env: { PORT: String(port), TAPGATE_DEVICE_ORIGINS: origin } };
});

beforeAll(async () => {
  browser = await openChromium(site, { viewport: { width: 1000, height: 900 } });
  rp = recordErrors(await browser.newPage(), errors, { csp: true });
  app = recordErrors(await browser.newPage(), errors, { csp: true });
  cdp = await app.context().newCDPSession(app);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, hasPrf: true, automaticPresenceSimulation: true },
  }));
  await rp.goto(`${origin}/`);
  await app.goto(`${origin}/authenticator/`);
  await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
}, 60_000);

afterAll(() => expect(errors).toEqual([]));

async function login() {
  await app.setInputFiles('#qr-file', { name: 'login.png', mimeType: 'image/png', buffer: await relyingPartyQr(rp, 'login') });
  await app.waitForSelector('#pin-section:not(.hidden) #use-biometric:not(.hidden)', { timeout: 20_000 });
}

test('enrolment sets the PIN and the biometric: the platform credential is made with PRF', async () => {
  await rp.fill('#userid', USER);
  await app.setInputFiles('#qr-file', { name: 'enrol.png', mimeType: 'image/png', buffer: await relyingPartyQr(rp, 'enrol') });
  await app.click('#accept-enrol');
  await app.waitForSelector('#also-biometric-row:not(.hidden)', { timeout: 20_000 });
  expect(await app.isChecked('#also-biometric')).toBe(true);
  expect(await app.isVisible('#use-biometric')).toBe(false);  // nothing to verify yet: it is being set
  await typePin(app, PIN);
  await outcome(app, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rp, USER);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].rpId).toBe('localhost');
  expect(await app.evaluate(() => window.tapgate.accounts.map((a) => a.biometric))).toEqual([true]);
}, 90_000);

test('a login by the biometric logs in at the relying party', async () => {
  await login();
  expect(await app.isVisible('#also-biometric-row')).toBe(false);
  await app.screenshot({ path: artifactPath('pwa-biometric-prompt.png') });
  await app.click('#use-biometric');
  await outcome(app, 'Logged in.');
  await relyingPartyLoggedIn(rp, USER);
}, 60_000);

test('a user the platform does not verify gets BIOMETRIC_FAIL, and the PIN still logs in', async () => {
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  await login();
  await app.click('#use-biometric');
  await app.waitForFunction(() => document.querySelector('#pin-result').textContent.includes('BIOMETRIC_FAIL'), null, { timeout: 20_000 });
  expect(await app.textContent('#pin-result')).toBe('Biometric not recognised — enter your PIN (BIOMETRIC_FAIL)');
  expect(await app.isVisible('#pin-section')).toBe(true);
  await app.screenshot({ path: artifactPath('pwa-biometric-fail.png') });
  await typePin(app, PIN);
  await outcome(app, 'Logged in.');
  await relyingPartyLoggedIn(rp, USER);
}, 60_000);
