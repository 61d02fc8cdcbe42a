// Node entry: '@tapgate/authenticator/node'. The core's wasm is read from the package with fs;
// storage is a folder of encrypted files; QR images are decoded with zxing-wasm's reader (also
// exported on its own as `scanQr`);
// requests go over pooled keep-alive connections of a small HTTP/1.1 client on node:net /
// node:tls (node-transport.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usePlatform } from './authenticator.js';
import { pooledRandom, type CoreModule } from './core.js';
import { FileStorage } from './file-storage.js';
import { MemoryStorage } from './memory-storage.js';
import { nodeFetch } from './node-transport.js';
import { decodeQrImage, type QrImage } from './qr-decode.js';

const wasmDir = join(__dirname, '..', 'wasm');

let corePromise: Promise<CoreModule> | undefined;
function loadCore(): Promise<CoreModule> {
  corePromise ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const create = require(join(wasmDir, 'tapgate_core.js')) as (o: object) => Promise<CoreModule>;
    return create({ wasmBinary: readFileSync(join(wasmDir, 'tapgate_core.wasm')), getRandomValue: pooledRandom() });
  })();
  return corePromise;
}

let zxingReady: Promise<typeof import('zxing-wasm/reader')> | undefined;
function zxingReader(): Promise<typeof import('zxing-wasm/reader')> {
  zxingReady ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zxing = require('zxing-wasm/reader') as typeof import('zxing-wasm/reader');
    // zxing-wasm's own .wasm, read from disk: its glue would otherwise fetch one from a CDN.
    const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
    await zxing.prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, fireImmediately: true });
    return zxing;
  })();
  // A failed load (an unreadable .wasm) is not cached: the next call tries again.
  zxingReady.catch(() => { zxingReady = undefined; });
  return zxingReady;
}

/**
 * Decodes the first QR code in an image and resolves with its payload bytes exactly (ZXing's
 * `.bytes`, never `.text`), or `null` when the image holds no readable QR code. The same decoder as
 * `Authenticator.scanQr`, without an Authenticator: a test harness can read the QR of a login page
 * from a browser screenshot. `image` is PNG or JPEG file bytes (`Uint8Array`, `Buffer`,
 * `ArrayBuffer`), a `Blob`, or RGBA pixels `{ data, width, height }`. Rejects with a
 * `TapgateError` `INVALID_ARGUMENT` (kind `misuse`) for anything else. The ZXing reader's wasm is
 * read from the `zxing-wasm` package on the first call; nothing is fetched.
 *
 * ```js
 * const { scanQr } = require('@tapgate/authenticator/node');
 * const bytes = await scanQr(await page.locator('#qr').screenshot());
 * ```
 */
export async function scanQr(image: QrImage): Promise<Uint8Array | null> {
  const zxing = await zxingReader();
  return decodeQrImage(zxing.readBarcodes, image);
}

// In Node, `storage` may be a folder path; without one the state lives in memory only.
usePlatform((options) => ({
  loadCore,
  scanQr: (image: unknown) => scanQr(image as QrImage),
  fetch: nodeFetch,
  storage: typeof options.storage === 'string' ? new FileStorage(options.storage) : options.storage ?? new MemoryStorage(),
}));

export * from './public-api.js';
export { FileStorage } from './file-storage.js';
export { TestBiometricProvider } from './test-biometric.js';
export type { QrImage } from './qr-decode.js';
