// The browser entry as users get it: `npm pack` of js/, installed from the tarball into a project
// outside this repository, a small app (fixtures/packed-app) bundled there by Vite and by webpack, served from
// the reference server's origin (a proxy in front of it: the device API takes browser requests
// from its public origin only), and Chromium enrols and logs in with it.
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { launchChromium } = require('./helpers/chromium');
const { useServers } = require('../js/helpers/fixture');
const { relyingParty } = require('../js/helpers/rp');
const { PIN } = require('../js/helpers/flows');
const { pack, installProject } = require('../js/helpers/packed');

const fx = useServers();
let project;
let browser;

beforeAll(async () => {
  project = fx.tempDir('tapgate-packed-app-');
  const tarball = pack('authenticator', fx.tempDir('tapgate-tarballs-')).tarball;
  installProject(project, [tarball], { type: 'module' });
  for (const f of fs.readdirSync(path.join(__dirname, 'fixtures', 'packed-app'))) {
    fs.copyFileSync(path.join(__dirname, 'fixtures', 'packed-app', f), path.join(project, f));
  }
  browser = fx.closeAfterFile(await launchChromium());
}, 180_000);

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

/** One origin: the built app's files from `dir`, everything else forwarded to the server (set later). */
async function frontServer(dir) {
  const front = { target: null };
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.normalize(path.join(dir, pathname === '/' ? 'index.html' : pathname));
    if (file.startsWith(dir) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const up = http.request(new URL(req.url, front.target), { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  fx.closeAfterTest(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  front.url = `http://127.0.0.1:${server.address().port}`;
  return front;
}

async function enrolAndLogin(dir) {
  const front = await frontServer(dir);
  const server = await fx.startServer({ env: { TAPGATE_PUBLIC_URL: front.url, TAPGATE_ACCESS_LOG: '0' } });
  front.target = server.url;
  const rp = relyingParty(server);
  const page = await browser.newPage();
  fx.closeAfterTest(() => page.close());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm = [];
  page.on('response', (r) => r.url().endsWith('.wasm') && wasm.push(r.status()));
  await page.goto(`${front.url}/`);
  const failed = [];
  page.on('console', (m) => m.type() === 'error' && failed.push(m.text()));
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  await page.waitForFunction(() => document.getElementById('out').textContent === 'ready', null, { timeout: 30_000 })
    .catch((err) => { throw new Error(`${err.message}\npage errors: ${JSON.stringify([...errors, ...failed])}`); });

  const enrolNonce = rp.newNonce();
  const enrolQr = [...(await rp.enrolQr(enrolNonce, { userid: 'tarball' }))];
  const enrolled = await page.evaluate(([qr, pin]) => window.enrol(qr, pin), [enrolQr, PIN]);
  const loginNonce = rp.newNonce();
  const loginQr = [...(await rp.loginQr(loginNonce))];
  const loggedIn = await page.evaluate(([qr, pin]) => window.login(qr, pin), [loginQr, PIN]);
  return { enrolled, loggedIn, status: await rp.loginStatus(loginNonce), wasm, errors };
}

test('a Vite build of an app on the installed tarball enrols and logs in in Chromium', async () => {
  const outDir = path.join(project, 'dist-vite');
  const script = `import { build } from 'vite';
    await build({ root: ${JSON.stringify(project)}, logLevel: 'error', build: { outDir: ${JSON.stringify(outDir)}, emptyOutDir: true } });`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(__dirname, '..', '..'), stdio: 'pipe' });
  const assets = fs.readdirSync(path.join(outDir, 'assets'));
  expect(assets.some((f) => /^tapgate_core\.web-.*\.wasm$/.test(f))).toBe(true);
  // The bundle came from the project's node_modules (the tarball), not the workspace.
  expect(fs.realpathSync(path.join(project, 'node_modules', '@tapgate', 'authenticator'))).not.toContain(`${path.sep}js${path.sep}`);

  const got = await enrolAndLogin(outDir);
  expect(got).toMatchObject({ enrolled: 'SUCCESS', loggedIn: 'SUCCESS', status: { loggedin: true, userid: 'tarball' }, errors: [] });
  expect(got.wasm.length).toBeGreaterThanOrEqual(1);
  expect(got.wasm.every((s) => s === 200)).toBe(true);
}, 180_000);

test('a webpack build of the same app on the installed tarball enrols and logs in in Chromium', async () => {
  const outDir = path.join(project, 'dist-webpack');
  // webpack 5's defaults: `new URL('x.wasm', import.meta.url)` becomes an emitted asset, top-level await works.
  const script = `import webpack from 'webpack';
    const stats = await new Promise((resolve, reject) => webpack({ mode: 'production', context: ${JSON.stringify(project)},
      entry: './main.js', output: { path: ${JSON.stringify(outDir)}, filename: 'main.js', clean: true }, performance: { hints: false } },
      (err, s) => (err ? reject(err) : resolve(s))));
    if (stats.hasErrors()) { console.error(stats.toString('errors-only')); process.exit(1); }`;
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(__dirname, '..', '..'), stdio: 'pipe' });
  } catch (err) {
    throw new Error(`webpack failed:\n${err.stdout}${err.stderr}`);
  }
  fs.copyFileSync(path.join(project, 'index.html'), path.join(outDir, 'index.html'));
  expect(fs.readdirSync(outDir).filter((f) => f.endsWith('.wasm')).length).toBeGreaterThanOrEqual(1);

  const got = await enrolAndLogin(outDir);
  expect(got).toMatchObject({ enrolled: 'SUCCESS', loggedIn: 'SUCCESS', status: { loggedin: true, userid: 'tarball' }, errors: [] });
  expect(got.wasm.length).toBeGreaterThanOrEqual(1);
  expect(got.wasm.every((s) => s === 200)).toBe(true);
}, 180_000);
