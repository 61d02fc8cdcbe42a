// Browser entry ('@tapgate/authenticator'): browsers, extensions, WebViews. The core is an ES
// module that finds its .wasm next to itself; state goes to IndexedDB; QR images are decoded with
// zxing-wasm, whose .wasm is served from `zxingWasmUrl` (default: next to the core).
import { usePlatform, type AuthenticatorOptions } from './authenticator.js';
import { pooledRandom, type CoreModule } from './core.js';
import { IndexedDbStorage } from './indexeddb-storage.js';
import { decodeQrImage, type QrImage } from './qr-decode.js';

// Both files are named here, each as `new URL('…', import.meta.url)`, so bundlers (Vite, Rollup,
// webpack 5, Parcel) emit both as assets and rewrite both URLs; the glue is then told where the
// .wasm went (locateFile) rather than looking beside itself.
const coreUrl = new URL('../wasm/tapgate_core.web.mjs', import.meta.url).href;
const coreWasmUrl = new URL('../wasm/tapgate_core.web.wasm', import.meta.url).href;

let corePromise: Promise<CoreModule> | undefined;
function loadCore(): Promise<CoreModule> {
  corePromise ??= import(/* @vite-ignore */ /* webpackIgnore: true */ coreUrl).then((m: { default: (o: object) => Promise<CoreModule> }) =>
    m.default({ getRandomValue: pooledRandom(), locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? coreWasmUrl : prefix + path) }),
  );
  return corePromise;
}

let zxingReady: Promise<typeof import('zxing-wasm/reader')> | undefined;
function zxingReader(wasmUrl: string): Promise<typeof import('zxing-wasm/reader')> {
  zxingReady ??= import('zxing-wasm/reader').then((zxing) => {
    zxing.prepareZXingModule({ overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) } });
    return zxing;
  });
  return zxingReady;
}

export interface BrowserAuthenticatorOptions extends AuthenticatorOptions {
  /** Where zxing_reader.wasm is served. Default: beside the Tapgate core. */
  zxingWasmUrl?: string;
}

/**
 * Decodes the first QR code in an image, as `Authenticator.scanQr` does, without an Authenticator:
 * a page that hands its sessions to another context (the extension's popup, whose Authenticator
 * lives in its service worker) reads the QR itself. Resolves with the payload bytes exactly, or
 * `null` when the image holds no readable QR code; `INVALID_ARGUMENT` for anything not an image.
 * `zxingWasmUrl`: where zxing_reader.wasm is served (default: beside the core).
 */
export async function scanQr(image: QrImage, { zxingWasmUrl }: { zxingWasmUrl?: string } = {}): Promise<Uint8Array | null> {
  const zxing = await zxingReader(zxingWasmUrl ?? new URL('../wasm/zxing_reader.wasm', import.meta.url).href);
  return decodeQrImage(zxing.readBarcodes, image);
}

usePlatform((options: BrowserAuthenticatorOptions) => ({
  loadCore,
  storage: typeof options.storage === 'object' ? options.storage : new IndexedDbStorage(options.storage ?? 'tapgate'),
  scanQr: (image: unknown) => scanQr(image as QrImage, options),
}));

export * from './public-api.js';
export { IndexedDbStorage } from './indexeddb-storage.js';
export { FallbackStorage } from './fallback-storage.js';
export { scanQrFromCamera } from './camera.js';
export type { CameraScanOptions, QrImageDecoder } from './camera.js';
export type { QrImage } from './qr-decode.js';
export { WebAuthnPrfBiometricProvider } from './webauthn-prf.js';
export type { WebAuthnPrfOptions, CredentialIdStore } from './webauthn-prf.js';
