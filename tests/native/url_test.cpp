// The URL validator (src/url.hpp) against what a browser's URL parser says. The `browser` column
// is literal data: the verdict of Node 20's WHATWG `new URL()` on each string (true: it parses),
// recorded once with tests/native/url_test.cpp's table fed through `new URL()`. The property that
// matters (issue 12, item 3): every URL the core accepts, a browser accepts too, so no QR or server
// can hand the host a URL its fetch throws on. The core refuses some browser-valid forms on
// purpose (userinfo, fragments, repaired schemes, short IPv4 forms, punycode, percent in hosts).
#include "url.hpp"

#include <gtest/gtest.h>

#include "crypto.hpp"
#include "qr_payload.hpp"
#include "wire.hpp"

using namespace tapgate;

namespace {

struct Row {
  std::string_view url;
  bool browser;  // Node 20 `new URL(url)` does not throw
  bool core;     // url::isWebUrl(url)
};

const Row kRows[] = {
    {{"http://localhost:8080/device", 28}, true , true},
    {{"https://auth.example.com/device", 31}, true , true},
    {{"http://127.0.0.1:3000/device", 28}, true , true},
    {{"https://a.b.c.example/", 22}, true , true},
    {{"http://h", 8}, true , true},
    {{"http://h/", 9}, true , true},
    {{"http://h:0/", 11}, true , true},
    {{"http://h:65535/", 15}, true , true},
    {{"http://h:/", 10}, true , true},
    {{"http://h:0080/", 14}, true , true},
    {{"http://h:000000000000080/", 25}, true , true},
    {{"http://h?q=1", 12}, true , true},
    {{"http://h:1?x", 12}, true , true},
    {{"http://h/p?q=1&r=%zz", 20}, true , true},
    {{"http://h/a%zz", 13}, true , true},
    {{"http://h/a@b", 12}, true , true},
    {{"http://EXAMPLE.com/", 19}, true , true},
    {{"http://a_b/", 11}, true , true},
    {{"http://a-/", 10}, true , true},
    {{"http://-a/", 10}, true , true},
    {{"http://ab--c/", 13}, true , true},
    {{"http://example.com./", 20}, true , true},
    {{"http://foo.0xg/", 15}, true , true},
    {{"http://1.2.3.4.example/", 23}, true , true},
    {{"http://[::1]/", 13}, true , true},
    {{"http://[::1]:8080/device", 24}, true , true},
    {{"http://[::]/", 12}, true , true},
    {{"http://[1:2:3:4:5:6:7:8]/", 25}, true , true},
    {{"http://[1::8]/", 14}, true , true},
    {{"http://[1:2:3:4:5:6:7::]/", 25}, true , true},
    {{"http://[::ffff:1.2.3.4]/", 24}, true , true},
    {{"http://[1:2:3:4:5:6:1.2.3.4]/", 29}, true , true},
    {{"http://[ABCD::EF]/", 18}, true , true},
    {{"http://255.255.255.255/", 23}, true , true},
    {{"http://0.0.0.0/", 15}, true , true},
    {{"HTTP://h/", 9}, true , false},
    {{"http:/h/", 8}, true , false},
    {{"http:h/", 7}, true , false},
    {{"http:///example.com/", 20}, true , false},
    {{"http://h\\x", 10}, true , false},
    {{"http://u@h/", 11}, true , false},
    {{"http://@h/", 10}, true , false},
    {{"http://u:p@h/", 13}, true , false},
    {{"http://h/a#b", 12}, true , false},
    {{"http://h#", 9}, true , false},
    {{"http://%41/", 11}, true , false},
    {{"http://127.1/", 13}, true , false},
    {{"http://0/", 9}, true , false},
    {{"http://0x7f.0.0.1/", 18}, true , false},
    {{"http://010.0.0.1/", 17}, true , false},
    {{"http://1.2.3.4./", 16}, true , false},
    {{"http://a..b/", 12}, true , false},
    {{"http://./", 9}, true , false},
    {{"http://.a/", 10}, true , false},
    {{"http://a!b/", 11}, true , false},
    {{"http://a~b/", 11}, true , false},
    {{"http://xn--mnchen-3ya.de/", 25}, true , false},
    {{"http://h/a b", 12}, true , false},
    {{"http://m\xc3\xbcnchen.de/", 19}, true , false},
    {{"https://h/\xc3\xa9", 12}, true , false},
    {{"http://127.0.0.1:99999", 22}, false, false},
    {{"http://[::1", 11}, false, false},
    {{"http://h%zz", 11}, false, false},
    {{"https://h:1:2", 13}, false, false},
    {{"http://", 7}, false, false},
    {{"https://", 8}, false, false},
    {{"http:///", 8}, false, false},
    {{"http://:80/", 11}, false, false},
    {{"http://h:65536/", 15}, false, false},
    {{"http://h:-1/", 12}, false, false},
    {{"http://h:80a/", 13}, false, false},
    {{"http://h: 80/", 13}, false, false},
    {{"http://a%b/", 11}, false, false},
    {{"http://a b/", 11}, false, false},
    {{"http://[::1]x/", 14}, false, false},
    {{"http://::1/", 11}, false, false},
    {{"http://[1:2:3:4:5:6:7:8::]/", 27}, false, false},
    {{"http://[::1:2:3:4:5:6:7:8]/", 27}, false, false},
    {{"http://[1:2:3:4:5:6:7:8:9]/", 27}, false, false},
    {{"http://[::01.2.3.4]/", 20}, false, false},
    {{"http://[::1.2.3.256]/", 21}, false, false},
    {{"http://[::1.2.3]/", 17}, false, false},
    {{"http://[1:2:3:4:5:6:7:1.2.3.4]/", 31}, false, false},
    {{"http://[:]/", 11}, false, false},
    {{"http://[:1]/", 12}, false, false},
    {{"http://[1:::2]/", 15}, false, false},
    {{"http://[1::2::3]/", 17}, false, false},
    {{"http://[12345::]/", 17}, false, false},
    {{"http://[::1%25eth0]/", 20}, false, false},
    {{"http://[g::]/", 13}, false, false},
    {{"http://[]/", 10}, false, false},
    {{"http://[::1]]/", 14}, false, false},
    {{"http://foo.123/", 15}, false, false},
    {{"http://foo.0x/", 14}, false, false},
    {{"http://foo.0x1/", 15}, false, false},
    {{"http://256.0.0.1/", 17}, false, false},
    {{"http://1.2.3.4.5/", 17}, false, false},
    {{"http://1.2.3.09/", 16}, false, false},
    {{"http://999999999999/", 20}, false, false},
    {{"http://xn--/", 12}, false, false},
    {{"http://xn--zz/", 14}, false, false},
    {{"http://a.xn--/", 14}, false, false},
    {{"http://a<b/", 11}, false, false},
    {{"http://a^b/", 11}, false, false},
    {{"http://a|b/", 11}, false, false},
    {{"http://a[b]/", 12}, false, false},
    {{"ftp://h/", 8}, true , false},
    {{"javascript:alert(1)", 19}, true , false},
    {{"https//h/", 9}, false, false},
    {{"http://h\x00/", 10}, false, false},
    {{"http://h\x09/", 10}, true , false},
};

}  // namespace

TEST(Url, EveryUrlTheCoreAcceptsABrowserAccepts) {
  int accepted = 0;
  for (const Row& r : kRows) {
    const bool core = url::isWebUrl(r.url);
    EXPECT_EQ(core, r.core) << std::string(r.url);
    if (core) {
      EXPECT_TRUE(r.browser) << "core accepts what a browser refuses: " << std::string(r.url);
      ++accepted;
    }
  }
  EXPECT_GT(accepted, 30);
}

TEST(Url, HttpsOnlyRefusesHttp) {
  EXPECT_TRUE(url::isWebUrl("https://rp.example/logo.png", url::Schemes::HttpsOnly));
  EXPECT_FALSE(url::isWebUrl("http://rp.example/logo.png", url::Schemes::HttpsOnly));
  EXPECT_FALSE(url::isWebUrl("https://[::1/logo.png", url::Schemes::HttpsOnly));
}

TEST(Url, ImageDataUrls) {
  EXPECT_TRUE(url::isImageDataUrl("data:image/png;base64,iVBORw0KGgo="));
  EXPECT_TRUE(url::isImageDataUrl("data:image/svg+xml;base64,PHN2Zy8+"));
  EXPECT_FALSE(url::isImageDataUrl("data:image/png;base64,"));
  EXPECT_FALSE(url::isImageDataUrl("data:image/png;base64,***"));
  EXPECT_FALSE(url::isImageDataUrl("data:image/png;base64,a=b"));
  EXPECT_FALSE(url::isImageDataUrl("data:image/png;base64,a==="));
  EXPECT_FALSE(url::isImageDataUrl("data:text/html;base64,PGI+"));
  EXPECT_FALSE(url::isImageDataUrl("data:image/png,rawbytes"));
  EXPECT_FALSE(url::isImageDataUrl("javascript:alert(1)"));
}

// The URLs of the report: each one used to pass the QR parser and crash a Node app on its fetch.
TEST(Url, EnrolQrWithABrowserInvalidUrlIsAParseError) {
  for (const char* bad : {"http://127.0.0.1:99999", "http://[::1", "http://h%zz", "https://h:1:2", "http://u@h/",
                          "http://h/#x", "http://:80/", "http://foo.123/"}) {
    QrPayload p{QrType::Enrol, crypto::randomBytes(16), crypto::randomBytes(16), crypto::randomBytes(32), bad};
    auto r = parseQrPayload(buildQrPayload(p));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::QR_PARSE_ERROR) << bad;
  }
}

TEST(Url, TheLogoIsAnHttpsOrImageDataUrl) {
  const auto withLogo = [](const std::string& logo) {
    return wire::parseStartResponse(R"({"kind":"login","time":5,"server":{"name":"A","pingTime":0,"pinTimeout":0,"pinAttemptLimit":3,"logo":")" +
                                    logo + "\"}}");
  };
  EXPECT_TRUE(withLogo("https://rp.example/logo.png").ok());
  EXPECT_TRUE(withLogo("data:image/png;base64,iVBORw0KGgo=").ok());
  for (const char* bad : {"http://rp.example/logo.png", "javascript:alert(1)", "https://h:1:2/x.png", "data:text/html;base64,PGI+", "x"}) {
    auto r = withLogo(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::BAD_RESPONSE) << bad;
  }
}
