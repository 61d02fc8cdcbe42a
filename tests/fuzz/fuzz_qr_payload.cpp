// parseQrPayload (docs/protocol.md §2) on arbitrary bytes. Properties: never crashes, fails only
// with the QR errors, and whatever it accepts is canonical (building it back gives the same bytes)
// with a device API URL that src/url.hpp accepts. The same bytes also go to the URL validator as
// text (checkUrl): what it accepts has the shape url.hpp promises, and stays valid with the
// request paths the engine appends to it.
#include "fuzz_common.hpp"
#include "qr_payload.hpp"
#include "url.hpp"

using namespace tapgate;

namespace {

void checkUrl(std::string_view u) {
  const bool any = url::isWebUrl(u);
  const bool https = url::isWebUrl(u, url::Schemes::HttpsOnly);
  FUZZ_CHECK(!https || any);
  if (!any) return;
  FUZZ_CHECK(u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0);
  FUZZ_CHECK(!https || u.rfind("https://", 0) == 0);
  for (unsigned char c : u) FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '#' && c != '\\');
  const std::string_view rest = u.substr(u.find("//") + 2);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  FUZZ_CHECK(!authority.empty() && authority.find('@') == std::string_view::npos && authority.find('%') == std::string_view::npos);
  FUZZ_CHECK(url::isWebUrl(std::string(u) + "/v1/start"));  // what the engine sends to
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  checkUrl(fuzz::text(data, size));
  const Bytes raw(data, data + size);
  auto p = parseQrPayload(raw);
  if (!p) {
    const ErrorCode c = p.error().code;
    FUZZ_CHECK(c == ErrorCode::QR_PARSE_ERROR || c == ErrorCode::QR_UNKNOWN_TYPE);
    return 0;
  }
  FUZZ_CHECK(p->serverId.size() == kServerIdSize && p->sessionId.size() == kSessionIdSize);
  if (p->type == QrType::Enrol) {
    FUZZ_CHECK(p->serverPublicKey.size() == crypto::kSignPublicKeySize);
    FUZZ_CHECK(!p->url.empty() && p->url.size() <= 255);
    FUZZ_CHECK(url::isWebUrl(p->url));
  } else {
    FUZZ_CHECK(raw.size() == 34);
  }
  FUZZ_CHECK(buildQrPayload(p.value()) == raw);
  return 0;
}
