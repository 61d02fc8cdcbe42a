import { misuse } from './errors.js';

export type QrImage = ImageData | Blob | Uint8Array | ArrayBuffer | { data: Uint8ClampedArray; width: number; height: number };

type ReadBarcodes = (input: Blob | ArrayBuffer | Uint8Array | ImageData, options: { formats: ['QRCode']; tryHarder: boolean; tryDenoise?: boolean; maxNumberOfSymbols: number }) => Promise<Array<{ isValid: boolean; bytes: Uint8Array }>>;

/**
 * Decodes the first QR code in an image and returns its payload bytes exactly (ZXing's `.bytes`,
 * never `.text`, which is not binary-safe). Null when the image holds no readable QR code.
 * `tryDenoise`: without it ZXing misses small (login-sized) codes in noisy pictures, as
 * tests/e2e/scanqr-robustness.test.js shows.
 */
export async function decodeQrImage(readBarcodes: ReadBarcodes, image: QrImage): Promise<Uint8Array | null> {
  let input: Blob | ArrayBuffer | Uint8Array | ImageData;
  if (image instanceof Uint8Array || image instanceof ArrayBuffer) input = image;
  else if (typeof Blob !== 'undefined' && image instanceof Blob) input = image;
  else if (image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    input = image as ImageData;
  } else {
    throw misuse('INVALID_ARGUMENT', 'scanQr takes ImageData, a Blob, or PNG/JPEG bytes');
  }
  const results = await readBarcodes(input, { formats: ['QRCode'], tryHarder: true, tryDenoise: true, maxNumberOfSymbols: 1 });
  const hit = results.find((r) => r.isValid);
  return hit ? new Uint8Array(hit.bytes) : null;
}
