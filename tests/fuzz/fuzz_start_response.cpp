// wire::parseStartResponse (docs/protocol.md §5.1) on an arbitrary signed body.
#include "fuzz_common.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = wire::parseStartResponse(fuzz::text(data, size));
  if (!r) {
    FUZZ_CHECK(r.error().code == ErrorCode::BAD_RESPONSE);
    return 0;
  }
  FUZZ_CHECK(r->kind == QrType::Login || r->kind == QrType::Enrol);
  FUZZ_CHECK(r->server.pinAttemptLimit >= 1 && r->server.pingTime >= 0);
  FUZZ_CHECK(r->announceInfo.is_null() || r->announceInfo.is_object());
  if (r->kind == QrType::Login) FUZZ_CHECK(r->enrolUserId.empty() && r->enrolName.empty());
  // What is shown to the user must serialise (the JS layer receives it as JSON text).
  (void)r->announceInfo.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
