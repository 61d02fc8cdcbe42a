#include "wire.hpp"

#include <gtest/gtest.h>

#include "crypto.hpp"

using namespace tapgate;

namespace {

struct Fixture {
  crypto::SignKeyPair server = crypto::signKeyPair();
  Bytes qr = crypto::randomBytes(34);
  wire::Transcript t = wire::Transcript::begin(qr);
  std::string request = wire::startRequest(qr, crypto::randomBytes(32)).body;
  std::string body = R"({"kind":"login"})";
};

}  // namespace

TEST(Wire, SignedResponseOpens) {
  Fixture f;
  auto sealed = wire::sealResponse(f.server.secretKey, f.t, f.request, f.body);
  auto r = wire::openResponse(f.server.publicKey, f.t, f.request, 200, sealed);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(), f.body);
}

TEST(Wire, EveryFlippedByteIsRejected) {
  Fixture f;
  const std::string sealed = wire::sealResponse(f.server.secretKey, f.t, f.request, f.body);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] ^= 0x01;
    auto r = wire::openResponse(f.server.publicKey, f.t, f.request, 200, tampered);
    EXPECT_FALSE(r.ok()) << "flip at " << i;
  }
}

TEST(Wire, ResponseSignedForAnotherSessionIsRejected) {
  Fixture f, other;
  auto sealed = wire::sealResponse(f.server.secretKey, other.t, f.request, f.body);
  auto r = wire::openResponse(f.server.publicKey, f.t, f.request, 200, sealed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
  EXPECT_EQ(errorKind(r.error().code), ErrorKind::Security);
}

TEST(Wire, ResponseToAnotherRequestIsRejected) {
  Fixture f;
  auto replay = wire::sealResponse(f.server.secretKey, f.t, wire::startRequest(f.qr, crypto::randomBytes(32)).body, f.body);
  EXPECT_EQ(wire::openResponse(f.server.publicKey, f.t, f.request, 200, replay).error().code,
            ErrorCode::SERVER_AUTHENTICATION_ERROR);
}

TEST(Wire, ResponseSignedByAnotherKeyIsRejected) {
  Fixture f;
  auto mallory = crypto::signKeyPair();
  auto sealed = wire::sealResponse(mallory.secretKey, f.t, f.request, f.body);
  EXPECT_EQ(wire::openResponse(f.server.publicKey, f.t, f.request, 200, sealed).error().code,
            ErrorCode::SERVER_AUTHENTICATION_ERROR);
}

TEST(Wire, TruncatedAndGarbageResponses) {
  Fixture f;
  const std::string sealed = wire::sealResponse(f.server.secretKey, f.t, f.request, f.body);
  for (std::size_t n = 0; n < sealed.size(); n += 7) {
    EXPECT_FALSE(wire::openResponse(f.server.publicKey, f.t, f.request, 200, sealed.substr(0, n)).ok());
  }
  EXPECT_EQ(wire::openResponse(f.server.publicKey, f.t, f.request, 200, "<html>").error().code, ErrorCode::BAD_RESPONSE);
  EXPECT_EQ(wire::openResponse(f.server.publicKey, f.t, f.request, 502, "Bad gateway").error().code,
            ErrorCode::SERVER_UNKNOWN_ERROR);
}

TEST(Wire, SignedServerErrorsAreTyped) {
  Fixture f;
  auto sealed = wire::sealResponse(f.server.secretKey, f.t, f.request, R"({"error":{"code":41,"message":"used"}})");
  auto r = wire::openResponse(f.server.publicKey, f.t, f.request, 410, sealed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::ENROL_QR_EXPIRED);
  // Every numbered error the reference server signs reads back as its own code
  // (tests/js/error-codes.test.js checks the server's table against this one).
  for (auto [num, code] : {std::pair{48, ErrorCode::SERVER_AUTHENTICATION_FAILED}, std::pair{53, ErrorCode::SESSION_NOT_FOUND},
                           std::pair{54, ErrorCode::CODE_MISMATCH}, std::pair{55, ErrorCode::ACCOUNT_NOT_ALLOWED}}) {
    auto e = wire::sealResponse(f.server.secretKey, f.t, f.request, R"({"error":{"code":)" + std::to_string(num) + "}}");
    EXPECT_EQ(wire::openResponse(f.server.publicKey, f.t, f.request, 403, e).error().code, code) << num;
  }
}

TEST(Wire, TranscriptAdvancesDeterministically) {
  Fixture f;
  wire::Transcript a = f.t, b = f.t;
  a.advance("req", "resp");
  b.advance("req", "resp");
  EXPECT_EQ(a.hash(), b.hash());
  b.advance("req", "resp");
  EXPECT_NE(a.hash(), b.hash());
}

TEST(Wire, StartResponseValidation) {
  EXPECT_FALSE(wire::parseStartResponse(R"({"kind":"login"})").ok());
  EXPECT_FALSE(wire::parseStartResponse(R"({"kind":"x","server":{}})").ok());
  auto ok = wire::parseStartResponse(
      R"({"kind":"login","time":5,"server":{"name":"A","pingTime":0,"pinTimeout":0,"pinAttemptLimit":3}})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->server.name, "A");
  EXPECT_FALSE(wire::parseStartResponse(
                   R"({"kind":"login","time":5,"server":{"name":"A","pingTime":-1,"pinTimeout":0,"pinAttemptLimit":3}})")
                   .ok());
  EXPECT_EQ(ok->server.logo, "");  // none given
}

TEST(Wire, TheServerLogoIsAnOptionalBoundedString) {
  const auto withLogo = [](const std::string& logo) {
    return wire::parseStartResponse(R"({"kind":"login","time":5,"server":{"name":"A","pingTime":0,"pinTimeout":0,"pinAttemptLimit":3,"logo":)" +
                                    logo + "}}");
  };
  auto https = withLogo(R"("https://rp.example/logo.png")");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->server.logo, "https://rp.example/logo.png");
  EXPECT_EQ(withLogo("null")->server.logo, "");
  EXPECT_FALSE(withLogo("42").ok());
  const std::string prefix = "data:image/png;base64,";
  EXPECT_FALSE(withLogo('"' + prefix + std::string(48 * 1024 + 1 - prefix.size(), 'a') + '"').ok());
  EXPECT_TRUE(withLogo('"' + prefix + std::string(48 * 1024 - prefix.size(), 'a') + '"').ok());
}
