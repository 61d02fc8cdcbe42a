// wire::parseVerifyResponse (enrol §5.2, login §5.3, PIN check §5.7 verdicts) and
// wire::parsePingResponse (§5.8) on an arbitrary signed body.
#include <climits>

#include "fuzz_common.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body = fuzz::text(data, size);
  for (bool enrol : {false, true}) {
    auto r = wire::parseVerifyResponse(body, enrol);
    if (!r) {
      FUZZ_CHECK(r.error().code == ErrorCode::BAD_RESPONSE);
      continue;
    }
    if (r->outcome == wire::VerifyOutcome::PinFail) FUZZ_CHECK(r->attemptsLeft >= 1);
    if (r->outcome != wire::VerifyOutcome::Success) FUZZ_CHECK(r->accountId == 0);
    FUZZ_CHECK(r->sessionInfo.is_null() || r->sessionInfo.is_object());
    (void)r->sessionInfo.dump();
  }
  auto ping = wire::parsePingResponse(body);
  if (!ping) FUZZ_CHECK(ping.error().code == ErrorCode::BAD_RESPONSE);
  return 0;
}
