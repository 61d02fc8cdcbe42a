// scanQr exported on its own by the Node entry ('@tapgate/authenticator/node'): what a Node harness
// uses to read the QR code in a screenshot, with no Authenticator. Binary payloads come back byte
// for byte in every input form; pictures without a QR code give null; non-images a typed error.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const QRCode = require('qrcode');
const { PNG } = require('pngjs');
const { scanQr, Authenticator, TapgateError } = require('@tapgate/authenticator/node');

// A LOGIN-shaped payload (protocol.md §2) with NULs, 0xFF and bytes that are not UTF-8.
const LOGIN = Buffer.concat([Buffer.from([1, 1]), Buffer.alloc(8, 0), Buffer.alloc(8, 0xff), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0]), crypto.randomBytes(8)]);
const ALL_BYTES = Buffer.from([...Array(256).keys()]);
const qrPng = (payload, options = {}) => QRCode.toBuffer([{ data: payload, mode: 'byte' }], { errorCorrectionLevel: 'M', scale: 4, ...options });

/** A PNG of pseudo-random grey noise (no QR code in it). */
function noisePng(width = 120, height = 90) {
  const png = new PNG({ width, height });
  const noise = crypto.randomBytes(width * height);
  for (let i = 0; i < width * height; i++) png.data.set([noise[i], noise[i], noise[i], 255], i * 4);
  return PNG.sync.write(png);
}

test('binary payloads round-trip byte for byte from PNG bytes (Uint8Array, Buffer, ArrayBuffer), RGBA pixels and a Blob', async () => {
  for (const payload of [LOGIN, ALL_BYTES]) {
    const png = await qrPng(payload);
    expect(Buffer.from(await scanQr(new Uint8Array(png)))).toEqual(payload);
    expect(Buffer.from(await scanQr(png))).toEqual(payload);  // a Buffer, as a screenshot API gives
    // A view into a larger buffer (Buffer's pool, a slice): only the view's bytes are the image.
    const padded = Buffer.concat([Buffer.alloc(7, 0xee), png, Buffer.alloc(5, 0xee)]);
    expect(Buffer.from(await scanQr(padded.subarray(7, 7 + png.length)))).toEqual(payload);
    expect(Buffer.from(await scanQr(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength)))).toEqual(payload);
    const { data, width, height } = PNG.sync.read(png);
    expect(Buffer.from(await scanQr({ data: new Uint8ClampedArray(data), width, height }))).toEqual(payload);
    expect(Buffer.from(await scanQr(new Blob([png], { type: 'image/png' })))).toEqual(payload);
  }
});

test('a login-sized code in a larger screenshot-like picture, and the same result as Authenticator.scanQr', async () => {
  const qr = PNG.sync.read(await qrPng(LOGIN, { scale: 3 }));
  const page = new PNG({ width: 640, height: 400 });
  page.data.fill(0xf4);
  PNG.bitblt(qr, page, 0, 0, qr.width, qr.height, 380, 120);
  const shot = PNG.sync.write(page);
  const bytes = await scanQr(shot);
  expect(bytes).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(bytes)).toEqual(LOGIN);
  const auth = await Authenticator.create();
  try {
    expect(Buffer.from(await auth.scanQr(shot))).toEqual(LOGIN);
  } finally {
    await auth.close();
  }
});

test('pictures without a QR code and bytes that are no image give null', async () => {
  expect(await scanQr(noisePng())).toBeNull();
  const blank = new PNG({ width: 64, height: 64 });
  blank.data.fill(255);
  expect(await scanQr(PNG.sync.write(blank))).toBeNull();
  expect(await scanQr(crypto.randomBytes(2048))).toBeNull();
  expect(await scanQr(Buffer.from('<html>not a picture</html>'))).toBeNull();
  // A PNG cut short: the header promises a picture the bytes do not hold.
  const png = await qrPng(LOGIN);
  expect(await scanQr(png.subarray(0, 60))).toBeNull();
});

test('anything but an image rejects with a TapgateError INVALID_ARGUMENT (misuse)', async () => {
  for (const bad of ['tapgate:AQI', 42, null, undefined, { width: 1 }, [1, 2, 3]]) {
    const err = await scanQr(bad).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(TapgateError);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  }
});

test('ESM: import { scanQr } from "@tapgate/authenticator/node" decodes without fetching anything', async () => {
  const png = await qrPng(LOGIN);
  const script = `
    import { scanQr } from '@tapgate/authenticator/node';
    globalThis.fetch = () => { throw new Error('nothing may be fetched'); };
    const bytes = await scanQr(Buffer.from(process.argv[1], 'base64'));
    console.log(Buffer.from(bytes).toString('hex'));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, png.toString('base64')], { cwd: __dirname }).toString().trim();
  expect(out).toBe(LOGIN.toString('hex'));
});
