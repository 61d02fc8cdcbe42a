// The authenticator PWA at phone widths (360–430 px, mobile emulation, 2–3 device pixels per CSS
// pixel): in each of its states — no account yet, the camera running, a scan error, the enrol
// prompt, the PIN pad (choosing a PIN, then logging in, a wrong PIN), the accounts list and the
// history — nothing reaches past the edge of its card or of the screen, and the page never scrolls
// sideways. The account is a real one, enrolled through the demo server with a long e-mail as its
// user id; the states are screenshotted at 375 px into test-results/ (pwa-375-<state>.png).
const { useDemo } = require('../js/helpers/fixture');
const { launchChromium, openChromium, recordErrors, artifactPath } = require('./helpers/chromium');
const { relyingPartyQr, typePin, outcome } = require('./helpers/pwa');

const PHONES = [
  { width: 360, height: 800, deviceScaleFactor: 3 },
  { width: 375, height: 812, deviceScaleFactor: 3 },
  { width: 390, height: 844, deviceScaleFactor: 3 },
  { width: 414, height: 896, deviceScaleFactor: 2 },
  { width: 430, height: 932, deviceScaleFactor: 3 },
];
const SCREENSHOT_WIDTH = 375;
const PIN = '2580';

let demo;
let rpPage;
const errors = [];

const site = useDemo();
beforeAll(async () => {
  demo = site.server;
  const rp = await openChromium(site);
  rpPage = recordErrors(await rp.newPage(), errors);
  await rpPage.goto(`${demo.url}/`);
}, 60_000);

/**
 * Runs in the page: what reaches past the screen or past its card (header, warning, each section:
 * their content box, padding excluded), elements and the lines of text alike; [] when nothing does.
 */
function findOverflow() {
  const TOLERANCE = 0.5;
  const root = document.documentElement;
  const screen = root.clientWidth;
  const found = [];
  if (root.scrollWidth > screen) found.push(`the page scrolls sideways: scrollWidth ${root.scrollWidth} > ${screen}`);
  if (window.innerWidth !== screen) found.push(`the page is zoomed out to fit: innerWidth ${window.innerWidth} ≠ ${screen}`);
  const name = (node) => {
    const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const path = [];
    for (let e = el; e && e !== document.body && path.length < 3; e = e.parentElement) {
      path.unshift(e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.classList.length ? `.${[...e.classList].join('.')}` : ''}`);
      if (e.id) break;
    }
    const text = (node.textContent ?? '').trim().replace(/\s+/g, ' ');
    return `${path.join(' > ')}${node.nodeType === Node.TEXT_NODE ? ' text' : ''}${text ? ` "${text.slice(0, 40)}"` : ''}`;
  };
  for (const card of document.querySelectorAll('body > header, body > .warning, main > section')) {
    if (card.getClientRects().length === 0) continue;
    const box = card.getBoundingClientRect();
    if (box.left < -TOLERANCE || box.right > screen + TOLERANCE) found.push(`${name(card)}: spans ${box.left}–${box.right} of a ${screen} px screen`);
    const style = getComputedStyle(card);
    const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
    const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let rects;
      if (node.nodeType === Node.TEXT_NODE) {
        if (!node.textContent.trim()) continue;
        range.selectNodeContents(node);
        rects = [...range.getClientRects()];
      } else {
        rects = node.getClientRects().length ? [node.getBoundingClientRect()] : [];
      }
      for (const r of rects) {
        if (r.width === 0 && r.height === 0) continue;
        if (r.left < left - TOLERANCE || r.right > right + TOLERANCE) {
          found.push(`${name(node)}: spans ${Math.round(r.left)}–${Math.round(r.right)}, its card's content ${Math.round(left)}–${Math.round(right)}`);
          break;
        }
      }
    }
  }
  return found;
}

test.each(PHONES)('at $width px: no state of the PWA overflows its card or the screen', async (phone) => {
  const { width, height, deviceScaleFactor } = phone;
  const browser = site.closeAfterTest(await launchChromium({
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    viewport: { width, height },
    device: { deviceScaleFactor, isMobile: true, hasTouch: true },
  }));
  const app = recordErrors(await browser.newPage(), errors, { csp: true });
  const overflow = {};
  const check = async (state) => {
    await app.evaluate(() => document.activeElement?.blur());  // no focus ring in the pictures
    const found = await app.evaluate(findOverflow);
    if (found.length) overflow[state] = found;
    if (width === SCREENSHOT_WIDTH) await app.screenshot({ path: artifactPath(`pwa-${width}-${state}.png`), fullPage: true });
  };

  await app.goto(`${demo.url}/authenticator/`);
  await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  await check('no-account');
  // The file input is shown as a button: its label, which still names the input.
  expect(await app.getByLabel('…or choose a QR image').getAttribute('id')).toBe('qr-file');

  // The camera running (Chromium's fake one), then stopped.
  await app.click('#scan-camera');
  await app.waitForFunction(() => document.querySelector('#camera').videoWidth > 0, null, { timeout: 15_000 });
  await check('camera');
  await app.click('#scan-stop');
  await app.waitForSelector('#camera.hidden', { state: 'attached' });

  // A pasted link that is no link: the error under the scan card.
  await app.fill('#link', `tapgate:${'not-a-link-'.repeat(12)}`);
  await app.click('#start-link');
  await app.waitForFunction(() => document.querySelector('#scan-error').textContent !== '');
  await check('scan-error');
  await app.fill('#link', '');

  // Enrol a real account whose user id is a long e-mail address.
  const user = `alexandra.konstantinopoulou.${width}@example-bank.test`;
  await rpPage.fill('#userid', user);
  await app.setInputFiles('#qr-file', { name: 'qr.png', mimeType: 'image/png', buffer: await relyingPartyQr(rpPage, 'enrol') });
  await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 15_000 });
  await check('enrol-prompt');
  await app.click('#accept-enrol');
  await app.waitForSelector('#pin-section:not(.hidden) #pin-pad [data-key="1"]:not([disabled])');
  await check('pin-choose');
  await typePin(app, PIN);
  await outcome(app, 'Enrolled and logged in.');
  await app.waitForFunction((u) => document.querySelector('#accounts').textContent.includes(u), user);
  await check('enrolled');

  // Log in with it: a wrong PIN first, then the right one.
  await app.setInputFiles('#qr-file', { name: 'qr.png', mimeType: 'image/png', buffer: await relyingPartyQr(rpPage, 'login') });
  await app.waitForSelector('#pin-section:not(.hidden) #pin-pad [data-key="1"]:not([disabled])', { timeout: 15_000 });
  expect(await app.textContent('#pin-prompt')).toContain(demo.url);
  await check('pin-login');
  await typePin(app, '0000');
  await app.waitForFunction(() => document.querySelector('#pin-result').textContent.includes('attempts left'), null, { timeout: 20_000 });
  await check('pin-wrong');
  await typePin(app, PIN);
  await outcome(app, 'Logged in.');
  await app.waitForFunction(() => document.querySelectorAll('#history li').length === 2);
  await check('history');

  expect(overflow).toEqual({});
  expect(errors).toEqual([]);
}, 120_000);
