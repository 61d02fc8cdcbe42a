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
#   SODIUM_WASM_SPEED_CFLAGS     flags of the Argon2id/BLAKE2b objects ("" = same as the rest)
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=$PWD/build/deps
PREFIX=${SODIUM_WASM_PREFIX:-$DEPS/sodium-wasm}
# -Oz: smallest code (Argon2id speed measured by bench/argon2.mjs); -flto: the library is kept as
# LLVM bitcode so the core's link (also -flto) drops and inlines across the boundary.
# --enable-minimal: leaves out what the core never calls (scrypt, ristretto, xchacha20 boxes, …).
CFLAGS_OPT=${SODIUM_WASM_CFLAGS--Oz -flto}
CONFIGURE_EXTRA=${SODIUM_WASM_CONFIGURE_EXTRA---enable-minimal}
# Except Argon2id's hot loops (BLAKE2b compression, the block fill): built for size they make a PIN
# derivation 3-4x slower (measured: docs/performance.md "Size: what was tried"), so they stay at -O2
# (plain wasm objects, optimised before the link). -mbulk-memory: the block fill copies two 1 KiB
# blocks per block it fills, and Emscripten's memcpy sends every copy of 512 bytes or more out to
# JavaScript (HEAPU8.copyWithin); with bulk memory each is one memory.copy instruction
# (262,144 calls to JavaScript per derivation gone; 99 -> 88 ms, docs/performance.md).
SPEED_CFLAGS=${SODIUM_WASM_SPEED_CFLAGS--O2 -mbulk-memory}
SPEED_OBJECTS="argon2-core argon2-fill-block-ref blake2b-compress-ref blake2b-ref blake2b-long"
# Our own patches (scripts/patches/libsodium-*.patch, applied with patch -p1 to the unpacked
# source); their checksum is part of the stamp, so a changed patch rebuilds the cache.
PATCHES=$(ls "$PWD"/scripts/patches/libsodium-*.patch 2>/dev/null || true)
patch_sum=$( [ -n "$PATCHES" ] && cat $PATCHES | sha256sum | cut -c1-16 || echo none)
STAMP="$PREFIX/build-flags.stamp"
want="libsodium-wasm v4; patches $patch_sum; emcc $(emcc -dumpversion 2>/dev/null || echo '?'); CFLAGS=$CFLAGS_OPT; ${SPEED_CFLAGS:+$SPEED_OBJECTS: $SPEED_CFLAGS; }configure: --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm --disable-pie $CONFIGURE_EXTRA"

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
for p in $PATCHES; do
  echo "[sodium-wasm] applying $(basename "$p")"
  patch -p1 --quiet < "$p"
done
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
echo "[sodium-wasm] configuring (about 1-2 minutes): CFLAGS=$CFLAGS_OPT $CONFIGURE_EXTRA"
rm -rf "$PREFIX"
# --host makes configure cross-compile: it must not run emcc output under Node 20.
# shellcheck disable=SC2086
emconfigure ./configure --host=wasm32-unknown-emscripten --prefix="$PREFIX" \
  --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm --disable-pie \
  $CONFIGURE_EXTRA CFLAGS="$CFLAGS_OPT" >/dev/null
emmake make -j"$(nproc)" >/dev/null
if [ -n "$SPEED_CFLAGS" ]; then
  for o in $SPEED_OBJECTS; do
    # lib*_la: objects of libsodium's per-instruction-set convenience libraries (libssse3_la-…) too.
    find src/libsodium -name "lib*_la-$o.*o" -delete
  done
  rm -f src/libsodium/libsodium.la
  # configure's own additions to CFLAGS (-fvisibility=hidden, -fwrapv, …) stay; only ours change.
  cflags=$(sed -n 's/^CFLAGS = //p' src/libsodium/Makefile)
  speed_cflags=${cflags//"$CFLAGS_OPT"/"$SPEED_CFLAGS"}
  echo "[sodium-wasm] rebuilding $SPEED_OBJECTS with CFLAGS=$speed_cflags"
  emmake make -j"$(nproc)" CFLAGS="$speed_cflags" >/dev/null
fi
emmake make install >/dev/null
printf '%s' "$want" > "$STAMP"
echo "[sodium-wasm] built $PREFIX/lib/libsodium.a ($want)"
