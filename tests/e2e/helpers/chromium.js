// Launches the system Chromium through playwright-core with a fresh (or given) profile folder.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', '..', 'test-results');
const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Options: profileDir (kept by the caller) or a fresh one removed on close; extra args; extension:
 * the folder of an unpacked extension to load (new headless mode; playwright's --disable-extensions dropped);
 * device: more of playwright's context options (deviceScaleFactor, isMobile, hasTouch) for a phone.
 */
async function launchChromium({ profileDir, args = [], extension, viewport = { width: 1000, height: 900 }, device = {} } = {}) {
  const ownProfile = !profileDir;
  const dir = profileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [extension ? '--headless=new' : '--headless', ...BASE_ARGS, ...args,
      ...(extension ? [`--load-extension=${extension}`, `--disable-extensions-except=${extension}`] : [])],
    ignoreDefaultArgs: extension ? ['--disable-extensions'] : [],
    viewport,
    ...device,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    if (ownProfile) fs.rmSync(dir, { recursive: true, force: true });
  };
  return context;
}

/**
 * A phone-sized Chromium whose fake camera plays `videoFile` (a .y4m, helpers/y4m.js; the camera
 * reads the file each time it opens, so a test rewrites it to show another QR).
 */
function launchCameraPhone(profileDir, videoFile) {
  return launchChromium({
    profileDir,
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${videoFile}`],
    viewport: { width: 480, height: 1000 },
  });
}

/** launchChromium(options), closed by `fx` (tests/js/helpers/fixture.js) after the test or file: before its demo stops. */
async function openChromium(fx, options) {
  return fx.closeLater(await launchChromium(options));
}

/** Collects `page`'s uncaught errors (and, with `csp`, its Content-Security-Policy reports) in `errors`; returns the page. */
function recordErrors(page, errors, { csp = false } = {}) {
  page.on('pageerror', (e) => errors.push(e.message));
  if (csp) page.on('console', (m) => /Content Security Policy/i.test(m.text()) && errors.push(m.text()));
  return page;
}

function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** The id Chromium gives an unpacked extension: its absolute path's SHA-256, first 32 hex digits as a–p. */
function unpackedExtensionId(dir) {
  const hex = require('node:crypto').createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

/**
 * The extension's popup as Chromium shows it: its own small window over the browser window, whose
 * visible tab stays where it was. (Headless has no toolbar button, so an extension page opens it.)
 */
async function openExtensionPopup(browser, extensionDir) {
  const opener = await browser.newPage();
  await opener.goto(`chrome-extension://${unpackedExtensionId(extensionDir)}/popup.html`);
  const [popup] = await Promise.all([
    browser.waitForEvent('page'),
    opener.evaluate(() => chrome.windows.create({ url: 'popup.html', type: 'popup', width: 380, height: 760 })),
  ]);
  await opener.close();
  return popup;
}

module.exports = { launchChromium, launchCameraPhone, openChromium, recordErrors, artifactPath, unpackedExtensionId, openExtensionPopup };
