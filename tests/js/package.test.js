// The package as users consume it: CommonJS and ESM entry points, types, and offline wasm loading;
// and the packed tarball installed in a project of its own, where a Node harness decodes a QR PNG.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const pkgDir = path.dirname(require.resolve('@tapgate/authenticator/package.json'));

test('CommonJS: require("@tapgate/authenticator/node") and the bare name both give the Node build', async () => {
  const node = require('@tapgate/authenticator/node');
  const bare = require('@tapgate/authenticator');
  expect(bare.Authenticator).toBe(node.Authenticator);
  const auth = await node.Authenticator.create();
  await expect(auth.startSession('tapgate:AQI')).rejects.toMatchObject({ numericCode: 32 });
  await auth.close();
});

test('ESM in Node: import the package, load the wasm offline, get typed errors', () => {
  const script = `
    import { Authenticator, TapgateError } from '@tapgate/authenticator/node';
    globalThis.fetch = () => { throw new Error('the wasm must not be fetched'); };
    const auth = await Authenticator.create();
    const err = await auth.startSession(new Uint8Array([1, 9])).catch((e) => e);
    console.log(JSON.stringify({ isTapgate: err instanceof TapgateError, code: err.code }));
    await auth.close();`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: __dirname }).toString();
  expect(JSON.parse(out)).toEqual({ isTapgate: true, code: 'QR_UNKNOWN_TYPE' });
});

test('type declarations ship for both entries', () => {
  for (const f of ['index.d.ts', 'node.d.ts', 'session.d.ts', 'errors.d.ts']) {
    expect(fs.existsSync(path.join(pkgDir, 'dist', 'types', f))).toBe(true);
  }
  const d = fs.readFileSync(path.join(pkgDir, 'dist', 'types', 'session.d.ts'), 'utf8');
  expect(d).toContain('setPinBiometric(input: PinBiometricInput): Promise<SecondFactorDetail>');
});

test('scanQr decodes binary QR images byte for byte (ZXing .bytes, never .text)', async () => {
  const QRCode = require('qrcode');
  const { Authenticator } = require('@tapgate/authenticator/node');
  const auth = await Authenticator.create();
  const payload = Buffer.from([...Array(256).keys()]);
  const png = await QRCode.toBuffer([{ data: payload, mode: 'byte' }], { errorCorrectionLevel: 'M', scale: 4 });
  expect(Buffer.from(await auth.scanQr(new Uint8Array(png)))).toEqual(payload);
  expect(await auth.scanQr(new Uint8Array(fs.readFileSync(path.join(__dirname, '..', '..', 'web-demo', 'public', 'style.css'))))).toBeNull();
  await expect(auth.scanQr('not an image')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  await auth.close();
});

describe('@tapgate/server', () => {
  const serverDir = path.dirname(require.resolve('@tapgate/server/package.json'));

  test('the main entry, the bin and the deep dist/ paths still resolve beside the exports map', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(serverDir, 'package.json'), 'utf8'));
    expect(typeof require('@tapgate/server').createTapgateServer).toBe('function');
    expect(require.resolve('@tapgate/server')).toBe(path.join(serverDir, 'dist', 'index.js'));
    const bin = path.join(serverDir, pkg.bin['tapgate-server']);
    expect(fs.readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(typeof require('@tapgate/server/dist/crypto').cryptoReady).toBe('function');
    expect(typeof require('@tapgate/server/dist/sql/sqlite.js').SqliteDriver).toBe('function');
  });

  test('the typed client: require and import of @tapgate/server/client, its declarations, and no Node-only imports', () => {
    expect(typeof require('@tapgate/server/client').TapgateClient).toBe('function');
    const script = `
      import { TapgateClient, TapgateApiError, isTapgateApiError } from '@tapgate/server/client';
      const c = new TapgateClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', timeoutMs: 2000 });
      const err = await c.health().catch((e) => e);
      console.log(JSON.stringify({ typed: err instanceof TapgateApiError && isTapgateApiError(err, 'network'), kind: err.kind }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: __dirname }).toString();
    expect(JSON.parse(out)).toEqual({ typed: true, kind: 'network' });
    const clientDir = path.join(serverDir, 'dist', 'client');
    const d = fs.readFileSync(path.join(clientDir, 'index.d.ts'), 'utf8');
    expect(d).toContain('getLoginStatus(serverId: string, nonce: string, options?: T.CallOptions): Promise<T.LoginStatus>');
    // Browsers and edge runtimes load it too: it may require only its own files.
    for (const file of fs.readdirSync(clientDir).filter((f) => f.endsWith('.js'))) {
      const required = [...fs.readFileSync(path.join(clientDir, file), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      expect({ file, foreign: required.filter((r) => !r.startsWith('./')) }).toEqual({ file, foreign: [] });
    }
  });
});

// The package as `npm pack` ships it, installed from its tarball into a project of its own (outside
// this repository, so nothing resolves through the workspace): a Node harness decodes the login QR
// PNG of a running server with the exported scanQr, CommonJS and ESM, and the bytes are that login.
describe('the packed @tapgate/authenticator, installed from its tarball', () => {
  const { useServer } = require('./helpers/fixture');
  const { PIN } = require('./helpers/flows');
  const { reach } = require('./helpers/rp');
  const { pack, installProject, projectEnv, PACKAGES } = require('./helpers/packed');
  const QRCode = require('qrcode');
  const env = useServer();
  let project;
  let packs;  // npm's reports of both tarballs

  beforeAll(() => {
    project = env.tempDir('tapgate-consumer-');
    const tarballs = env.tempDir('tapgate-tarballs-');
    packs = { authenticator: pack('authenticator', tarballs), server: pack('server', tarballs) };
    installProject(project, [packs.authenticator.tarball]);
  }, 180_000);
  /** Runs `file` (written into the project) with node there; resolves with its one JSON line. */
  function runInProject(file, source, args) {
    fs.writeFileSync(path.join(project, file), source);
    return JSON.parse(execFileSync(process.execPath, [file, ...args], { cwd: project, env: projectEnv() }).toString());
  }

  // The harness: decodes each named file, then a non-image; `extra` adds to its output.
  const decodeAll = (imports, extra = '') => `${imports}
    globalThis.fetch = () => { throw new Error('nothing may be fetched'); };
    const out = {};
    for (const [name, file] of Object.entries(JSON.parse(process.argv[2]))) {
      const bytes = await scanQr(fs.readFileSync(file));
      out[name] = bytes === null ? null : Buffer.from(bytes).toString('hex');
    }
    const err = await scanQr('not an image').catch((e) => e);
    out.notAnImage = { tapgate: err instanceof TapgateError, code: err.code, kind: err.kind };
    ${extra}
    console.log(JSON.stringify(out));`;

  test('scanQr, CommonJS and ESM, decodes the server\'s login QR PNG byte for byte; garbage gives null; the login then succeeds', async () => {
    const auth = await env.enrolled({ userid: 'harness' });
    const nonce = env.rp.newNonce();
    const res = await fetch(`${env.server.url}/servers/${env.server.serverId}/sessions/qr/login?img=png`, {
      headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce },
    });
    expect(res.headers.get('content-type')).toBe('image/png');
    const binary = Buffer.concat([Buffer.from([1, 1, 0, 0xff, 0xfe]), Buffer.alloc(13, 0), crypto.randomBytes(16)]);
    const files = {
      login: path.join(project, 'login-qr.png'),
      binary: path.join(project, 'binary-qr.png'),
      garbage: path.join(project, 'garbage.png'),
      css: path.join(__dirname, '..', '..', 'web-demo', 'public', 'style.css'),
    };
    fs.writeFileSync(files.login, Buffer.from(await res.arrayBuffer()));
    fs.writeFileSync(files.binary, await QRCode.toBuffer([{ data: binary, mode: 'byte' }], { errorCorrectionLevel: 'M' }));
    // The PNG signature followed by noise: it starts like a picture, and holds none.
    fs.writeFileSync(files.garbage, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(4096)]));

    const cjsImports = "const fs = require('node:fs');\nconst { scanQr, TapgateError } = require('@tapgate/authenticator/node');";
    const cjs = runInProject('decode.cjs', `(async () => {${decodeAll(cjsImports, "out.resolved = require.resolve('@tapgate/authenticator/node');")}\n})();`, [JSON.stringify(files)]);
    const esm = runInProject('decode.mjs', decodeAll(`import fs from 'node:fs';\nimport { scanQr, TapgateError } from '@tapgate/authenticator/node';`), [JSON.stringify(files)]);

    expect(cjs.resolved).toBe(path.join(fs.realpathSync(project), 'node_modules', '@tapgate', 'authenticator', 'dist', 'cjs', 'node.js'));
    for (const out of [cjs, esm]) {
      expect(out).toMatchObject({ binary: binary.toString('hex'), garbage: null, css: null, notAnImage: { tapgate: true, code: 'INVALID_ARGUMENT', kind: 'misuse' } });
    }
    expect(esm.login).toBe(cjs.login);
    const login = Buffer.from(cjs.login, 'hex');
    // protocol.md §2: version 1, type LOGIN, this server's id, then the session's 16 random bytes.
    expect(login.length).toBe(34);
    expect([...login.subarray(0, 2)]).toEqual([1, 1]);
    expect(login.subarray(2, 18).toString('base64url')).toBe(env.server.serverId);
    // Those bytes are the nonce's login session itself: an enrolled authenticator logs in with them.
    const session = await auth.startSession(new Uint8Array(login));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect(await session.setPinBiometric({ pin: PIN })).toMatchObject({ result: 'SUCCESS' });
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'harness' });
  }, 120_000);

  test('the installed declarations type a harness: scanQr(Buffer | QrImage) → Promise<Uint8Array | null>', () => {
    const d = fs.readFileSync(path.join(project, 'node_modules', '@tapgate', 'authenticator', 'dist', 'types', 'node.d.ts'), 'utf8');
    expect(d).toContain('export declare function scanQr(image: QrImage): Promise<Uint8Array | null>;');
    fs.writeFileSync(path.join(project, 'harness.ts'), `import { scanQr, type QrImage } from '@tapgate/authenticator/node';
      declare const screenshot: Buffer;
      const pixels: QrImage = { data: new Uint8ClampedArray(4), width: 1, height: 1 };
      export async function read(): Promise<Uint8Array | null> { await scanQr(pixels); return scanQr(screenshot); }
      // @ts-expect-error: a string is no image
      scanQr('tapgate:AQI');\n`);
    // Typed events: the listener's event is the CustomEvent of its name, without a cast.
    fs.writeFileSync(path.join(project, 'events.ts'), `import { Authenticator, TapgateError, type Session } from '@tapgate/authenticator/node';
      export async function run(qr: Uint8Array): Promise<'FIRST_SET' | 'VERIFY'> {
        const auth = await Authenticator.create();
        const session: Session = await auth.startSession(qr);
        return new Promise((resolve) => {
          session.addEventListener('secondfactor', (e) => resolve(e.detail.context));
          session.addEventListener('statechange', (e) => { const s: string = e.detail.state; void s; });
        });
      }
      export const isTapgate = (e: unknown): e is TapgateError => e instanceof TapgateError;
      // @ts-expect-error: the detail of secondfactor has no such field
      declare const s: Session; s.addEventListener('secondfactor', (e) => e.detail.nosuchfield);\n`);
    const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
    const typeRoots = path.join(path.dirname(require.resolve('@types/node/package.json')), '..');
    // --strict and no --skipLibCheck: the shipped declarations themselves must compile.
    const args = [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022',
      '--lib', 'es2022,dom', '--types', 'node', '--typeRoots', typeRoots, 'harness.ts', 'events.ts'];
    expect(args).not.toContain('--skipLibCheck');
    try {
      execFileSync(process.execPath, args, { cwd: project, stdio: 'pipe' });
    } catch (err) {
      throw new Error(`tsc failed:\n${err.stdout}${err.stderr}`);
    }
  }, 60_000);
  // (a): the server from its tarball in a project of its own, started by its bin; the authenticator
  // from its tarball in another; a CommonJS and an ESM script each enrol and log in against it.
  test('tapgate-server from its installed bin; enrol + login from CommonJS and ESM scripts', async () => {
    const { startServer } = require('./helpers/server-process');
    const serverProject = installProject(env.tempDir('tapgate-server-project-'), [packs.server.tarball], { name: 'tapgate-server-host' });
    const bin = path.join(serverProject, 'node_modules', '.bin', 'tapgate-server');
    expect(fs.realpathSync(bin)).toBe(path.join(fs.realpathSync(serverProject), 'node_modules', '@tapgate', 'server', 'dist', 'main.js'));
    const rootApiKey = crypto.randomBytes(32).toString('base64url');
    const server = await env.startServer({ command: bin, cwd: serverProject,
      env: { ...projectEnv(), TAPGATE_ROOT_API_KEY: rootApiKey, TAPGATE_ACCESS_LOG: '0', TAPGATE_DATA_DIR: env.tempDir('tapgate-packed-data-') } });
    expect(server.rootApiKey).toBe(rootApiKey);

    // The relying party's calls are plain fetches to the REST API; the app's the installed SDK.
    const flow = `
      const [url, serverId, apiKey, userid] = process.argv.slice(2);
      const base = url + '/servers/' + serverId;
      const nonce = () => Math.random().toString(36).slice(2) + Date.now().toString(36);
      const rp = async (p, n) => {
        const res = await fetch(base + p, { headers: { 'X-apikey': apiKey, ...(n ? { 'X-nonce': n } : {}) } });
        if (!res.ok) throw new Error(p + ': HTTP ' + res.status);
        return res;
      };
      const next = (target, name, pred = () => true) => new Promise((resolve) => {
        const on = (e) => { if (pred(e.detail)) { target.removeEventListener(name, on); resolve(e.detail); } };
        target.addEventListener(name, on);
      });
      const auth = await Authenticator.create();
      const enrolNonce = nonce();
      const enrolQr = new Uint8Array(await (await rp('/sessions/qr/enrol?userid=' + userid, enrolNonce)).arrayBuffer());
      const enrolling = await auth.startSession(enrolQr);
      await next(enrolling, 'confirmenrol');
      const firstSet = next(enrolling, 'secondfactor');
      await enrolling.setAccount();
      const out = { enrolPrompt: (await firstSet).context, enrol: (await enrolling.setPinBiometric({ pin: '${PIN}' })).result };
      await enrolling.finished;
      const loginNonce = nonce();
      const loginQr = new Uint8Array(await (await rp('/sessions/qr/login', loginNonce)).arrayBuffer());
      const login = await auth.startSession(loginQr);
      if (login.pseudoState !== 'WAIT_FOR_SECOND_FACTOR') await next(login, 'statechange', (d) => d.pseudoState === 'WAIT_FOR_SECOND_FACTOR');
      out.login = (await login.setPinBiometric({ pin: '${PIN}' })).result;
      const status = await (await rp('/sessions/', loginNonce)).json();
      out.loggedin = status.loggedin;
      out.userid = status.userid;
      await auth.close();
      console.log(JSON.stringify(out));`;
    const { execFile } = require('node:child_process');
    const run = (file, source, userid) => {
      fs.writeFileSync(path.join(project, file), source);
      return new Promise((resolve, reject) => execFile(process.execPath, [file, server.url, server.serverId, rootApiKey, userid],
        { cwd: project, env: projectEnv(), timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${file}: ${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)))));
    };
    const cjs = await run('flow.cjs', `const { Authenticator } = require('@tapgate/authenticator/node');\n(async () => {${flow}\n})().catch((e) => { console.error(e); process.exit(1); });`, 'packed-cjs');
    const esm = await run('flow.mjs', `import { Authenticator } from '@tapgate/authenticator/node';\n${flow}`, 'packed-esm');
    for (const [out, userid] of [[cjs, 'packed-cjs'], [esm, 'packed-esm']]) {
      expect(out).toMatchObject({ enrolPrompt: 'FIRST_SET', enrol: 'SUCCESS', login: 'SUCCESS', loggedin: true, userid });
    }
    // A clean stop: SIGTERM, and the process exits 0.
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  }, 240_000);

  // (d): what the tarballs hold. Every file an entry point (main, module, types, exports, bin)
  // names is in the tarball, with the wasm and the declarations; no tests, sources, configs or maps.
  test('the tarballs hold every file the runtime needs and no leftovers; their sizes', () => {
    const targets = (value) => (typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(targets) : []);
    const sizes = {};
    for (const [name, report] of Object.entries(packs)) {
      const files = new Set(report.files.map((f) => f.path));
      const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGES[name], 'package.json'), 'utf8'));
      const named = [pkg.main, pkg.module, pkg.types, ...targets(pkg.exports), ...targets(pkg.bin), ...targets(pkg.typesVersions)]
        .filter(Boolean).map((p) => p.replace(/^\.\//, ''));
      for (const entry of named) {
        if (entry.includes('*')) {
          // A pattern: at least one shipped file matches it.
          const re = new RegExp(`^${entry.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
          expect({ name, entry, matches: [...files].some((f) => re.test(f)) }).toEqual({ name, entry, matches: true });
        } else {
          expect({ name, entry, shipped: files.has(entry) }).toEqual({ name, entry, shipped: true });
        }
      }
      expect(files.has('package.json')).toBe(true);
      const leftovers = [...files].filter((f) => /(^|\/)(tests?|__tests__|src)\//.test(f) || /\.(test|spec)\.|\.map$|\.tsbuildinfo$|(^|\/)tsconfig[^/]*\.json$|\.ts$/.test(f.replace(/\.d\.ts$/, '')) );
      expect({ name, leftovers }).toEqual({ name, leftovers: [] });
      sizes[report.name] = { packed: report.size, unpacked: report.unpackedSize, files: report.entryCount };
    }
    const authFiles = packs.authenticator.files.map((f) => f.path);
    // The core's wasm for browsers and for Node; the declarations of every entry.
    expect(authFiles.filter((f) => f.endsWith('.wasm')).length).toBeGreaterThanOrEqual(1);
    expect(authFiles).toEqual(expect.arrayContaining(['dist/wasm/tapgate_core.web.wasm', 'dist/types/index.d.ts', 'dist/types/node.d.ts', 'dist/types/capacitor.d.ts']));
    expect(packs.server.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/main.js', 'dist/index.d.ts', 'dist/client/index.d.ts']));
    console.log(`tarball sizes: ${JSON.stringify(sizes)}`);
    fs.mkdirSync(path.join(PACKAGES.authenticator, '..', 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(PACKAGES.authenticator, '..', 'test-results', 'package-sizes.json'), JSON.stringify(sizes, null, 2));
  });
});
