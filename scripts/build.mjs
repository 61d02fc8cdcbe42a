#!/usr/bin/env node
// Builds what is missing or stale: the core to WebAssembly (once; Ninja makes reruns no-ops),
// the TypeScript package (ESM for browsers, CommonJS for Node), the unpacked MV3 extension and the server.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minifySync } from 'rolldown/experimental';
import { CODINGS } from '../web-demo/content-coding.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };  // emcc's JS optimizer needs Debian's acorn
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
const step = (msg) => console.log(`\x1b[1m[build]\x1b[0m ${msg}`);

const wasmBuild = join(root, 'build', 'wasm');
if (!existsSync(join(wasmBuild, 'build.ninja'))) {
  step('configuring the WebAssembly build');
  run('emcmake', ['cmake', '-S', '.', '-B', wasmBuild, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release']);
}
step('building the core to WebAssembly');
run('cmake', ['--build', wasmBuild]);

const wasmOut = join(root, 'js', 'dist', 'wasm');
mkdirSync(wasmOut, { recursive: true });
for (const f of ['tapgate_core.js', 'tapgate_core.wasm', 'tapgate_core.web.mjs', 'tapgate_core.web.wasm']) {
  copyFileSync(join(wasmBuild, f), join(wasmOut, f));
}
// Browsers download the web glue: minified (names mangled, dead code dropped) it is 3.5 KB less
// gzip. Emscripten 3.1.6 only minifies names with Closure, a far larger dependency than the
// bundler's minifier already in the tree. The Node glue stays as built (read from disk, not sent).
const webGlue = join(wasmOut, 'tapgate_core.web.mjs');
const minified = minifySync('tapgate_core.web.mjs', readFileSync(webGlue, 'utf8'), { compress: true, mangle: { toplevel: true }, module: true });
if (minified.errors?.length) throw new Error(`minifying the web glue: ${minified.errors.map((e) => e.message).join('; ')}`);
writeFileSync(webGlue, minified.code);
// The QR reader's wasm ships beside the core so browsers load both from one place, offline.
copyFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm', { paths: [join(root, 'js')] }), join(wasmOut, 'zxing_reader.wasm'));

// The demo server sends these brotli or gzip encoded. Brotli's best quality takes seconds on them
// (about 1 s for the core, 8-12 s for the QR reader), so it is paid here, once per changed file,
// not on a first request; the copies live in build/ (not in js/dist, which is the npm package)
// where web-demo/start.mjs mounts them. Small files are compressed by the server itself.
step('precompressing the browser wasm and glue (build/precompressed)');
for (const f of ['tapgate_core.web.wasm', 'tapgate_core.web.mjs', 'zxing_reader.wasm']) {
  const bytes = readFileSync(join(wasmOut, f));
  const outBase = join(root, 'build', 'precompressed', 'sdk', 'wasm', f);
  mkdirSync(dirname(outBase), { recursive: true });
  for (const coding of CODINGS) {
    const out = outBase + coding.ext;
    const current = existsSync(out) && (await coding.decompress(readFileSync(out)).then((d) => d.equals(bytes), () => false));
    if (!current) writeFileSync(out, await coding.compress(bytes));
  }
}

step('compiling @tapgate/authenticator');
run('npx', ['tsc', '-p', 'js/tsconfig.cjs.json']);
run('npx', ['tsc', '-p', 'js/tsconfig.esm.json']);
writeFileSync(join(root, 'js', 'dist', 'esm', 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(root, 'js', 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
// Node ESM users get the CommonJS build (it reads the wasm with fs) through a thin wrapper that
// re-exports every name the CommonJS entry exports (loading it reads no wasm yet).
const nodeExports = Object.keys(require(join(root, 'js', 'dist', 'cjs', 'node.js'))).filter((k) => k !== '__esModule' && k !== 'default').sort();
writeFileSync(
  join(root, 'js', 'dist', 'node.mjs'),
  "import node from './cjs/node.js';\n" + `export const { ${nodeExports.join(', ')} } = node;\n`,
);

step('assembling the browser extension (build/extension)');
run(process.execPath, [join(root, 'scripts', 'build-extension.mjs')]);

step('compiling @tapgate/server');
run('npx', ['tsc', '-p', 'server/tsconfig.json']);
step('done');
