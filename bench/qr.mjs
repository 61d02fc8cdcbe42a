// QR decode: time per 640×480 RGBA frame through scanQr (zxing-wasm reader, tryHarder +
// tryDenoise as the camera path uses it), a frame holding a login QR and an empty one, in Node
// and in headless Chromium (ImageData, the browser package from the bench server).
import { PNG } from 'pngjs';
import { launchChromium, relyingParty, sdk, summary } from './lib.mjs';

const CMD = 'npm run bench -- --only=qr';

function frames(png) {
  const w = 640, h = 480;
  const withQr = new Uint8ClampedArray(w * h * 4);
  const empty = new Uint8ClampedArray(w * h * 4);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    const v = 90 + ((x + y) >> 3) % 60 + rnd() * 30; // a textured, noisy background
    withQr[i] = withQr[i + 1] = withQr[i + 2] = empty[i] = empty[i + 1] = empty[i + 2] = v;
    withQr[i + 3] = empty[i + 3] = 255;
  }
  const img = PNG.sync.read(png);
  const ox = (w - img.width) >> 1, oy = (h - img.height) >> 1;
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
    const s = (y * img.width + x) * 4, d = ((y + oy) * w + x + ox) * 4;
    withQr[d] = withQr[d + 1] = withQr[d + 2] = img.data[s] > 127 ? 235 : 25;
  }
  return { withQr: { data: withQr, width: w, height: h }, empty: { data: empty, width: w, height: h } };
}

export async function run(ctx) {
  const runs = ctx.quick ? 5 : 15;
  const { Authenticator } = sdk();
  const rp = relyingParty(ctx.server);
  const png = await rp.loginQr(rp.newNonce(), undefined, { img: 'png' });
  const { withQr, empty } = frames(Buffer.from(png));
  const auth = await Authenticator.create({});
  const rows = [];
  try {
    const t = performance.now();
    const first = await auth.scanQr(withQr);
    const firstMs = performance.now() - t;
    if (!first) throw new Error('the QR frame did not decode');
    for (const [label, frame, expect] of [['640×480 frame with a login QR', withQr, true], ['640×480 frame without a QR', empty, false]]) {
      const xs = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const r = await auth.scanQr(frame);
        xs.push(performance.now() - t0);
        if (!!r !== expect) throw new Error(`${label}: unexpected result`);
      }
      rows.push({ group: 'qr decode', measure: `Node, scanQr, ${label}`, value: summary(xs), command: CMD });
    }
    rows.push({ group: 'qr decode', measure: 'Node, first scanQr (loads and compiles zxing_reader.wasm)', value: `${firstMs.toFixed(0)} ms`, command: CMD });
  } finally {
    await auth.close();
  }
  if (!ctx.noBrowser) {
    const browser = await launchChromium();
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(`${ctx.server.url}/bench/`);
      const b64 = (f) => Buffer.from(f.data.buffer).toString('base64');
      const r = await page.evaluate(async ({ withQr, empty, runs }) => {
        const frame = (s) => new ImageData(new Uint8ClampedArray(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer), 640, 480);
        const { Authenticator } = await import('/sdk/esm/index.js');
        const auth = await Authenticator.create({ storage: { load: async () => null, save: async () => {} } });
        const t = performance.now();
        const first = await auth.scanQr(frame(withQr));
        const firstMs = performance.now() - t;
        const out = { firstMs, ok: !!first, withQr: [], empty: [] };
        for (const [k, s] of [['withQr', withQr], ['empty', empty]]) {
          const img = frame(s);
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            const res = await auth.scanQr(img);
            out[k].push(performance.now() - t0);
            if (!!res !== (k === 'withQr')) throw new Error(`${k}: unexpected result`);
          }
        }
        await auth.close();
        return out;
      }, { withQr: b64(withQr), empty: b64(empty), runs });
      if (!r.ok) throw new Error('Chromium: the QR frame did not decode');
      rows.push({ group: 'qr decode', measure: 'Chromium, scanQr, 640×480 ImageData with a login QR', value: summary(r.withQr), command: CMD });
      rows.push({ group: 'qr decode', measure: 'Chromium, scanQr, 640×480 ImageData without a QR', value: summary(r.empty), command: CMD });
      rows.push({ group: 'qr decode', measure: 'Chromium, first scanQr (downloads and compiles zxing_reader.wasm)', value: `${r.firstMs.toFixed(0)} ms`, command: CMD });
    } finally {
      await browser.close();
    }
  }
  return rows;
}
