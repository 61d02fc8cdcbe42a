// emcc 3.1.6 + Node >= 18: instantiateAsync() calls fetch() on a file path, which fails. In Node,
// read the .wasm with fs unless the host already supplied wasmBinary or instantiateWasm.
if (typeof process == 'object' && typeof process.versions == 'object' &&
    typeof process.versions.node == 'string' && typeof window != 'object' &&
    !Module['wasmBinary'] && !Module['instantiateWasm']) {
  Module['wasmBinary'] = require('fs').readFileSync(require('path').join(__dirname, 'tapgate_core.wasm'));
}
