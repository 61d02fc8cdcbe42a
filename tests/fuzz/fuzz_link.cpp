// payloadFromLink on arbitrary text ("tapgate:<b64u>", "https://…#<b64u>", bare base64url), then the
// QR parser on what it yields, as the engine does. Properties: no crash; only QR_PARSE_ERROR; an
// accepted link decodes to bytes whose canonical tapgate: link decodes to the same bytes.
#include "fuzz_common.hpp"
#include "qr_payload.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string link = fuzz::text(data, size);
  auto bytes = payloadFromLink(link);
  if (!bytes) {
    FUZZ_CHECK(bytes.error().code == ErrorCode::QR_PARSE_ERROR);
    return 0;
  }
  const std::string canonical = "tapgate:" + base64url(bytes.value());
  auto again = payloadFromLink(canonical);
  FUZZ_CHECK(again.ok() && again.value() == bytes.value());
  auto again2 = payloadFromLink("https://example.com/enrol#" + base64url(bytes.value()));
  FUZZ_CHECK(again2.ok() && again2.value() == bytes.value());
  auto p = parseQrPayload(bytes.value());
  if (p) FUZZ_CHECK(buildQrPayload(p.value()) == bytes.value());
  return 0;
}
