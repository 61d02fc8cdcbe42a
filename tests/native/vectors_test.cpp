// The test vectors of docs/protocol.md §4.1 against the core (src/wire.*): the same keys,
// transcript hashes, sealed answer and login proof, byte for byte. tests/js/protocol-vectors.test.js
// checks the reference server against the same block, so neither can drift alone.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "crypto.hpp"
#include "wire.hpp"

using namespace tapgate;

namespace {

std::map<std::string, std::string> vectors() {
  std::ifstream file(TAPGATE_SOURCE_DIR "/docs/protocol.md");
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const std::string open = "```text tapgate-test-vectors\n";
  const auto start = doc.find(open);
  const auto end = doc.find("```", start + open.size());
  std::map<std::string, std::string> out;
  if (start == std::string::npos || end == std::string::npos) return out;
  std::istringstream lines(doc.substr(start + open.size(), end - start - open.size()));
  const std::regex line(R"(^(\S+)\s+(.*)$)");
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) out[m[1]] = m[2];
  }
  return out;
}

Bytes fromHex(const std::string& h) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string hexOf(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

TEST(ProtocolVectors, TheCoreComputesTheDocumentedValues) {
  auto v = vectors();
  ASSERT_GE(v.size(), 13u) << "the vectors block of docs/protocol.md was not found";
  ASSERT_TRUE(crypto::init());
  auto server = crypto::signKeyPairFromSeed(SecretBytes(fromHex(v["server_seed"])));
  auto account = crypto::signKeyPairFromSeed(SecretBytes(fromHex(v["account_seed"])));
  EXPECT_EQ(hexOf(server.publicKey), v["server_pk"]);
  EXPECT_EQ(hexOf(account.publicKey), v["account_pk"]);

  auto t = wire::Transcript::begin(fromHex(v["qr_payload"]));
  EXPECT_EQ(hexOf(t.hash()), v["t0"]);
  // The documented answer opens with the server key for this transcript and request, and the core
  // seals the same body to the same bytes.
  auto opened = wire::openResponse(fromHex(v["server_pk"]), t, v["request"], 200, v["envelope"]);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(wire::sealResponse(server.secretKey, t, v["request"], opened.value()), v["envelope"]);
  t.advance(v["request"], opened.value());
  EXPECT_EQ(hexOf(t.hash()), v["t1"]);
  auto proof = wire::loginProofMessage(t, wire::LoginFactor::Pin, v["login_user_input"], v["login_code"]);
  EXPECT_EQ(hexOf(proof), v["login_proof"]);
  EXPECT_EQ(hexOf(crypto::sign(account.secretKey, proof)), v["login_sig"]);
}
