#!/usr/bin/env bash
# `npm test`: native GoogleTest (ctest), the same suite under ASan + UBSan, a libFuzzer smoke run of
# every parser, then the WASM build and the TypeScript packages, then Jest (the JS API against real
# server processes — including the tamper, fault, crash and bad-input suites — and the demo in
# headless Chromium), then the server suites once more against PostgreSQL (a throwaway cluster from
# Debian's package, stopped at the end even on failure) with the two-instance scale-out suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
step() { printf '\n\033[1m[test] %s\033[0m\n' "$*"; }

step "native build and GoogleTest"
[ -f build/native/build.ninja ] || cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native
ctest --test-dir build/native --output-on-failure -j2 | tail -n 4

step "native GoogleTest under AddressSanitizer + UndefinedBehaviorSanitizer (clang, build/asan)"
[ -f build/asan/build.ninja ] || CC=clang-14 CXX=clang++-14 \
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAPGATE_SANITIZE=ON >/dev/null
cmake --build build/asan
ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build/asan --output-on-failure -j2 | tail -n 4

step "libFuzzer smoke run: each parser target for ${FUZZ_SMOKE_SECONDS:-5} s (npm run fuzz runs them longer)"
FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-5} bash scripts/fuzz.sh

step "WebAssembly and TypeScript build"
node scripts/build.mjs

step "Jest: JS API end to end, server API, browser"
npx jest --ci

# The suites that exercise the server's storage, run again with every server on a fresh PostgreSQL
# database (tests/js/helpers/server-process.js), and scale-out.test.js with two instances on one.
PG_SUITES=(sql-drivers server-api rp-api-v22 account-roles server-bad-input openapi status-channel enrol-login push factors transactions app-transaction continuous scale-out login-binding replay retention key-rotation cluster statements-per-login durability-cache oidc-code-flow oidc-ciba-logout oidc-scale-out rate-limit rate-limit-shared metrics audit-log)
step "PostgreSQL: ${PG_SUITES[*]} against a throwaway cluster"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  PG_DIR=build/pg-test
  trap 'bash scripts/pg-cluster.sh stop "$PG_DIR"' EXIT
  started=$SECONDS
  TAPGATE_TEST_DATABASE_URL=$(bash scripts/pg-cluster.sh start "$PG_DIR")
  echo "cluster up in $((SECONDS - started)) s"
  suites=(); for s in "${PG_SUITES[@]}"; do suites+=("tests/js/$s.test.js"); done
  TAPGATE_TEST_DATABASE_URL=$TAPGATE_TEST_DATABASE_URL npx jest --ci "${suites[@]}"
elif command -v apt-get >/dev/null; then
  echo "PostgreSQL is not installed: run bash scripts/setup.sh (it installs Debian's postgresql package)" >&2
  exit 1
else
  echo "SKIPPED: PostgreSQL runs need Debian's postgresql package (server binaries in /usr/lib/postgresql/*/bin);"
  echo "         on this system the server suites and the scale-out suite ran on SQLite only."
fi
