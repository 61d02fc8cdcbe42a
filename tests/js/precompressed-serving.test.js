// The demo serves its text and wasm files brotli or gzip encoded (issue 13): chosen by
// Accept-Encoding (br > gzip > identity, q=0 honoured), with Content-Encoding, Vary, the encoded
// length, a strong ETag per encoding, and sane HEAD, Range and conditional requests. Requests go
// through node:http, which (unlike fetch) neither asks for nor decodes a coding by itself.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { REPO_ROOT } = require('./helpers/server-process');
const { useServer, useDemo } = require('./helpers/fixture');

jest.setTimeout(60_000);

const DIST = path.join(REPO_ROOT, 'js', 'dist');
const PUBLIC = path.join(REPO_ROOT, 'web-demo', 'public');
const CORE = '/sdk/wasm/tapgate_core.web.wasm';
const coreBytes = () => fs.readFileSync(path.join(DIST, 'wasm', 'tapgate_core.web.wasm'));

/** GET (or `method`) `p` with `headers`; resolves with status, headers and the raw body bytes. */
function request(base, p, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${p}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = { br: zlib.brotliDecompressSync, gzip: zlib.gunzipSync, identity: (b) => b };

describe('the demo server', () => {
  const demo = useDemo();

  test.each([
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    [undefined, 'identity'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
  ])('the core wasm for Accept-Encoding %p goes out as %s, and decodes to the file', async (accept, coding) => {
    const res = await request(demo.server.url, CORE, accept === undefined ? {} : { 'accept-encoding': accept });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/wasm');
    expect(res.headers['content-encoding']).toBe(coding === 'identity' ? undefined : coding);
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+(-br|-gzip)?"$/);  // strong: no W/
    expect(decode[coding](res.body).equals(coreBytes())).toBe(true);
    if (coding !== 'identity') expect(res.body.length).toBeLessThan(coreBytes().length);
  });

  test('each encoding has its own ETag, and If-None-Match only matches its own', async () => {
    const tags = {};
    for (const coding of ['br', 'gzip', 'identity']) {
      tags[coding] = (await request(demo.server.url, CORE, { 'accept-encoding': coding })).headers.etag;
    }
    expect(new Set(Object.values(tags)).size).toBe(3);
    const again = await request(demo.server.url, CORE, { 'accept-encoding': 'br', 'if-none-match': tags.br });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(tags.br);
    const other = await request(demo.server.url, CORE, { 'accept-encoding': 'gzip', 'if-none-match': tags.br });
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('gzip');
  });

  test('a request that refuses every coding, identity included, is 406', async () => {
    for (const accept of ['identity;q=0', 'br;q=0, gzip;q=0, identity;q=0', '*;q=0']) {
      expect({ accept, status: (await request(demo.server.url, CORE, { 'accept-encoding': accept })).status }).toEqual({ accept, status: 406 });
    }
  });

  test('HEAD answers the headers of the GET it stands for, without a body', async () => {
    for (const coding of ['br', 'gzip', 'identity']) {
      const get = await request(demo.server.url, CORE, { 'accept-encoding': coding });
      const head = await request(demo.server.url, CORE, { 'accept-encoding': coding }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      for (const h of ['content-type', 'content-encoding', 'content-length', 'etag', 'vary']) expect(head.headers[h]).toBe(get.headers[h]);
    }
  });

  test('a byte range is a range of the representation sent; out of bounds is 416; a stale If-Range gets everything', async () => {
    const file = coreBytes();
    const plain = await request(demo.server.url, CORE, { range: 'bytes=8-107' });
    expect(plain.status).toBe(206);
    expect(plain.headers['content-range']).toBe(`bytes 8-107/${file.length}`);
    expect(plain.body.equals(file.subarray(8, 108))).toBe(true);

    const whole = await request(demo.server.url, CORE, { 'accept-encoding': 'br' });
    const tail = await request(demo.server.url, CORE, { 'accept-encoding': 'br', range: 'bytes=-50' });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-encoding']).toBe('br');
    expect(tail.body.equals(whole.body.subarray(whole.body.length - 50))).toBe(true);

    const beyond = await request(demo.server.url, CORE, { range: `bytes=${file.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${file.length}`);

    const stale = await request(demo.server.url, CORE, { range: 'bytes=0-9', 'if-range': '"not-this-one"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(file)).toBe(true);
  });

  test('the PWA\'s other text files and the QR reader go out brotli encoded; images as they are', async () => {
    const zxingEs = path.join(path.dirname(require.resolve('zxing-wasm/reader/zxing_reader.wasm', { paths: [path.join(REPO_ROOT, 'js')] })), '..', 'es');
    const files = {
      '/authenticator/': path.join(PUBLIC, 'authenticator', 'index.html'),
      '/authenticator/app.js': path.join(PUBLIC, 'authenticator', 'app.js'),
      '/authenticator/manifest.webmanifest': path.join(PUBLIC, 'authenticator', 'manifest.webmanifest'),
      '/authenticator/icon.svg': path.join(PUBLIC, 'authenticator', 'icon.svg'),
      '/style.css': path.join(PUBLIC, 'style.css'),
      '/sdk/esm/authenticator.js': path.join(DIST, 'esm', 'authenticator.js'),
      '/sdk/wasm/tapgate_core.web.mjs': path.join(DIST, 'wasm', 'tapgate_core.web.mjs'),
      '/sdk/wasm/zxing_reader.wasm': path.join(DIST, 'wasm', 'zxing_reader.wasm'),
      '/vendor/zxing-wasm/reader/index.js': path.join(zxingEs, 'reader', 'index.js'),
    };
    for (const [p, file] of Object.entries(files)) {
      const res = await request(demo.server.url, p, { 'accept-encoding': 'gzip, br' });
      expect({ p, status: res.status, coding: res.headers['content-encoding'] }).toEqual({ p, status: 200, coding: 'br' });
      expect({ p, same: zlib.brotliDecompressSync(res.body).equals(fs.readFileSync(file)) }).toEqual({ p, same: true });
    }
    const page = await request(demo.server.url, '/authenticator/', { 'accept-encoding': 'br' });
    expect(page.headers['content-security-policy']).toMatch(/script-src/);

    const png = await request(demo.server.url, '/authenticator/icon-192.png', { 'accept-encoding': 'gzip, br' });
    expect(png.status).toBe(200);
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers.vary).toBeUndefined();
    expect(png.body.equals(fs.readFileSync(path.join(PUBLIC, 'authenticator', 'icon-192.png')))).toBe(true);
  });
});

describe('the precompressed copies (attacker side)', () => {
  let tmp;
  const content = Buffer.from('export const answer = 42;\n'.repeat(400));
  // The files are laid out before the server starts; the folder goes once the server has stopped.
  const env = useServer(() => {
    tmp = env.tempDir('tapgate-static-');
    for (const d of ['site', 'pre', 'site/sub']) fs.mkdirSync(path.join(tmp, d), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'site', 'good.js'), content);
    fs.writeFileSync(path.join(tmp, 'site', 'stale.js'), content);
    fs.writeFileSync(path.join(tmp, 'site', 'sub', 'x.js'), content);
    // A valid copy made at quality 1: distinguishable from what the server would make itself.
    fs.writeFileSync(path.join(tmp, 'pre', 'good.js.br'), zlib.brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }));
    // A copy of other bytes (stale, or planted): must never be served as this file.
    fs.writeFileSync(path.join(tmp, 'pre', 'stale.js.br'), zlib.brotliCompressSync(Buffer.from('alert("planted")')));
    // Files outside the mount, with a precompressed twin: unreachable.
    fs.writeFileSync(path.join(tmp, 'secret.js'), 'const secret = "outside the mount";\n'.repeat(50));
    fs.writeFileSync(path.join(tmp, 'secret.js.br'), zlib.brotliCompressSync(fs.readFileSync(path.join(tmp, 'secret.js'))));
    return {
      script: path.join(__dirname, 'helpers', 'static-child.mjs'),
      env: { TAPGATE_TEST_MOUNTS: JSON.stringify([['/m/', path.join(tmp, 'site'), path.join(tmp, 'pre')]]) },
    };
  });

  test('a valid copy is served as it is', async () => {
    const res = await request(env.server.url, '/m/good.js', { 'accept-encoding': 'br' });
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.body.equals(fs.readFileSync(path.join(tmp, 'pre', 'good.js.br')))).toBe(true);
  });

  test('a copy that does not decode to the file is ignored: the file itself is compressed', async () => {
    const res = await request(env.server.url, '/m/stale.js', { 'accept-encoding': 'br' });
    expect(res.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(res.body).equals(content)).toBe(true);
  });

  test('no path outside the mount is reachable, with or without a coding', async () => {
    for (const p of ['/m/..%2fsecret.js', '/m/%2e%2e/secret.js', '/m/sub/..%2f..%2fsecret.js', '/m/sub%2f..%2f..%2fsecret.js', '/m/..%5csecret.js',
      '/m/secret.js', '/m/good.js.br%2f..%2f..%2f..%2fsecret.js', '/m/../secret.js']) {
      for (const accept of ['br', 'gzip', undefined]) {
        const res = await request(env.server.url, p, accept ? { 'accept-encoding': accept } : {});
        expect({ p, accept, status: res.status }).toEqual({ p, accept, status: 404 });
        expect(res.body.toString()).not.toMatch(/outside the mount/);
      }
    }
    // Inside the mount, the nested path still works.
    expect((await request(env.server.url, '/m/sub/x.js', { 'accept-encoding': 'br' })).status).toBe(200);
  });
});
