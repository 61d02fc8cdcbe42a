// Browser entry ('@tapgate/authenticator'): browsers, extensions, WebViews. The core is an ES
// module that finds its .wasm next to itself; state goes to IndexedDB; QR images are decoded with
// zxing-wasm, whose .wasm is served from `zxingWasmUrl` (default: next to the core).
import { Authenticator, usePlatform, type AuthenticatorOptions } from './authenticator';
import { pooledRandom, type CoreModule } from './core';
import { IndexedDbStorage } from './indexeddb-storage';
import { decodeQrImage, type QrImage } from './qr-decode';

const coreUrl = new URL('../wasm/tapgate_core.web.mjs', import.meta.url).href;

let corePromise: Promise<CoreModule> | undefined;
function loadCore(): Promise<CoreModule> {
  corePromise ??= import(/* @vite-ignore */ coreUrl).then((m: { default: (o: object) => Promise<CoreModule> }) =>
    m.default({ getRandomValue: pooledRandom() }),
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

usePlatform((options: BrowserAuthenticatorOptions) => ({
  loadCore,
  storage: typeof options.storage === 'object' ? options.storage : new IndexedDbStorage(options.storage ?? 'tapgate'),
  scanQr: async (image: unknown) => {
    const zxing = await zxingReader(options.zxingWasmUrl ?? new URL('../wasm/zxing_reader.wasm', import.meta.url).href);
    return decodeQrImage(zxing.readBarcodes, image as QrImage);
  },
}));

export { Authenticator };
export { TapgateError } from './errors';
export type { TapgateErrorCode, TapgateErrorKind, TapgateErrorInfo } from './errors';
export { Session } from './session';
export type { PinBiometricInput } from './session';
export { IndexedDbStorage } from './indexeddb-storage';
export { MemoryStorage } from './memory-storage';
export type { AuthenticatorOptions } from './authenticator';
export * from './types';
