// parseQrPayload (docs/protocol.md §2) on arbitrary bytes. Properties: never crashes, fails only
// with the QR errors, and whatever it accepts is canonical (building it back gives the same bytes).
#include "fuzz_common.hpp"
#include "qr_payload.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
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
    FUZZ_CHECK(p->url.rfind("http://", 0) == 0 || p->url.rfind("https://", 0) == 0);
  } else {
    FUZZ_CHECK(raw.size() == 34);
  }
  FUZZ_CHECK(buildQrPayload(p.value()) == raw);
  return 0;
}
