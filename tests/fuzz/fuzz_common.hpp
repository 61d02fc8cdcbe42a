// Shared by the libFuzzer targets of tests/fuzz: a check that aborts (libFuzzer then saves the
// input as a crash), and the fixed server key and transcript the response targets verify against.
#pragma once
#include <sodium.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bytes.hpp"
#include "crypto.hpp"
#include "model.hpp"
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

// The push targets' app: the fixture's server (id 10 11 … 1f) with two accounts, 7 and 8, whose
// box keys come from the seeds 60 61 … and 61 62 …, so seeds can be sealed to them. The device
// clock is kPushNow and the server's offset 0 unless a target picks others.
constexpr std::int64_t kPushNow = 1764240000000;
constexpr std::int64_t kPushAccounts[2] = {7, 8};

struct PushFixture {
  Bytes serverId;
  crypto::BoxKeyPair box[2];
  std::string state;  // serializeState of the app, for Engine::create

  explicit PushFixture(std::int64_t clockOffset = 0);
};

inline Bytes seeded(std::size_t n, std::uint8_t start) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}

// A server message body for `account`, signed by the fixture's server key and sealed to the
// account's box key: what a push payload is.
inline Bytes sealMessage(const PushFixture& p, int account, const std::string& body) {
  return crypto::boxSeal(toBytes(wire::signServerMessage(fixture().server.secretKey, body)), p.box[account].publicKey);
}

inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

inline PushFixture::PushFixture(std::int64_t clockOffset) {
  const Fixture& f = fixture();
  serverId = seeded(16, 0x10);
  AppState st;
  st.pinSet = true;
  st.servers.push_back({serverId, f.server.publicKey, "http://localhost:8080/device", {"Example Bank", 0, 0, 3}, clockOffset});
  for (int i = 0; i < 2; ++i) {
    Bytes seed = seeded(crypto_box_SEEDBYTES, static_cast<std::uint8_t>(0x60 + i));
    box[i].publicKey = Bytes(crypto_box_PUBLICKEYBYTES);
    box[i].secretKey = SecretBytes(crypto_box_SECRETKEYBYTES);
    crypto_box_seed_keypair(box[i].publicKey.data(), box[i].secretKey.data(), seed.data());
    crypto::SignKeyPair sign = crypto::signKeyPairFromSeed(SecretBytes(seeded(32, static_cast<std::uint8_t>(0x50 + i))));
    Account a;
    a.serverId = serverId;
    a.accountId = kPushAccounts[i];
    a.name = i ? "bob@example" : "alice@example";
    a.userId = i ? "bob" : "alice";
    a.signSecretKey = std::move(sign.secretKey);
    a.signPublicKey = sign.publicKey;
    a.boxSecretKey = box[i].secretKey;
    a.boxPublicKey = box[i].publicKey;
    a.pinSalt = seeded(16, static_cast<std::uint8_t>(0x70 + i));
    a.bioSalt = a.pinSalt;
    a.created = kPushNow - 1000;
    st.accounts.push_back(std::move(a));
  }
  state = serializeState(st);
}

}  // namespace tapgate::fuzz
