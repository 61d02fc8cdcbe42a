// scanQr against QR codes from another encoder: Debian's `qrencode` in 8-bit mode with binary
// payloads (NULs, 0xFF, every byte value). Chromium rotates, scales and adds noise on a canvas, then
// hands the picture to scanQr as ImageData, a PNG Blob, a JPEG Blob, JPEG bytes and PNG bytes; the
// payload must come back byte for byte. The Node entry decodes the same PNG and JPEG files.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const { useDemo } = require('../js/helpers/fixture');
const { openChromium } = require('./helpers/chromium');

const qrencode = (payload) => execFileSync('qrencode', ['-8', '-l', 'M', '-s', '6', '-m', '4', '-o', '-'], { input: payload });

const PAYLOADS = {
  'every byte value': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  'login-sized, NULs and 0xFF': Buffer.from([1, 1, 0, 0, 0xff, 0, ...crypto.randomBytes(26), 0, 0xff]),
  'random 150 bytes': crypto.randomBytes(150),
};

const TRANSFORMS = [
  { name: 'as encoded', rotate: 0, scale: 1, noise: 0 },
  { name: 'rotated 90°', rotate: 90, scale: 1, noise: 0 },
  { name: 'rotated 23°', rotate: 23, scale: 1, noise: 0 },
  { name: 'scaled down 0.6×', rotate: 0, scale: 0.6, noise: 0 },
  { name: 'scaled up 2.3×', rotate: 0, scale: 2.3, noise: 0 },
  { name: 'noise ±60 and 2 % speckles', rotate: 0, scale: 1, noise: 60 },
  { name: 'rotated 11°, 1.4×, noise', rotate: 11, scale: 1.4, noise: 40 },
];

let demo;
let browser;
let page;
let node;

const site = useDemo();
beforeAll(async () => {
  demo = site.server;
  browser = await openChromium(site);
  page = await browser.newPage();
  await page.goto(`${demo.url}/authenticator/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  node = await site.authenticator();
}, 60_000);

// In the page: draw the PNG transformed onto a white canvas, then decode it five ways.
const decodeInBrowser = (pngBase64, t) => page.evaluate(async ({ pngBase64, t }) => {
  const png = Uint8Array.from(atob(pngBase64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([png], { type: 'image/png' }));
  const w = bitmap.width * t.scale;
  const h = bitmap.height * t.scale;
  const rad = (t.rotate * Math.PI) / 180;
  const size = Math.ceil(Math.abs(w * Math.cos(rad)) + Math.abs(h * Math.sin(rad))) + 20;
  const canvas = Object.assign(document.createElement('canvas'), { width: size, height: size });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  ctx.translate(size / 2, size / 2);
  ctx.rotate(rad);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(bitmap, -w / 2, -h / 2, w, h);
  if (t.noise) {
    const img = ctx.getImageData(0, 0, size, size);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < img.data.length; i += 4) {
      const speck = rnd() < 0.02 ? (rnd() < 0.5 ? -255 : 255) : (rnd() * 2 - 1) * t.noise;
      for (let c = 0; c < 3; c++) img.data[i + c] = Math.max(0, Math.min(255, img.data[i + c] + speck));
    }
    ctx.putImageData(img, 0, 0);
  }
  const blob = (type, quality) => new Promise((res) => canvas.toBlob(res, type, quality));
  const pngBlob = await blob('image/png');
  const jpegBlob = await blob('image/jpeg', 0.75);
  const jpegBytes = new Uint8Array(await jpegBlob.arrayBuffer());
  const pngBuffer = await pngBlob.arrayBuffer();
  const hex = (b) => (b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : null);
  const scan = (input) => window.tapgate.scanQr(input).then(hex);
  return {
    imageData: await scan(ctx.getImageData(0, 0, size, size)),
    pngBlob: await scan(pngBlob),
    jpegBlob: await scan(jpegBlob),
    jpegBytes: await scan(jpegBytes),
    pngBytes: await scan(pngBuffer),
    files: { png: hex(new Uint8Array(pngBuffer)), jpeg: hex(jpegBytes) },
  };
}, { pngBase64, t });

describe.each(Object.entries(PAYLOADS))('%s', (_, payload) => {
  const png = qrencode(payload);
  test.each(TRANSFORMS)('$name: byte-exact from ImageData, Blobs, JPEG and PNG bytes, in Chromium and Node', async (t) => {
    const got = await decodeInBrowser(png.toString('base64'), t);
    const want = payload.toString('hex');
    expect({ imageData: got.imageData, pngBlob: got.pngBlob, jpegBlob: got.jpegBlob, jpegBytes: got.jpegBytes, pngBytes: got.pngBytes })
      .toEqual({ imageData: want, pngBlob: want, jpegBlob: want, jpegBytes: want, pngBytes: want });
    for (const file of [got.files.png, got.files.jpeg]) {
      const bytes = await node.scanQr(new Uint8Array(Buffer.from(file, 'hex')));
      expect(Buffer.from(bytes).toString('hex')).toBe(want);
    }
  }, 30_000);
});

test('a picture without a QR code decodes to null, not to bytes', async () => {
  const noise = await page.evaluate(async () => {
    const data = new Uint8ClampedArray(200 * 200 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7919) % 256));
    return window.tapgate.scanQr(new ImageData(data, 200, 200));
  });
  expect(noise).toBeNull();
});
