// The demo's OpenID Connect card in Chromium: the relying-party page signs in through the
// provider's login page, whose Tapgate QR the PWA films with its fake camera and approves with the
// PIN; the page then shows the ID token's claims. Then CIBA: "Push to phone" reaches the PWA
// through the server's push relay, the binding message shows beside the PIN pad, and the approval
// brings the claims to the page. The refusals reach the card too: Cancel on the provider's page,
// a push to an unknown user, a push declined on the phone. openid-client is the relying party
// (web-demo/oidc-card.mjs).
const path = require('node:path');
const { useDemo } = require('../js/helpers/fixture');
const { launchCameraPhone, openChromium, recordErrors, artifactPath } = require('./helpers/chromium');
const { writeY4mFromPng } = require('./helpers/y4m');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome } = require('./helpers/pwa');

const USER = 'alice-oidc';
const PIN = '2468';
let demo;
let rp;
let rpPage;
let pwa;
let app;
let workDir;
let videoFile;
const errors = [];

const site = useDemo();
beforeAll(async () => {
  demo = site.server;
  workDir = site.tempDir('tapgate-demo-oidc-');
  videoFile = path.join(workDir, 'camera.y4m');
  rp = await openChromium(site);
  rpPage = recordErrors(await rp.newPage(), errors, { csp: true });
  site.closeAfterFile(() => pwa?.close());  // the phone, opened by a test
  await rpPage.goto(`${demo.url}/`);
}, 60_000);

test('enrol the PWA by camera (the account the OpenID sign-ins use)', async () => {
  await rpPage.fill('#userid', USER);
  writeY4mFromPng(await relyingPartyQr(rpPage, 'enrol'), videoFile);
  pwa = await launchCameraPhone(path.join(workDir, 'pwa-profile'), videoFile);
  app = pwa.pages()[0] ?? (await pwa.newPage());
  app.on('pageerror', (e) => errors.push(e.message));
  await app.goto(`${demo.url}/authenticator/`);
  await app.waitForSelector('body[data-ready=true][data-push=relay]', { timeout: 30_000 });
  await app.click('#scan-camera');
  await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 20_000 });
  await app.click('#accept-enrol');
  await typePin(app, PIN);
  await outcome(app, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rpPage, USER);
}, 90_000);

// Before the first sign-in: once signed in, the provider's session may skip its login page.
test('Cancel on the provider\'s login page: access_denied on the card', async () => {
  await rpPage.click('#oidc-signin');
  await rpPage.waitForURL(/\/oidc\/interaction\//, { timeout: 15_000 });
  await rpPage.click('form[action$="/abort"] button');
  await rpPage.waitForURL(`${demo.url}/#oidc`, { timeout: 15_000 });
  await rpPage.waitForFunction(() => document.querySelector('#oidc-status').textContent.startsWith('Sign-in failed'), null, { timeout: 10_000 });
  expect(await rpPage.textContent('#oidc-status')).toBe('Sign-in failed: access_denied (the user cancelled the sign-in)');
  expect(await rpPage.locator('#oidc-claims').textContent()).toBe('');
}, 30_000);

test('"Sign in with Tapgate": the provider\'s QR page, filmed by the PWA, the PIN, and the ID token\'s claims on the page', async () => {
  await rpPage.click('#oidc-signin');
  await rpPage.waitForURL(/\/oidc\/interaction\//, { timeout: 15_000 });
  expect(await rpPage.textContent('h1')).toBe('Sign in to Tapgate demo (OpenID Connect)');
  await rpPage.waitForSelector('#qr');
  // The QR picture as the page shows it (its own cookie-bound URL), for the fake camera.
  const png = Buffer.from(await rpPage.evaluate(async () => {
    const res = await fetch(document.querySelector('#qr').src);
    return [...new Uint8Array(await res.arrayBuffer())];
  }));
  writeY4mFromPng(png, videoFile);
  await rpPage.screenshot({ path: artifactPath('oidc-login-page.png') });
  await app.click('#scan-camera');
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  expect(await app.textContent('#announce-info')).toContain('Tapgate demo (OpenID Connect)');
  await typePin(app, PIN);
  // The login page follows the session live and finishes the interaction: back on the demo page.
  await rpPage.waitForURL(`${demo.url}/#oidc`, { timeout: 20_000 });
  await rpPage.waitForFunction(() => document.querySelector('#oidc-status').textContent.startsWith('Signed in as'), null, { timeout: 10_000 });
  expect(await rpPage.textContent('#oidc-status')).toBe(`Signed in as ${USER} (OpenID Connect)`);
  const claims = await rpPage.locator('#oidc-claims').textContent();
  expect(claims).toContain(`sub${USER}`);
  expect(claims).toContain('amrpop pin mfa');
  expect(claims).toContain(`iss${demo.url}/oidc`);
  await rpPage.screenshot({ path: artifactPath('relying-party-oidc-claims.png'), fullPage: true });
}, 60_000);

/** "Push to phone" for USER: the PWA's PIN pad opens showing the binding message the card shows. */
async function pushToPhone() {
  await rpPage.fill('#oidc-userid', USER);
  await rpPage.click('#oidc-ciba');
  await rpPage.waitForFunction(() => document.querySelector('#oidc-status').textContent.startsWith('Sent to'), null, { timeout: 10_000 });
  const binding = await rpPage.textContent('#oidc-binding');
  expect(binding).toMatch(/^Demo code \d{4}$/);
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  expect(await app.textContent('#announce-info')).toContain(binding);
}

test('"Push to phone" (CIBA): the binding message beside the PIN pad, the approval, the claims', async () => {
  await pushToPhone();
  await app.screenshot({ path: artifactPath('pwa-ciba-binding-message.png'), fullPage: true });
  await typePin(app, PIN);
  await rpPage.waitForFunction(() => document.querySelector('#oidc-status').textContent.startsWith('Approved'), null, { timeout: 20_000 });
  expect(await rpPage.textContent('#oidc-status')).toBe(`Approved on the phone: signed in as ${USER} (CIBA)`);
  expect(await rpPage.locator('#oidc-claims').textContent()).toContain('amrpop pin mfa');
}, 60_000);

test('a push to a user without a device: the provider\'s refusal on the card', async () => {
  await rpPage.fill('#oidc-userid', 'nobody-here');
  await rpPage.click('#oidc-ciba');
  await rpPage.waitForFunction(() => document.querySelector('#oidc-status').textContent.startsWith('Push sign-in refused'), null, { timeout: 10_000 });
  expect(await rpPage.textContent('#oidc-status')).toBe('Push sign-in refused: unknown_user_id (no user of that login_hint can receive a login request)');
}, 30_000);

test('a push declined on the phone (Cancel on the PIN pad): denied on the card, no claims', async () => {
  await pushToPhone();
  await app.click('#pin-pad [data-key=cancel]');
  await rpPage.waitForFunction(() => document.querySelector('#oidc-status').textContent.startsWith('Push sign-in denied'), null, { timeout: 20_000 });
  expect(await rpPage.textContent('#oidc-status')).toBe('Push sign-in denied: access_denied');
  expect(await rpPage.locator('#oidc-claims').textContent()).toBe('');
  expect(errors).toEqual([]);
}, 60_000);
