#!/usr/bin/env bash
# `npm test`: native GoogleTest (ctest), then the WASM build and the TypeScript packages, then Jest
# (the JS API against real server processes, and the demo in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
step() { printf '\n\033[1m[test] %s\033[0m\n' "$*"; }

step "native build and GoogleTest"
[ -f build/native/build.ninja ] || cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native
ctest --test-dir build/native --output-on-failure -j2 | tail -n 4

step "WebAssembly and TypeScript build"
node scripts/build.mjs

step "Jest: JS API end to end, server API, browser"
npx jest --ci
