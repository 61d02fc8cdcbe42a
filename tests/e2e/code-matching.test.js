// Code matching in the demo, in Chromium: the relying-party page asks for it ("Code matching"
// checkbox), draws its login QR and shows the code; the PWA and the extension popup ask the user to
// type that code in the confirmation step (the shared session pane) and pass it to setAccount. The
// right code logs in; a wrong one ends the session with CODE_MISMATCH, and the page sees it cancelled.
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, recordErrors, artifactPath, unpackedExtensionId, openExtensionPopup } = require('./helpers/chromium');
const { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome } = require('./helpers/pwa');

const EXTENSION = path.join(__dirname, '..', '..', 'build', 'extension');
const PWA_USER = 'dave-code';
const POPUP_USER = 'erin-code';
const PIN = '3579';
let demo;
let browser;
let rp;
let app;
const errors = [];

const site = useDemo({ env: { TAPGATE_DEVICE_ORIGINS: `chrome-extension://${unpackedExtensionId(EXTENSION)}` } });
beforeAll(async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build-extension.mjs')], { stdio: 'ignore' });
  demo = site.server;
  browser = await openChromium(site, { extension: EXTENSION, viewport: { width: 1000, height: 900 } });
  rp = recordErrors(await browser.newPage(), errors, { csp: true });
  app = recordErrors(await browser.newPage(), errors, { csp: true });
  await rp.goto(`${demo.url}/`);
  await app.goto(`${demo.url}/authenticator/`);
  await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

  // The PWA enrols (no code matching for an enrolment).
  await rp.fill('#userid', PWA_USER);
  await app.setInputFiles('#qr-file', { name: 'enrol.png', mimeType: 'image/png', buffer: await relyingPartyQr(rp, 'enrol') });
  await app.click('#accept-enrol');
  await typePin(app, PIN);
  await outcome(app, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rp, PWA_USER);
}, 90_000);

afterAll(() => expect(errors).toEqual([]));

/** Shows a code-matching login QR on the page; returns its picture and the code the page shows. */
async function codeMatchingQr() {
  await rp.check('#codematch');
  const png = await relyingPartyQr(rp, 'login');
  const code = await rp.textContent('#match-code');
  expect(code).toMatch(/^[0-9]{2}$/);
  expect(await rp.textContent('#status')).toBe(`Waiting for the authenticator… type ${code} there.`);
  return { png, code };
}

/** Waits for the confirmation step of `page` to ask for the code, and types `code` there. */
async function typeCode(page, code) {
  await page.waitForSelector('#code-entry:not(.hidden)', { timeout: 20_000 });
  expect(await page.textContent('#code-label')).toBe('Type the 2-digit code shown on the login page:');
  const account = page.locator('#candidates button').first();
  expect(await account.isDisabled()).toBe(true);  // no account can be picked before the code is complete
  await page.fill('#login-code', code.slice(0, 1));
  expect(await account.isDisabled()).toBe(true);
  await page.fill('#login-code', code);
  expect(await account.isDisabled()).toBe(false);
  return account;
}

const otherCode = (code) => String((Number(code) + 1) % 100).padStart(2, '0');

test('the page shows the code; the PWA asks for it and logs in with the right one', async () => {
  const { png, code } = await codeMatchingQr();
  await rp.screenshot({ path: artifactPath('code-matching-relying-party.png') });
  await app.setInputFiles('#qr-file', { name: 'login.png', mimeType: 'image/png', buffer: png });
  const account = await typeCode(app, code);
  await rp.waitForFunction((c) => document.querySelector('#status').textContent === `Scanned — type ${c} on the authenticator…`, code);
  await app.screenshot({ path: artifactPath('code-matching-authenticator.png') });
  await account.click();
  await typePin(app, PIN);
  await outcome(app, 'Logged in.');
  await relyingPartyLoggedIn(rp, PWA_USER);
}, 60_000);

test('a wrong code ends the PWA login with CODE_MISMATCH, and the page shows it cancelled', async () => {
  const { png, code } = await codeMatchingQr();
  await app.setInputFiles('#qr-file', { name: 'login.png', mimeType: 'image/png', buffer: png });
  const account = await typeCode(app, otherCode(code));
  await account.click();
  await app.waitForFunction(() => document.querySelector('#outcome').textContent.includes('CODE_MISMATCH'), null, { timeout: 20_000 });
  expect(await app.textContent('#outcome')).toMatch(/^Wrong code: not the one on the login page, so the login was cancelled/);
  expect(await app.getAttribute('#outcome', 'class')).toBe('status bad');
  expect(await app.isVisible('#pin-section')).toBe(false);  // no PIN is asked: the login ends there
  expect(await app.isVisible('#confirm-login')).toBe(false);
  await rp.waitForFunction((c) => document.querySelector('#status').textContent === `Cancelled on the authenticator (or the code typed there was not ${c}).`,
    code, { timeout: 15_000 });
  expect(await rp.getAttribute('#status', 'class')).toBe('status bad');
  await app.screenshot({ path: artifactPath('code-matching-mismatch.png') });
  await rp.screenshot({ path: artifactPath('code-matching-relying-party-cancelled.png') });
}, 60_000);

test('without code matching the page shows no code and the PWA asks for none', async () => {
  await rp.uncheck('#codematch');
  const png = await relyingPartyQr(rp, 'login');
  expect(await rp.locator('#match-code').count()).toBe(0);
  await app.setInputFiles('#qr-file', { name: 'login.png', mimeType: 'image/png', buffer: png });
  await typePin(app, PIN);  // one account, nothing to confirm: straight to the PIN
  await outcome(app, 'Logged in.');
  expect(await app.isVisible('#code-entry')).toBe(false);
  await relyingPartyLoggedIn(rp, PWA_USER);
}, 60_000);

test('the extension popup asks for the code of the tab it reads, and logs in with it; a wrong one is refused', async () => {
  const popup = await openExtensionPopup(browser, EXTENSION);
  recordErrors(popup, errors);
  popup.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await popup.setViewportSize({ width: 360, height: 900 });
  await popup.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  await rp.bringToFront();

  await rp.fill('#userid', POPUP_USER);
  await popup.setInputFiles('#qr-file', { name: 'enrol.png', mimeType: 'image/png', buffer: await relyingPartyQr(rp, 'enrol') });
  await popup.click('#accept-enrol');
  await typePin(popup, PIN);
  await outcome(popup, 'Enrolled and logged in.');
  await relyingPartyLoggedIn(rp, POPUP_USER);

  // The right code: the QR is read off the visible tab, the code typed from it.
  const first = await codeMatchingQr();
  await popup.click('#capture');
  const account = await typeCode(popup, first.code);
  expect(await popup.textContent('#candidates')).toContain(POPUP_USER);
  await popup.screenshot({ path: artifactPath('code-matching-extension-popup.png') });
  await account.click();
  await typePin(popup, PIN);
  await outcome(popup, 'Logged in.');
  await relyingPartyLoggedIn(rp, POPUP_USER);

  // A wrong code, sent with Enter (one account to pick).
  const second = await codeMatchingQr();
  await popup.click('#capture');
  await typeCode(popup, otherCode(second.code));
  await popup.press('#login-code', 'Enter');
  await popup.waitForFunction(() => document.querySelector('#outcome').textContent.includes('CODE_MISMATCH'), null, { timeout: 20_000 });
  await rp.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Cancelled on the authenticator'), null, { timeout: 15_000 });
  expect(await popup.textContent('#pending')).toBe('');
  await popup.screenshot({ path: artifactPath('code-matching-extension-mismatch.png') });
}, 90_000);
