#!/usr/bin/env bash
# Idempotent set-up: installs what `npm start` and `npm test` need, skipping what is already there.
#   Debian/Ubuntu as root (or with sudo): installs the Debian packages, builds libsodium to wasm
#     (build/deps, once) and runs `npm ci` when the lock file changed.
#   TAPGATE_SKIP_SETUP=1, on any system: installs nothing (no apt-get, no sodium build, no npm ci);
#     checks that what the build and the tests need is present, lists what is missing with how to
#     install it, and exits non-zero only if something is missing.
#   Any other system: says what to install, and how to check it, and exits non-zero (no apt).
# Argument: what the checks are for: start (the wasm build and the demo), test, fuzz, or all
# (default). `npm start` passes start, so it does not ask for Chromium or clang; on Debian the
# argument changes nothing (everything is installed).
# For tests/js/setup-script.test.js: TAPGATE_OS_RELEASE (default /etc/os-release) and
# TAPGATE_APT_DIR (default /etc/apt, where the deb-src entry is looked for and written).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export NODE_PATH=/usr/share/nodejs
FOR=${1:-all}
case "$FOR" in start|test|fuzz|all) ;; *) echo "usage: scripts/setup.sh [start|test|fuzz|all]" >&2; exit 2 ;; esac
OS_RELEASE=${TAPGATE_OS_RELEASE:-/etc/os-release}
APT_DIR=${TAPGATE_APT_DIR:-/etc/apt}

APT_PACKAGES=(build-essential cmake ninja-build pkg-config git
  libsodium-dev nlohmann-json3-dev libgtest-dev googletest
  emscripten binaryen autoconf automake libtool dpkg-dev chromium qrencode
  openssl                                # the OIDC tests' https client endpoints (a certificate per run)
  clang-14 libclang-rt-14-dev llvm-14    # libFuzzer, ASan/UBSan runtimes, llvm-symbolizer
  postgresql)   # the test script's throwaway cluster (initdb, pg_ctl); its own cluster need not run

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- TAPGATE_SKIP_SETUP=1: check only --------------------------------------
# Each check prints "ok" or "MISSING" with how to install it; the Debian package is named in
# brackets for the reader who has one. `for_` gates a check on the argument.
skip_setup() {
  case "${TAPGATE_SKIP_SETUP:-}" in ''|0|false|no) return 1 ;; *) return 0 ;; esac
}

check_only() {
  local -a missing=() notes=()
  for_() { [ "$FOR" = all ] || [[ " $* " == *" $FOR "* ]]; }
  ok() { printf '  ok       %-34s %s\n' "$1" "${2-}"; }
  miss() { printf '  MISSING  %-34s %s\n' "$1" "$2"; missing+=("$1: $2"); }
  note() { printf '  note     %-34s %s\n' "$1" "$2"; notes+=("$1"); }
  has() { command -v "$1" >/dev/null 2>&1; }
  # version_ge A B: A >= B (dotted versions)
  version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

  log "TAPGATE_SKIP_SETUP=$TAPGATE_SKIP_SETUP: installing nothing, checking what '$FOR' needs"

  if has node; then
    local v; v=$(node -p process.versions.node 2>/dev/null || echo 0)
    if version_ge "$v" 20; then ok "Node.js >= 20" "$v"; else miss "Node.js >= 20" "found $v; install Node.js 20 or later [nodejs]"; fi
  else miss "Node.js >= 20" "install Node.js 20 or later with npm [nodejs npm]"; fi
  if has npm; then ok npm "$(npm -v 2>/dev/null)"; else miss npm "install npm (it comes with Node.js) [npm]"; fi
  if has cmake; then
    local v; v=$(cmake --version 2>/dev/null | sed -n '1s/[^0-9]*\([0-9][0-9.]*\).*/\1/p' || true)
    if version_ge "${v:-0}" 3.20; then ok "CMake >= 3.20" "$v"; else miss "CMake >= 3.20" "found ${v:-?}; install CMake 3.20 or later [cmake]"; fi
  else miss "CMake >= 3.20" "install CMake 3.20 or later [cmake]"; fi
  if has ninja; then ok Ninja "$(command -v ninja)"; else miss Ninja "install Ninja [ninja-build]"; fi

  if for_ start test; then
    if has emcc; then
      local v; v=$(emcc -dumpversion 2>/dev/null || echo '?')
      case "$v" in 3.1.*) ok "Emscripten 3.1.x (emcc)" "$v" ;;
        *) miss "Emscripten 3.1.x (emcc)" "found $v; install Emscripten 3.1.x (emsdk install 3.1.6) [emscripten]" ;; esac
    else miss "Emscripten 3.1.x (emcc)" "install Emscripten 3.1.x and put emcc on PATH (emsdk install 3.1.6) [emscripten]"; fi
    if has wasm-opt; then ok "binaryen (wasm-opt)" "$(command -v wasm-opt)"; else miss "binaryen (wasm-opt)" "install binaryen (emsdk brings its own) [binaryen]"; fi
    local sodium=build/deps/sodium-wasm
    if [ -f "$sodium/lib/libsodium.a" ]; then
      if bash scripts/build-sodium-wasm.sh --check 2>/dev/null; then ok "libsodium for wasm" "$sodium"
      else note "libsodium for wasm" "$sodium was built with other flags than scripts/build-sodium-wasm.sh sets; it is used as it is"; fi
    else
      miss "libsodium for wasm" "build libsodium >= 1.0.18 with emconfigure/emmake into $sodium (./configure --prefix=\$PWD/$sodium --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm --enable-minimal; see scripts/build-sodium-wasm.sh, which does it on Debian with autoconf, automake, libtool and dpkg-dev)"
    fi
  fi

  if for_ test fuzz; then
    local cxx=${CXX:-c++}
    if ! has "$cxx"; then cxx=g++; has g++ || cxx=clang++; fi
    if has "$cxx" && printf 'int main() { return __cplusplus >= 202002L ? 0 : 1; }\n' | "$cxx" -std=c++20 -x c++ - -o /dev/null 2>/dev/null; then
      ok "C++20 compiler" "$cxx"
    else miss "C++20 compiler" "install GCC >= 10 or Clang >= 12 (or set CXX) [build-essential]"; fi
    if has pkg-config; then
      ok pkg-config "$(command -v pkg-config)"
      if pkg-config --exists 'libsodium >= 1.0.18'; then ok "libsodium >= 1.0.18 (headers)" "$(pkg-config --modversion libsodium)"
      else miss "libsodium >= 1.0.18 (headers)" "install libsodium with its headers and libsodium.pc [libsodium-dev]"; fi
      if pkg-config --exists 'nlohmann_json >= 3.11'; then ok "nlohmann_json >= 3.11" "$(pkg-config --modversion nlohmann_json)"
      else miss "nlohmann_json >= 3.11" "install nlohmann_json 3.11 or later with its CMake/pkg-config files [nlohmann-json3-dev]"; fi
    else
      miss pkg-config "install pkg-config (pkgconf) [pkg-config]"
      miss "libsodium >= 1.0.18 (headers)" "found through pkg-config: install pkg-config and libsodium [libsodium-dev]"
      miss "nlohmann_json >= 3.11" "found through pkg-config: install pkg-config and nlohmann_json [nlohmann-json3-dev]"
    fi
    local cc14=${TAPGATE_FUZZ_CC:-clang-14} cxx14=${TAPGATE_FUZZ_CXX:-clang++-14}
    if has "$cc14" && has "$cxx14"; then
      ok "clang 14 ($cc14, $cxx14)"
      local rt; rt=$("$cc14" -print-resource-dir 2>/dev/null || true)
      if ls "$rt"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1 && ls "$rt"/lib/*/libclang_rt.asan*.a >/dev/null 2>&1; then ok "compiler-rt (libFuzzer, ASan)"
      else miss "compiler-rt (libFuzzer, ASan)" "install clang 14's compiler-rt: libclang_rt.fuzzer and .asan under $cc14 -print-resource-dir [libclang-rt-14-dev]"; fi
    else
      miss "clang 14 ($cc14, $cxx14)" "install clang 14 with compiler-rt (or set TAPGATE_FUZZ_CC/TAPGATE_FUZZ_CXX for the fuzzers) [clang-14 libclang-rt-14-dev]"
    fi
    if has llvm-symbolizer || has llvm-symbolizer-14; then ok llvm-symbolizer; else miss llvm-symbolizer "install LLVM's llvm-symbolizer (sanitizer stack traces) [llvm-14]"; fi
  fi

  if for_ test; then
    if pkg-config --exists gtest_main 2>/dev/null; then ok GoogleTest "$(pkg-config --modversion gtest_main)"
    else miss GoogleTest "install GoogleTest with its CMake files [libgtest-dev googletest]"; fi
    local chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
    if [ -x "$chromium" ]; then ok Chromium "$chromium"
    else miss Chromium "install Chromium at /usr/bin/chromium, or set CHROMIUM_PATH to a Chromium or Chrome binary [chromium]"; fi
    if has qrencode; then ok qrencode "$(command -v qrencode)"; else miss qrencode "install qrencode (the QR robustness test's codes) [qrencode]"; fi
    if has openssl; then ok openssl "$(command -v openssl)"; else miss openssl "install the openssl command (the OIDC tests' certificates) [openssl]"; fi
    if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then ok "PostgreSQL (optional)"
    else note "PostgreSQL (optional)" "no /usr/lib/postgresql/*/bin/initdb: scripts/test.sh runs the server suites on SQLite only"; fi
  fi

  if [ -f node_modules/.tapgate-lock-stamp ] && cmp -s package-lock.json node_modules/.tapgate-lock-stamp; then
    ok "npm dependencies" "node_modules matches package-lock.json"
  elif [ -d node_modules ] && [ ! -f node_modules/.tapgate-lock-stamp ] && [ -f node_modules/.package-lock.json ]; then
    note "npm dependencies" "node_modules was not installed by this script; if a build fails, run: npm ci && cp package-lock.json node_modules/.tapgate-lock-stamp"
  else
    miss "npm dependencies" "run: npm ci && cp package-lock.json node_modules/.tapgate-lock-stamp"
  fi

  if [ ${#missing[@]} -gt 0 ]; then
    {
      echo
      echo "Missing for '$FOR' (${#missing[@]}), nothing was installed:"
      for m in "${missing[@]}"; do echo "  - $m"; done
      echo "[names in brackets are the Debian/Ubuntu packages]"
    } >&2
    return 1
  fi
  log "ready (TAPGATE_SKIP_SETUP: nothing installed)"
}

if skip_setup; then
  check_only
  exit $?
fi

# --- not Debian: instructions, no apt ---------------------------------------
debian=0
if [ -r "$OS_RELEASE" ]; then
  os_ids=" $(sed -n 's/^\(ID\|ID_LIKE\)=//p' "$OS_RELEASE" | tr -d "\"'" | tr '\n' ' ') "
  case "$os_ids" in *" debian "*|*" ubuntu "*) debian=1 ;; esac
fi
if [ $debian = 0 ] || ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  cat >&2 <<MSG
Tapgate's set-up script installs its dependencies only on Debian/Ubuntu (with apt-get and dpkg).
On this system, install these yourself:
  - Node.js 20 and npm, a C++20 compiler, CMake >= 3.20, Ninja, pkg-config
  - libsodium (headers, >= 1.0.18), nlohmann_json 3.11, GoogleTest
  - Emscripten 3.1.x with binaryen
  - libsodium built with emcc into build/deps/sodium-wasm (scripts/build-sodium-wasm.sh shows how;
    it does it by itself only on Debian, from Debian's source package)
  - Chromium (for the browser tests), at /usr/bin/chromium or set CHROMIUM_PATH
  - clang 14 with its compiler-rt (libFuzzer, AddressSanitizer, UBSan) and llvm-symbolizer
  - qrencode and openssl (used by tests)
  - the npm dependencies: npm ci && cp package-lock.json node_modules/.tapgate-lock-stamp
  - optional: PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin
    for the PostgreSQL test runs; without them scripts/test.sh runs the server suites on SQLite only
Then run the command again with TAPGATE_SKIP_SETUP=1, for example
  TAPGATE_SKIP_SETUP=1 npm test
which installs nothing: it checks these and lists whatever is still missing.
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
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' "$APT_DIR/sources.list" "$APT_DIR/sources.list.d/"; then
  need_src_entry=1
fi
if ! ls build/deps/src/libsodium_*.dsc >/dev/null 2>&1 && ! bash scripts/build-sodium-wasm.sh --check 2>/dev/null \
    && [ $need_src_entry = 1 ]; then
  log "adding a deb-src entry for the configured Debian sources"
  if [ -f "$APT_DIR/sources.list.d/debian.sources" ]; then
    sed 's/^Types: deb$/Types: deb-src/' "$APT_DIR/sources.list.d/debian.sources" \
      | $SUDO tee "$APT_DIR/sources.list.d/tapgate-deb-src.sources" >/dev/null
  elif [ -f "$APT_DIR/sources.list" ]; then
    grep '^deb ' "$APT_DIR/sources.list" | sed 's/^deb /deb-src /' \
      | $SUDO tee "$APT_DIR/sources.list.d/tapgate-deb-src.list" >/dev/null
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
