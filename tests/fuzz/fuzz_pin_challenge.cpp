// wire::parsePinChallenge (docs/protocol.md §5.6) on an arbitrary answer (unsigned, HTTP 200).
#include "fuzz_common.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body = fuzz::text(data, size);
  auto r = wire::parsePinChallenge(200, body);
  if (!r) {
    FUZZ_CHECK(r.error().code == ErrorCode::BAD_RESPONSE);
    return 0;
  }
  FUZZ_CHECK(r.value().size() == 32);
  // The challenge is base64url text in the body; it must re-encode to the same text.
  auto j = nlohmann::json::parse(body);
  FUZZ_CHECK(base64url(r.value()) == j["challenge"].get<std::string>());
  return 0;
}
