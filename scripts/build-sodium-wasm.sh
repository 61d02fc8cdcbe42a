#!/usr/bin/env bash
# Builds libsodium from Debian's source package (with Debian's security patches) into a static
# WebAssembly library under build/deps/sodium-wasm. The result is cached: delete it to rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=$PWD/build/deps
PREFIX=$DEPS/sodium-wasm
export NODE_PATH=/usr/share/nodejs          # emcc's JS optimizer needs Debian's node-acorn
export DO_NOT_UPDATE_CONFIG_SCRIPTS=1       # autogen.sh must not download config.sub/guess
mkdir -p "$DEPS/src"
cd "$DEPS/src"
if ! ls libsodium_*.dsc >/dev/null 2>&1; then
  echo "[sodium-wasm] downloading Debian's libsodium source package"
  apt-get source --download-only libsodium
fi
dsc=$(ls libsodium_*.dsc | head -n1)
rm -rf work && dpkg-source -x "$dsc" work >/dev/null
cd work
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
echo "[sodium-wasm] configuring (about 1-2 minutes)"
# --host makes configure cross-compile: it must not run emcc output under Node 20.
emconfigure ./configure --host=wasm32-unknown-emscripten --prefix="$PREFIX" \
  --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm --disable-pie \
  CFLAGS="-O2" >/dev/null
emmake make -j"$(nproc)" >/dev/null
emmake make install >/dev/null
cd .. && rm -rf work
echo "[sodium-wasm] built $PREFIX/lib/libsodium.a"
