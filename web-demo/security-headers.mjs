// The demo's response headers against framing (clickjacking a PIN pad or an "Accept"), content
// sniffing and script injection. The relying-party pages and the authenticator share one origin
// here (docs/security.md), so each gets the narrowest policy it works with:
// - relying-party pages: only their own scripts, styles and API; QR pictures are data: URLs;
// - the authenticator: also WebAssembly (the core, the QR reader), its inline import map (by
//   hash), camera streams, server logos, and any Tapgate server an enrol QR names (connect-src).
import { createHash } from 'node:crypto';

/** Headers every response of the demo carries. */
export const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const COMMON = ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "style-src 'self'"];

/** The hashes ('sha256-…') of a page's inline <script> elements, for script-src. */
export function inlineScriptHashes(html) {
  const hashes = [];
  for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    hashes.push(`'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/** The Content-Security-Policy of the page at `pathname` whose HTML is `html`. */
export function contentSecurityPolicy(pathname, html) {
  const scripts = ["'self'", ...inlineScriptHashes(html)];
  if (/^\/authenticator(\/|$)/.test(pathname)) {
    return [...COMMON, `script-src ${[...scripts, "'wasm-unsafe-eval'"].join(' ')}`, "img-src 'self' data: blob: https:",
      "media-src 'self' blob:", "connect-src 'self' https: http:", "worker-src 'self'", "manifest-src 'self'", "form-action 'none'"].join('; ');
  }
  return [...COMMON, `script-src ${scripts.join(' ')}`, "img-src 'self' data:", "connect-src 'self'", "form-action 'self'"].join('; ');
}
