#!/usr/bin/env bash
# Builds libsodium from Debian's source package (with Debian's security patches) into a static
# WebAssembly library under build/deps/sodium-wasm.
#
# The result is cached. $PREFIX/build-flags.stamp records what it was built with (this script's
# flag set and the source package); when the flags below change, the stamp no longer matches and
# the next run (scripts/setup.sh, or this script directly) rebuilds it. `--check` only tests:
# exit status 0 when the cache is current, 1 when a build is needed.
#
# Overrides (for measurements; bench/size.mjs uses them to build variants elsewhere):
#   SODIUM_WASM_PREFIX   install prefix              (default build/deps/sodium-wasm)
#   SODIUM_WASM_CFLAGS   optimisation flags          (default below)
#   SODIUM_WASM_CONFIGURE_EXTRA  extra ./configure flags (default below)
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=$PWD/build/deps
PREFIX=${SODIUM_WASM_PREFIX:-$DEPS/sodium-wasm}
# -Oz: smallest code (Argon2id speed measured by bench/argon2.mjs); -flto: the library is kept as
# LLVM bitcode so the core's link (also -flto) drops and inlines across the boundary.
# --enable-minimal: leaves out what the core never calls (scrypt, ristretto, xchacha20 boxes, …).
CFLAGS_OPT=${SODIUM_WASM_CFLAGS--Oz -flto}
CONFIGURE_EXTRA=${SODIUM_WASM_CONFIGURE_EXTRA---enable-minimal}
STAMP="$PREFIX/build-flags.stamp"
want="libsodium-wasm v2; emcc $(emcc -dumpversion 2>/dev/null || echo '?'); CFLAGS=$CFLAGS_OPT; configure: --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm --disable-pie $CONFIGURE_EXTRA"

current() { [ -f "$PREFIX/lib/libsodium.a" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; }
if [ "${1-}" = "--check" ]; then current; exit $?; fi
if current; then
  echo "[sodium-wasm] $PREFIX is current ($want)"
  exit 0
fi

export NODE_PATH=/usr/share/nodejs          # emcc's JS optimizer needs Debian's node-acorn
export DO_NOT_UPDATE_CONFIG_SCRIPTS=1       # autogen.sh must not download config.sub/guess
mkdir -p "$DEPS/src"
cd "$DEPS/src"
if ! ls libsodium_*.dsc >/dev/null 2>&1; then
  echo "[sodium-wasm] downloading Debian's libsodium source package"
  apt-get source --download-only libsodium
fi
dsc=$(ls libsodium_*.dsc | head -n1)
work=$(mktemp -d "$DEPS/src/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-source -x "$dsc" "$work/src" >/dev/null
cd "$work/src"
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
echo "[sodium-wasm] configuring (about 1-2 minutes): CFLAGS=$CFLAGS_OPT $CONFIGURE_EXTRA"
rm -rf "$PREFIX"
# --host makes configure cross-compile: it must not run emcc output under Node 20.
# shellcheck disable=SC2086
emconfigure ./configure --host=wasm32-unknown-emscripten --prefix="$PREFIX" \
  --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm --disable-pie \
  $CONFIGURE_EXTRA CFLAGS="$CFLAGS_OPT" >/dev/null
emmake make -j"$(nproc)" >/dev/null
emmake make install >/dev/null
printf '%s' "$want" > "$STAMP"
echo "[sodium-wasm] built $PREFIX/lib/libsodium.a ($want)"
