// The browser entry with no bundler (a plain <script type="module"> and an import map), built by
// Vite with no configuration, and served by Vite's dev server with the package pre-bundled as an
// installed dependency would be: in each, Chromium loads the core's wasm and the QR reader's wasm,
// decodes a QR picture byte for byte, and the core parses the link it holds.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const QRCode = require('qrcode');
const { launchChromium, artifactPath } = require('./helpers/chromium');
const { serveFolders } = require('./helpers/static-server');

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
// A LOGIN payload (protocol.md §2) with NULs and 0xFF, for a server this authenticator does not know.
const PAYLOAD = Buffer.concat([Buffer.from([1, 1, 0, 0xff]), Buffer.alloc(14, 0), Buffer.alloc(16, 0xff)]);

let browser;
let outDir;
let viteDev;
const servers = [];
beforeAll(async () => {
  browser = await launchChromium();
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-vite-'));
}, 30_000);
afterAll(async () => {
  viteDev?.kill();
  await browser?.close();
  for (const s of servers) await s.close();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

async function exercise(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm = [];
  page.on('response', (r) => r.url().endsWith('.wasm') && wasm.push({ url: r.url(), status: r.status() }));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('out').textContent === 'ready', null, { timeout: 30_000 });
  const png = await QRCode.toBuffer([{ data: PAYLOAD, mode: 'byte' }], { errorCorrectionLevel: 'M' });
  const result = await page.evaluate(async (pngBytes) => {
    const bytes = await window.auth.scanQr(new Uint8Array(pngBytes));
    const started = await window.auth.startSession(bytes).then(() => 'started', (err) => err.code);
    return { bytes: Array.from(bytes ?? []), started };
  }, [...png]);
  await page.close();
  return { ...result, wasm, errors };
}

test('a plain <script type="module"> page with an import map', async () => {
  const server = await serveFolders([
    ['/pkg/', path.join(ROOT, 'js')],
    ['/zxing-wasm/', path.join(path.dirname(require.resolve('zxing-wasm/reader/zxing_reader.wasm')), '..', '..')],
    ['/', path.join(FIXTURES, 'plain-module')],
  ]);
  servers.push(server);
  const got = await exercise(`${server.url}/`);
  expect(Buffer.from(got.bytes).equals(PAYLOAD)).toBe(true);
  expect(got.started).toBe('NO_ACCOUNTS_FOR_SERVER');
  expect(got.wasm.map((w) => [path.basename(w.url), w.status]).sort()).toEqual([['tapgate_core.web.wasm', 200], ['zxing_reader.wasm', 200]]);
  expect(got.errors).toEqual([]);
}, 60_000);

test('a Vite build with no configuration emits both wasm files and finds them', async () => {
  const build = `import { build } from 'vite';
    await build({ root: ${JSON.stringify(path.join(FIXTURES, 'vite-app'))}, logLevel: 'error',
      build: { outDir: ${JSON.stringify(outDir)}, emptyOutDir: true } });`;
  execFileSync(process.execPath, ['--input-type=module', '-e', build], { cwd: ROOT, stdio: 'pipe' });
  const assets = fs.readdirSync(path.join(outDir, 'assets'));
  expect(assets.filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/-[\w-]+\.wasm$/, '')).sort()).toEqual(['tapgate_core.web', 'zxing_reader']);
  fs.writeFileSync(artifactPath('vite-build-assets.json'), JSON.stringify(Object.fromEntries(assets.map((f) => [f, fs.statSync(path.join(outDir, 'assets', f)).size])), null, 2));

  const server = await serveFolders([['/', outDir]]);
  servers.push(server);
  const got = await exercise(`${server.url}/`);
  expect(Buffer.from(got.bytes).equals(PAYLOAD)).toBe(true);
  expect(got.started).toBe('NO_ACCOUNTS_FOR_SERVER');
  expect(got.wasm.every((w) => w.status === 200 && w.url.includes('/assets/'))).toBe(true);
  expect(got.wasm).toHaveLength(2);
  expect(got.errors).toEqual([]);
}, 120_000);

test('Vite\'s dev server, with the package pre-bundled like an installed dependency', async () => {
  // The workspace package is a symlink, which Vite would not pre-bundle; `include` makes it do so.
  const serve = `import { createServer } from 'vite';
    const server = await createServer({ root: ${JSON.stringify(path.join(FIXTURES, 'vite-app'))}, logLevel: 'error',
      server: { port: 0, host: '127.0.0.1' }, optimizeDeps: { include: ['@tapgate/authenticator'] } });
    await server.listen();
    console.log(JSON.stringify({ url: server.resolvedUrls.local[0] }));`;
  viteDev = spawn(process.execPath, ['--input-type=module', '-e', serve], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    viteDev.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).url);
    });
    viteDev.once('exit', (code) => reject(new Error(`vite dev server exited (${code})`)));
  });
  const got = await exercise(url);
  expect(Buffer.from(got.bytes).equals(PAYLOAD)).toBe(true);
  expect(got.started).toBe('NO_ACCOUNTS_FOR_SERVER');
  expect(got.wasm.map((w) => [path.basename(new URL(w.url).pathname), w.status]).sort()).toEqual([['tapgate_core.web.wasm', 200], ['zxing_reader.wasm', 200]]);
  expect(got.errors).toEqual([]);
}, 60_000);
