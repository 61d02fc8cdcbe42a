// Node entry: '@tapgate/authenticator/node'. The core's wasm is read from the package with fs;
// storage is a folder of encrypted files; QR images are decoded with zxing-wasm's reader;
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

let zxingReady: Promise<void> | undefined;
async function scanQr(image: unknown): Promise<Uint8Array | null> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zxing = require('zxing-wasm/reader') as typeof import('zxing-wasm/reader');
  zxingReady ??= (async () => {
    const wasmBinary = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
    await zxing.prepareZXingModule({ overrides: { wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) }, fireImmediately: true });
  })();
  await zxingReady;
  return decodeQrImage(zxing.readBarcodes, image as QrImage);
}

// In Node, `storage` may be a folder path; without one the state lives in memory only.
usePlatform((options) => ({
  loadCore,
  scanQr,
  fetch: nodeFetch,
  storage: typeof options.storage === 'string' ? new FileStorage(options.storage) : options.storage ?? new MemoryStorage(),
}));

export * from './public-api.js';
export { FileStorage } from './file-storage.js';
export { TestBiometricProvider } from './test-biometric.js';
