// parseLink on arbitrary text ("tapgate:<b64u>", "https://…#<b64u>", bare base64url, each with an
// optional "?return=<URL>"), then the QR parser on the payload it yields, as the engine does.
// Properties: no crash; only QR_PARSE_ERROR; an accepted link's payload, put in a canonical
// tapgate: or https link with the same return URL, decodes to the same payload and return URL.
#include "fuzz_common.hpp"
#include "qr_payload.hpp"
#include "url.hpp"

#include <cctype>

using namespace tapgate;

namespace {
// Every byte but the unreserved ones as %XX: what a link carries its return URL as.
std::string percentEncoded(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = fuzz::text(data, size);
  auto link = parseLink(text);
  if (!link) {
    FUZZ_CHECK(link.error().code == ErrorCode::QR_PARSE_ERROR);
    return 0;
  }
  const Link& got = link.value();
  FUZZ_CHECK(got.returnUrl.empty() || url::isWebUrl(got.returnUrl));
  const std::string suffix = got.returnUrl.empty() ? "" : "?return=" + percentEncoded(got.returnUrl);
  for (const std::string& canonical : {"tapgate:" + base64url(got.payload) + suffix,
                                       "https://example.com/enrol#" + base64url(got.payload) + suffix}) {
    auto again = parseLink(canonical);
    FUZZ_CHECK(again.ok() && again.value().payload == got.payload && again.value().returnUrl == got.returnUrl);
  }
  auto p = parseQrPayload(got.payload);
  if (p) FUZZ_CHECK(buildQrPayload(p.value()) == got.payload);
  return 0;
}
