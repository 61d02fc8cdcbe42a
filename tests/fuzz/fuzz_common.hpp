// Shared by the libFuzzer targets of tests/fuzz: a check that aborts (libFuzzer then saves the
// input as a crash), and the fixed server key and transcript the response targets verify against.
#pragma once
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bytes.hpp"
#include "crypto.hpp"
#include "wire.hpp"

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

namespace tapgate::fuzz {

// Deterministic, so the seeds in tests/fuzz/corpus/ (made by tests/fuzz/make-seeds.mjs with the
// same numbers) carry valid signatures: server key from the seed 00 01 … 1f, QR payload = 34 bytes
// 01 01 00 00 …, start request with a zero device nonce.
struct Fixture {
  crypto::SignKeyPair server;
  Bytes qr;
  wire::Transcript t;
  std::string request;

  Fixture() {
    if (!crypto::init()) std::abort();
    SecretBytes seed(32);
    for (int i = 0; i < 32; ++i) seed.data()[i] = static_cast<std::uint8_t>(i);
    server = crypto::signKeyPairFromSeed(seed);
    qr = Bytes(34, 0);
    qr[0] = 1;
    qr[1] = 1;
    t = wire::Transcript::begin(qr);
    request = wire::startRequest(qr, Bytes(32, 0)).body;
  }
};

inline const Fixture& fixture() {
  static const Fixture f;
  return f;
}

inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace tapgate::fuzz
