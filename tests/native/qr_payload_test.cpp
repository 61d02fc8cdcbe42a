#include "limits.hpp"
#include "qr_payload.hpp"
#include "url.hpp"

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
  EXPECT_EQ(parseLink("tapgate:" + b64).value().payload, raw);
  EXPECT_EQ(parseLink("https://rp.example/tapgate#" + b64).value().payload, raw);
  EXPECT_EQ(parseLink(b64).value().payload, raw);
  EXPECT_EQ(parseLink(b64).value().returnUrl, "");
  EXPECT_EQ(parseLink("tapgate:***").error().code, ErrorCode::QR_PARSE_ERROR);
  EXPECT_EQ(parseLink("https://rp.example/no-fragment").error().code, ErrorCode::QR_PARSE_ERROR);
}

TEST(QrPayload, LinksMayCarryAReturnUrl) {
  const Bytes raw = buildQrPayload(sampleEnrol());
  const std::string b64 = base64url(raw);
  const std::string ret = "?return=https%3A%2F%2Frp.example%2Fdone%3Fx%3D1";
  for (const std::string& prefix : {std::string("tapgate:"), std::string("https://rp.example/tapgate#"), std::string()}) {
    auto link = parseLink(prefix + b64 + ret);
    ASSERT_TRUE(link.ok()) << prefix;
    EXPECT_EQ(link.value().returnUrl, "https://rp.example/done?x=1");
    EXPECT_EQ(link.value().payload, raw);
  }
  // Unencoded characters that are valid in a URL need no escape; the value runs to the link's end.
  EXPECT_EQ(parseLink("tapgate:" + b64 + "?return=https://rp.example/done").value().returnUrl, "https://rp.example/done");
  EXPECT_EQ(parseLink("tapgate:" + b64 + "?return=https://rp.example/?a=1&b=2").value().returnUrl, "https://rp.example/?a=1&b=2");
}

TEST(QrPayload, MalformedReturnUrlsAreParseErrors) {
  const std::string b64 = base64url(buildQrPayload(sampleEnrol()));
  const std::string longUrl = "https://rp.example/" + std::string(limits::kMaxReturnUrlBytes, 'a');
  for (const std::string& query : {
           std::string("?return="),                                         // empty
           std::string("?next=https://rp.example/"),                        // another parameter
           std::string("?return=javascript%3Aalert(1)"),                    // not a web URL
           std::string("?return=data%3Atext%2Fhtml%2C%3Cscript%3E"),       // not a web URL
           std::string("?return=https%3A%2F%2Fuser%3Apw%40rp.example%2F"),  // credentials
           std::string("?return=https%3A%2F%2Frp.example%2F%23frag"),       // a fragment
           std::string("?return=https%3A%2F%2Frp.example%2F%0a"),           // a control character
           std::string("?return=https%3A%2F%2Frp.example%2%"),              // a broken escape
           std::string("?return=https%3A%2F%2Frp.example%2"),               // a truncated escape
           std::string("?return=") + longUrl,                               // too long
       }) {
    auto link = parseLink("tapgate:" + b64 + query);
    ASSERT_FALSE(link.ok()) << query;
    EXPECT_EQ(link.error().code, ErrorCode::QR_PARSE_ERROR) << query;
  }
}

TEST(Url, OriginsAreSerialisedAsBrowsersDo) {
  EXPECT_EQ(url::webOrigin("https://rp.example/done?x=1"), "https://rp.example");
  EXPECT_EQ(url::webOrigin("https://RP.Example:443/"), "https://rp.example");
  EXPECT_EQ(url::webOrigin("http://rp.example:80"), "http://rp.example");
  EXPECT_EQ(url::webOrigin("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
  EXPECT_EQ(url::webOrigin("https://[::1]:8443?q"), "https://[::1]:8443");
  EXPECT_EQ(url::webOrigin("https://rp.example:0443/"), "https://rp.example");
  EXPECT_EQ(url::webOrigin("https://rp.example.evil.example/"), "https://rp.example.evil.example");
  EXPECT_TRUE(url::isWebOrigin("https://rp.example"));
  EXPECT_TRUE(url::isWebOrigin("http://127.0.0.1:8080"));
  for (const char* bad : {"https://rp.example/", "https://RP.example", "https://rp.example:443", "javascript:x",
                          "https://u@rp.example", "rp.example", ""}) {
    EXPECT_FALSE(url::isWebOrigin(bad)) << bad;
  }
}
