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

/** Options: profileDir (kept by the caller) or a fresh one removed on close; args; headless ('--headless=new' for extensions). */
async function launchChromium({ profileDir, args = [], headlessArg = '--headless', viewport = { width: 1000, height: 900 } } = {}) {
  const ownProfile = !profileDir;
  const dir = profileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [headlessArg, ...BASE_ARGS, ...args],
    viewport,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    if (ownProfile) fs.rmSync(dir, { recursive: true, force: true });
  };
  return context;
}

function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

module.exports = { launchChromium, artifactPath };
