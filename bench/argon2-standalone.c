// Argon2id speed of a libsodium wasm build, without the session core: how compile and link
// optimisation levels change a PIN derivation (README "Size: what was tried"). Not run by
// `npm run bench`; build and run by hand, e.g. against the cached library:
//   P=build/deps/sodium-wasm; NODE_PATH=/usr/share/nodejs emcc -Os -flto bench/argon2-standalone.c \
//     -I$P/include $P/lib/libsodium.a -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node -o /tmp/a2.js
//   node --no-experimental-fetch /tmp/a2.js       # 8 derivations, m=64 MiB t=2 p=1, ms each
// Each line is the process's CPU time (user + system) for one derivation, not wall time: on the
// shared machine a run waits for a core for as long as it computes, and CPU time does not count
// the waiting. The last line is the derived key, the same for every correct build.
// bench/argon2-ab.mjs runs several builds and libsodium-wrappers-sumo interleaved.
#include <emscripten.h>
#include <sodium.h>
#include <stdio.h>

EM_JS(double, cpu_ms, (void), { const u = process.cpuUsage(); return (u.user + u.system) / 1000; });

int main(void) {
  if (sodium_init() < 0) return 1;
  unsigned char out[32], salt[crypto_pwhash_SALTBYTES] = {0};
  char hex[65];
  for (int i = 0; i < 8; i++) {
    double t0 = cpu_ms();
    if (crypto_pwhash(out, 32, "2580", 4, salt, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13)) return 2;
    printf("%.1f ms\n", cpu_ms() - t0);
  }
  printf("key %s\n", sodium_bin2hex(hex, sizeof hex, out, sizeof out));
  return 0;
}
