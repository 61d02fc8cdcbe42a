// App-to-app in the browser: the demo's authenticator PWA opens a link with ?return=, the user
// types the PIN, and the PWA sends the browser back to the return URL with the outcome; a return
// URL at an origin the server did not register leaves the user in the app with the typed error.
const { randomBytes } = require('node:crypto');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, recordErrors } = require('./helpers/chromium');
const { typePin, outcome } = require('./helpers/pwa');

// The demo makes a new root API key per start; this test sets it, to register the return origin.
const site = useDemo({ env: { TAPGATE_ROOT_API_KEY: randomBytes(32).toString('base64url') } });
let browser;
let app;
const errors = [];
beforeAll(async () => {
  browser = await openChromium(site);
  app = recordErrors(await browser.newPage(), errors);
  await site.rp.updateServer({ returnOrigins: [site.server.url] });
}, 30_000);

const ready = () => app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
/** The PWA opened by a deep link: /authenticator/?link=<the whole link, percent-encoded once>. */
const openLink = (qr, returnUrl) => {
  const link = `tapgate:${Buffer.from(qr).toString('base64url')}${returnUrl ? `?return=${encodeURIComponent(returnUrl)}` : ''}`;
  return app.goto(`${site.server.url}/authenticator/?link=${encodeURIComponent(link)}`);
};

test('after an app-to-app login the PWA returns to the caller with the outcome; a foreign origin is refused', async () => {
  // An account first (a plain deep link, no return).
  await openLink(await site.rp.enrolQr(site.rp.newNonce(), { userid: 'a2a-browser' }));
  await ready();
  await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 15_000 });
  await app.click('#accept-enrol');
  await typePin(app, '2468');
  await app.waitForFunction(() => document.querySelector('#outcome').textContent.includes('Enrolled'), null, { timeout: 20_000 });

  // Approve: the browser lands on the return URL, with tapgate_status and nothing else added.
  const nonce = site.rp.newNonce();
  const back = `${site.server.url}/?from=app`;
  await openLink(await site.rp.loginQr(nonce), back);
  await ready();
  await typePin(app, '2468');
  await app.waitForURL(`${back}&tapgate_status=approved`, { timeout: 20_000 });
  expect((await site.rp.loginStatus(nonce)).loggedin).toBe(true);

  // A return URL elsewhere: the session fails with the typed error and the PWA stays put.
  const other = site.rp.newNonce();
  await openLink(await site.rp.loginQr(other), 'https://evil.example/phish');
  await ready();
  await app.waitForFunction(() => window.tapgate.sessions.some((s) => s.error?.code === 'RETURN_URL_NOT_ALLOWED'), null, { timeout: 20_000 });
  expect(new URL(app.url()).origin).toBe(site.server.url);
  expect((await site.rp.loginStatus(other)).loggedin).toBe(false);
  expect(errors).toEqual([]);
}, 120_000);
