#include "qr_payload.hpp"

#include <gtest/gtest.h>

#include "crypto.hpp"

using namespace tapgate;

namespace {

QrPayload sampleEnrol() {
  return {QrType::Enrol, crypto::randomBytes(16), crypto::randomBytes(16), crypto::randomBytes(32),
          "http://localhost:8080/device"};
}

}  // namespace

TEST(QrPayload, LoginRoundTripIs34Bytes) {
  QrPayload p{QrType::Login, crypto::randomBytes(16), crypto::randomBytes(16), {}, {}};
  Bytes raw = buildQrPayload(p);
  EXPECT_EQ(raw.size(), 34u);
  auto back = parseQrPayload(raw);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, QrType::Login);
  EXPECT_EQ(back->serverId, p.serverId);
  EXPECT_EQ(back->sessionId, p.sessionId);
}

TEST(QrPayload, EnrolRoundTrip) {
  QrPayload p = sampleEnrol();
  auto back = parseQrPayload(buildQrPayload(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, QrType::Enrol);
  EXPECT_EQ(back->serverPublicKey, p.serverPublicKey);
  EXPECT_EQ(back->url, p.url);
}

TEST(QrPayload, EmptyIsParseError) {
  auto r = parseQrPayload({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::QR_PARSE_ERROR);
  EXPECT_EQ(errorNumericCode(r.error().code), 32);
}

TEST(QrPayload, EveryTruncationIsParseError) {
  Bytes raw = buildQrPayload(sampleEnrol());
  for (std::size_t n = 0; n < raw.size(); ++n) {
    auto r = parseQrPayload(Bytes(raw.begin(), raw.begin() + n));
    ASSERT_FALSE(r.ok()) << "length " << n;
    EXPECT_EQ(r.error().code, ErrorCode::QR_PARSE_ERROR) << "length " << n;
  }
}

TEST(QrPayload, TrailingBytesAreRejected) {
  Bytes raw = buildQrPayload({QrType::Login, crypto::randomBytes(16), crypto::randomBytes(16), {}, {}});
  raw.push_back(0);
  EXPECT_EQ(parseQrPayload(raw).error().code, ErrorCode::QR_PARSE_ERROR);
}

TEST(QrPayload, WrongVersionIsParseError) {
  Bytes raw = buildQrPayload(sampleEnrol());
  raw[0] = 2;
  EXPECT_EQ(parseQrPayload(raw).error().code, ErrorCode::QR_PARSE_ERROR);
}

TEST(QrPayload, UnknownTypeIs33) {
  Bytes raw = buildQrPayload(sampleEnrol());
  raw[1] = 9;
  auto r = parseQrPayload(raw);
  EXPECT_EQ(r.error().code, ErrorCode::QR_UNKNOWN_TYPE);
  EXPECT_EQ(errorNumericCode(r.error().code), 33);
}

TEST(QrPayload, BadUrlIsRejected) {
  QrPayload p = sampleEnrol();
  p.url = "javascript:alert(1)";
  EXPECT_EQ(parseQrPayload(buildQrPayload(p)).error().code, ErrorCode::QR_PARSE_ERROR);
  p.url = "https://exa mple.com";
  EXPECT_EQ(parseQrPayload(buildQrPayload(p)).error().code, ErrorCode::QR_PARSE_ERROR);
}

TEST(QrPayload, RandomBytesNeverCrashAndGiveTypedErrors) {
  for (int i = 0; i < 20000; ++i) {
    Bytes raw = crypto::randomBytes(1 + i % 120);
    if (i % 3 == 0) raw[0] = kQrVersion;  // get past the version check often
    auto r = parseQrPayload(raw);
    if (!r.ok()) {
      EXPECT_TRUE(r.error().code == ErrorCode::QR_PARSE_ERROR || r.error().code == ErrorCode::QR_UNKNOWN_TYPE);
    }
  }
}

TEST(QrPayload, LinksCarryThePayload) {
  Bytes raw = buildQrPayload(sampleEnrol());
  const std::string b64 = base64url(raw);
  EXPECT_EQ(payloadFromLink("tapgate:" + b64).value(), raw);
  EXPECT_EQ(payloadFromLink("https://rp.example/tapgate#" + b64).value(), raw);
  EXPECT_EQ(payloadFromLink(b64).value(), raw);
  EXPECT_EQ(payloadFromLink("tapgate:***").error().code, ErrorCode::QR_PARSE_ERROR);
  EXPECT_EQ(payloadFromLink("https://rp.example/no-fragment").error().code, ErrorCode::QR_PARSE_ERROR);
}
