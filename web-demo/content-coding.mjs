// The content codings the demo serves (brotli, gzip) and the choice among them by a request's
// Accept-Encoding (RFC 9110 §12.5.3): the highest q wins, ties go to br, then gzip, then identity.
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants, gunzip, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const unbrotli = promisify(brotliDecompress);
const gz = promisify(gzip);
const ungz = promisify(gunzip);

/**
 * Best effort for bytes served many times: brotli quality 11 (its slowest, smallest) and gzip -9.
 * Quality 11 takes about 1 s for the core's 265 KB wasm and 8-12 s for the QR reader's 950 KB,
 * hence done once at build time for those (scripts/build.mjs); small files take milliseconds.
 */
export const CODINGS = [
  {
    name: 'br', ext: '.br',
    compress: (bytes) => brotli(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
    decompress: (bytes) => unbrotli(bytes),
  },
  { name: 'gzip', ext: '.gz', compress: (bytes) => gz(bytes, { level: 9 }), decompress: (bytes) => ungz(bytes) },
];

/** Files worth compressing (text and wasm); images such as PNG are compressed already. */
export const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.wasm']);

/** The q-value of each coding named in an Accept-Encoding value; malformed entries are skipped. */
function qValues(header) {
  const q = new Map();
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!coding) continue;
    let value = 1;
    for (const p of params) {
      const m = /^q=([01](?:\.\d{0,3})?)$/.exec(p);
      if (m) value = Math.min(1, Number(m[1]));
    }
    q.set(coding, value);
  }
  return q;
}

/**
 * The coding to send: one of `available` (names, in the server's order of preference), 'identity',
 * or null when the request refuses all of them (`identity;q=0` or `*;q=0` and nothing else).
 * No header means identity: a client that says nothing may not decode anything.
 */
export function negotiate(header, available) {
  if (header === undefined) return 'identity';
  const q = qValues(header);
  const star = q.get('*');
  // Unlisted, identity stays acceptable (unless `*;q=0`) but loses to any coding the client named.
  const weight = (name) => q.get(name) ?? star ?? (name === 'identity' ? 0.0001 : 0);
  let best = null;
  let bestQ = 0;
  for (const name of [...available, 'identity']) {
    const w = weight(name);
    if (w > bestQ) {
      best = name;
      bestQ = w;
    }
  }
  return best;
}
