// parseConfig (JSON text) and parseDuration ("1h30m", "250ms", …) from src/config.*. Properties:
// no crash, no signed overflow (UBSan), no escaping exception; accepted durations are >= 0 and
// small enough that adding them to a clock reading (ms since 1970) cannot overflow.
#include "config.hpp"
#include "fuzz_common.hpp"

using namespace tapgate;

namespace {
constexpr std::int64_t kClockHeadroom = INT64_MAX - 4'102'444'800'000;  // room above year 2100
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = fuzz::text(data, size);
  if (auto ms = parseDuration(text)) FUZZ_CHECK(*ms >= 0 && *ms <= kClockHeadroom);
  auto c = parseConfig(text);
  if (!c) {
    FUZZ_CHECK(c.error().code == ErrorCode::INVALID_ARGUMENT);
    return 0;
  }
  FUZZ_CHECK(c->sessionTimeout >= 0 && c->sessionTimeout <= kClockHeadroom);
  FUZZ_CHECK(c->expiryHistoryItems >= 0 && c->expiryHistoryItems <= kClockHeadroom);
  return 0;
}
