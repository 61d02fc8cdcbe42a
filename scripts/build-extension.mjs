#!/usr/bin/env node
// Assembles the MV3 browser extension, unpacked, in build/extension/: the popup (extension/), the
// session pane, PIN pad and icons shared with the PWA (web-demo/), and @tapgate/authenticator's browser build
// with its wasm. Extension pages may not use import maps (inline script), so the one bare import
// of the browser entry, 'zxing-wasm/reader', is rewritten to the copy shipped beside it; the
// background worker gets a copy of the entry that loads the core without import().
// Run after the package is built (scripts/build.mjs does both).
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'js', 'package.json'));
// Assembled beside build/extension and swapped in at the end: a browser another test suite has
// loaded the extension into meanwhile never sees a half-built folder (the suites rebuild it).
const target = join(root, 'build', 'extension');
const out = `${target}.building-${process.pid}`;
const pwa = join(root, 'web-demo', 'public');
const zxingEs = join(dirname(require.resolve('zxing-wasm/reader/zxing_reader.wasm')), '..', 'es');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(root, 'extension'), out, { recursive: true });
for (const [from, to] of [
  [join(pwa, 'style.css'), 'style.css'],
  [join(pwa, 'authenticator', 'pin-pad.js'), 'pin-pad.js'],
  [join(pwa, 'authenticator', 'session-view.js'), 'session-view.js'],
  [join(pwa, 'authenticator', 'icon-192.png'), 'icon-192.png'],
  [join(pwa, 'authenticator', 'icon-512.png'), 'icon-512.png'],
  [join(root, 'js', 'dist', 'esm'), 'sdk/esm'],
  [join(root, 'js', 'dist', 'wasm'), 'sdk/wasm'],
  [join(zxingEs, 'reader', 'index.js'), 'vendor/zxing-wasm/reader/index.js'],
  [join(zxingEs, 'share.js'), 'vendor/zxing-wasm/share.js'],
]) {
  cpSync(from, join(out, to), { recursive: true });
}
for (const unused of ['tapgate_core.js', 'tapgate_core.wasm']) rmSync(join(out, 'sdk', 'wasm', unused), { force: true });  // Node build

const entry = join(out, 'sdk', 'esm', 'index.js');
const source = readFileSync(entry, 'utf8');
const rewritten = source.replace("import('zxing-wasm/reader')", "import('../../vendor/zxing-wasm/reader/index.js')");
if (rewritten === source) throw new Error("build-extension: the browser entry no longer imports 'zxing-wasm/reader' as expected");
writeFileSync(entry, rewritten);

// The background worker's copy of the entry: a service worker may not import() (HTML spec), so
// there the core's glue is a static import, and the worker never scans (no zxing import runs).
const coreImport = 'import(/* @vite-ignore */ /* webpackIgnore: true */ coreUrl)';
if (!rewritten.includes(coreImport)) throw new Error('build-extension: the browser entry no longer loads the core with import(coreUrl) as expected');
writeFileSync(join(out, 'sdk', 'esm', 'index.worker.js'),
  "import * as staticCore from '../wasm/tapgate_core.web.mjs';\n" + rewritten.replace(coreImport, 'Promise.resolve(staticCore)'));
const previous = `${target}.previous-${process.pid}`;
try {
  renameSync(target, previous);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(out, target);
rmSync(previous, { recursive: true, force: true });
console.log(`extension built in ${target}`);
