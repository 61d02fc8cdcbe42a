#!/usr/bin/env bash
# Idempotent set-up: installs what `npm start` and `npm test` need, skipping what is already there.
# Debian/Ubuntu as root (or with sudo): installs everything. Elsewhere: lists what is missing and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export NODE_PATH=/usr/share/nodejs

APT_PACKAGES=(build-essential cmake ninja-build pkg-config git
  libsodium-dev nlohmann-json3-dev libgtest-dev googletest
  emscripten binaryen autoconf automake libtool dpkg-dev chromium qrencode
  openssl                                # the OIDC tests' https client endpoints (a certificate per run)
  clang-14 libclang-rt-14-dev llvm-14    # libFuzzer, ASan/UBSan runtimes, llvm-symbolizer
  postgresql)   # the test script's throwaway cluster (initdb, pg_ctl); its own cluster need not run

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  cat >&2 <<MSG
Tapgate's set-up script installs its dependencies only on Debian/Ubuntu.
On this system, install these yourself, then run the command again with TAPGATE_SKIP_SETUP=1:
  - Node.js 20 and npm, a C++20 compiler, CMake >= 3.20, Ninja, pkg-config
  - libsodium (headers, >= 1.0.18), nlohmann_json 3.11, GoogleTest
  - Emscripten 3.1.x with binaryen, autoconf, automake, libtool
  - libsodium 1.0.18 built with emcc into build/deps/sodium-wasm (see scripts/build-sodium-wasm.sh)
  - Chromium (for the browser tests), at /usr/bin/chromium or set CHROMIUM_PATH
  - clang 14 with its compiler-rt (libFuzzer, AddressSanitizer, UBSan) and llvm-symbolizer
  - optional: PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin
    for the PostgreSQL test runs; without them scripts/test.sh runs the server suites on SQLite only
MSG
  exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "Run this script as root (or install sudo): it installs Debian packages." >&2; exit 1; fi
fi

# --- Debian packages -------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# libsodium's source package needs a deb-src entry; derive it from the configured binary sources.
need_src_entry=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  need_src_entry=1
fi
if ! ls build/deps/src/libsodium_*.dsc >/dev/null 2>&1 && ! bash scripts/build-sodium-wasm.sh --check 2>/dev/null \
    && [ $need_src_entry = 1 ]; then
  log "adding a deb-src entry for the configured Debian sources"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      | $SUDO tee /etc/apt/sources.list.d/tapgate-deb-src.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
      | $SUDO tee /etc/apt/sources.list.d/tapgate-deb-src.list >/dev/null
  fi
  APT_UPDATED=0
else
  APT_UPDATED=1
fi

if [ ${#missing[@]} -gt 0 ] || [ "$APT_UPDATED" = 0 ]; then
  log "apt-get update"
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- libsodium compiled to WebAssembly (cached in build/deps) --------------
# Rebuilt when its flags changed (build/deps/sodium-wasm/build-flags.stamp); else a no-op.
bash scripts/build-sodium-wasm.sh

# --- npm dependencies from the lock file -----------------------------------
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi   # native addons build offline
stamp=node_modules/.tapgate-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
log "ready"
