// The demo as a product: the relying-party page and the authenticator PWA in two separate
// browsers, a continuous server (pingTime > 0), no mocks. Enrol by deep link; then everything else
// without a scan: "Push login" on the relying-party page reaches the PWA through the server's push
// relay and opens the PIN pad; the page turns logged in through the live status channel and its
// state diagram highlights ACTIVE; "Log out" ends the PWA's session (LOGGED_OUT in its history);
// a transaction pushed to the PWA and approved with the PIN shows as signed and verified.
const { randomBytes } = require('node:crypto');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium, recordErrors, artifactPath } = require('./helpers/chromium');
const { typePin, outcome } = require('./helpers/pwa');

const USER = 'alice-push';
const PIN = '2468';
const PING_TIME_S = 10;
const API_KEY = randomBytes(24).toString('base64url');
let demo;
let rpBrowser;
let pwaBrowser;
let rp;
let app;
const errors = [];
const rpApiCalls = [];  // what the relying-party page asked its backend

const diagramState = (page) => page.getAttribute('#diagram svg', 'data-current');
const waitForDiagram = (page, state) =>
  page.waitForFunction((s) => document.querySelector('#diagram svg')?.dataset.current === s, state, { timeout: 20_000 });
const waitForStatus = (page, text) =>
  page.waitForFunction((t) => document.querySelector('#status').textContent === t, text, { timeout: 20_000 });
const historyTexts = () => app.locator('#history li').allTextContents();

const site = useDemo({ env: { TAPGATE_ROOT_API_KEY: API_KEY } });
beforeAll(async () => {
  demo = site.server;
  // Continuous logins: sessions stay ACTIVE, kept alive by pings, until a logout.
  const res = await fetch(`${demo.url}/servers/${demo.serverId}/`, {
    method: 'PUT',
    headers: { 'X-apikey': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ pingTime: PING_TIME_S }),
  });
  if (!res.ok) throw new Error(`PUT server: HTTP ${res.status}`);
  [rpBrowser, pwaBrowser] = await Promise.all([openChromium(site, { viewport: { width: 1100, height: 1100 } }), openChromium(site, { viewport: { width: 480, height: 1000 } })]);
  rp = recordErrors(await rpBrowser.newPage(), errors);
  app = recordErrors(await pwaBrowser.newPage(), errors);
  rp.on('request', (req) => {
    const { pathname } = new URL(req.url());
    if (pathname.startsWith('/rp/api/')) rpApiCalls.push(`${req.method()} ${pathname}`);
  });
  await Promise.all([rp.goto(`${demo.url}/`), app.goto(`${demo.url}/authenticator/`)]);
  await app.waitForSelector('body[data-ready=true][data-push=relay]', { timeout: 30_000 });
}, 60_000);

test('enrol by deep link: the page follows STARTING → USER_INTERACTION → ACTIVE live', async () => {
  await rp.fill('#userid', USER);
  await rp.click('#enrol');
  const link = await rp.locator('p[data-link=enrol]').textContent({ timeout: 15_000 });
  await rp.waitForSelector('body[data-live=true]');
  await waitForDiagram(rp, 'STARTING');

  await app.evaluate((l) => (location.hash = l), link);
  await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 20_000 });
  await waitForDiagram(rp, 'USER_INTERACTION');
  expect(await rp.textContent('#status')).toBe('Scanned — confirm on the authenticator…');
  await app.click('#accept-enrol');
  await typePin(app, PIN);
  await outcome(app, 'Enrolled and logged in.');
  await waitForStatus(rp, `Logged in as ${USER}`);
  await waitForDiagram(rp, 'ACTIVE');
  expect(await app.textContent('#state')).toBe('ACTIVE');
  expect(await rp.isEnabled('#push-login')).toBe(true);  // canprovoke arrived on the stream
  expect(await rp.locator('#events li').evaluateAll((lis) => lis.map((li) => li.dataset.event).reverse()))
    .toEqual(['scanned', 'loggedin', 'canprovoke']);  // the QR itself came in the stream's first status
}, 60_000);

test('the page\'s diagram draws every arrow of the transition table, each naming its inputs', async () => {
  const edges = await rp.evaluate(async () => (await import('/state-edges.js')).EDGES);
  const drawn = await rp.locator('#diagram svg path.arrow').evaluateAll((paths) =>
    paths.map((p) => [p.dataset.from, p.dataset.to, p.querySelector('title').textContent, p.getAttribute('d'), p.getTotalLength()]));
  expect(drawn.map(([from, to]) => [from, to])).toEqual(edges.map(([from, to]) => [from, to]));
  for (const [from, to, title, d, length] of drawn) {
    expect(title).toMatch(new RegExp(`^${from} → ${to}: \\w`));
    expect(d).not.toMatch(/NaN|undefined/);
    expect(length).toBeGreaterThan(20);
  }
  await rp.locator('#diagram').screenshot({ path: artifactPath('relying-party-state-diagram.png') });
});

test('"Log out" on the page ends the PWA\'s session by push', async () => {
  await rp.click('#logout');
  await waitForStatus(rp, 'Logged out.');
  expect(await diagramState(rp)).toBe('DONE');
  await outcome(app, 'Ended: LOGGED_OUT');
  await app.waitForFunction(() => /enrol LOGGED_OUT/.test(document.querySelector('#history').textContent));
}, 30_000);

test('"Push login" opens the PIN pad in the PWA without a scan, and the page turns ACTIVE', async () => {
  // Nothing is done in the PWA: the push arrives through the relay it polls.
  await rp.click('#push-login');
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  expect(await app.textContent('#pin-prompt')).toBe(`Enter your PIN for ${demo.url}`);
  // The push carried the start response: the server hears of the device only at its login.
  expect(await diagramState(rp)).toBe('STARTING');
  await typePin(app, PIN);
  await outcome(app, 'Logged in.');
  await waitForStatus(rp, `Logged in as ${USER}`);
  await waitForDiagram(rp, 'ACTIVE');
  await rp.screenshot({ path: artifactPath('relying-party-push-login-active.png'), fullPage: true });
  // All of it came over the one stream: the page never polled the status.
  expect(rpApiCalls.filter((c) => c === 'GET /rp/api/status')).toHaveLength(1);  // once, on load
  expect(rpApiCalls).toContain('POST /rp/api/provoke');
  await app.screenshot({ path: artifactPath('pwa-push-login.png'), fullPage: true });
}, 40_000);

test('a transaction pushed to the PWA and approved with the PIN shows as signed and verified', async () => {
  await rp.click('#transaction');
  await rp.waitForSelector('#tx-result [data-tstatus=PENDING]');
  const shown = await app.waitForSelector('#confirm-login:not(.hidden), #pin-section:not(.hidden)', { timeout: 20_000 });
  if ((await shown.getAttribute('id')) === 'confirm-login') {
    expect(await app.textContent('#tx-details')).toBe('Sign: EUR 125.00 to BE71 0961 2345 6769 — Invoice 2026-117');
    await app.click('#candidates button');
  }
  await app.waitForSelector('#pin-section:not(.hidden)', { timeout: 20_000 });
  expect(await app.textContent('#pin-prompt')).toContain('to sign EUR 125.00 to BE71 0961 2345 6769 (Invoice 2026-117)');
  await typePin(app, PIN);
  await outcome(app, 'Logged in.');
  const signed = await rp.waitForSelector('#tx-result [data-tstatus=SIGNED]', { timeout: 20_000 });
  expect(await signed.textContent()).toMatch(/EUR 125\.00 to BE71 0961 2345 6769 \(Invoice 2026-117\): SIGNED.*verified \(Ed25519\) by this site/);
  await rp.screenshot({ path: artifactPath('relying-party-transaction-signed.png'), fullPage: true });
}, 40_000);

test('"Log out" again: the PWA\'s sessions end LOGGED_OUT and nothing stays ACTIVE', async () => {
  await rp.click('#logout');
  await waitForStatus(rp, 'Logged out.');
  await waitForDiagram(rp, 'DONE');
  // The latest login gets the logout push at once; an older one on the same relying-party
  // session learns it at its next ping (within pingTime).
  await app.waitForFunction(() => window.tapgate.sessions.every((s) => s.state !== 'ACTIVE'), null, { timeout: (PING_TIME_S + 10) * 1000 });
  const history = await historyTexts();
  expect(history.filter((h) => / login LOGGED_OUT as /.test(h))).toHaveLength(2);
  expect(history.filter((h) => /LOGGED_IN/.test(h))).toEqual([]);
  await rp.screenshot({ path: artifactPath('relying-party-logged-out.png'), fullPage: true });
  await app.screenshot({ path: artifactPath('pwa-history-logged-out.png'), fullPage: true });
  expect(errors).toEqual([]);
}, 40_000);
