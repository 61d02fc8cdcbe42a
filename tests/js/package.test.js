// The package as users consume it: CommonJS and ESM entry points, types, and offline wasm loading.
const { execFileSync } = require('node:child_process');
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
