#include "config.hpp"
#include "json_reader.hpp"


namespace tapgate {
namespace {

// Durations reach JavaScript as numbers (timer due times) and are added to clock readings: keep
// them exact there (2^53 - 1) and far from int64 overflow.
constexpr std::int64_t kMaxDurationMs = (std::int64_t{1} << 53) - 1;

}  // namespace

std::optional<std::int64_t> parseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (INT64_MAX / 10) - 10) return std::nullopt;
      n = n * 10 + (text[i++] - '0');
      ++digits;
    }
    if (!digits) return std::nullopt;
    std::int64_t unit = 0;
    if (text.substr(i, 2) == "ms") { unit = 1; i += 2; }
    else if (i < text.size() && text[i] == 's') { unit = 1000; ++i; }
    else if (i < text.size() && text[i] == 'm') { unit = 60'000; ++i; }
    else if (i < text.size() && text[i] == 'h') { unit = 3'600'000; ++i; }
    else return std::nullopt;
    if (n > kMaxDurationMs / unit) return std::nullopt;
    total += n * unit;  // both terms <= kMaxDurationMs: no overflow (the sum used to overflow)
    if (total > kMaxDurationMs) return std::nullopt;
  }
  return total;
}

Result<Config> parseConfig(const std::string& text) {
  Config c;
  if (text.empty()) return c;
  auto j = parseJson(text);
  auto invalid = [](std::string what) { return makeError(ErrorCode::INVALID_ARGUMENT, "config: " + what); };
  if (j.is_discarded() || !j.is_object()) return invalid("not an object");

  auto duration = [&](const char* key, std::int64_t& out) -> bool {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0 && it->get<std::int64_t>() <= kMaxDurationMs) {
      out = it->get<std::int64_t>();
      return true;
    }
    if (it->is_string()) {
      if (auto ms = parseDuration(it->get<std::string>())) { out = *ms; return true; }
    }
    return false;
  };
  auto count = [&](const char* key, int& out) -> bool {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 1'000'000) return false;
    out = static_cast<int>(it->get<std::int64_t>());
    return true;
  };
  auto flag = [&](const char* key, bool& out) -> bool {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_boolean()) return false;
    out = it->get<bool>();
    return true;
  };
  for (auto& [key, ok] : {std::pair{"sessionTimeout", duration("sessionTimeout", c.sessionTimeout)},
                          std::pair{"expiryHistoryItems", duration("expiryHistoryItems", c.expiryHistoryItems)},
                          std::pair{"appLoginInactivityTimeout", duration("appLoginInactivityTimeout", c.appLoginInactivityTimeout)},
                          std::pair{"timeoutAppLogin", duration("timeoutAppLogin", c.timeoutAppLogin)},
                          std::pair{"singleAccount", flag("singleAccount", c.singleAccount)},
                          std::pair{"alwaysRequireSecondFactor", flag("alwaysRequireSecondFactor", c.alwaysRequireSecondFactor)},
                          std::pair{"manuallyStartUserInteraction", flag("manuallyStartUserInteraction", c.manuallyStartUserInteraction)},
                          std::pair{"biometricsDisabled", flag("biometricsDisabled", c.biometricsDisabled)},
                          std::pair{"blockSecondFactorOnPINBlocked", flag("blockSecondFactorOnPINBlocked", c.blockSecondFactorOnPINBlocked)},
                          std::pair{"disallowPinChangeWithBiometric", flag("disallowPinChangeWithBiometric", c.disallowPinChangeWithBiometric)},
                          std::pair{"biometricAvailable", flag("biometricAvailable", c.biometricAvailable)},
                          std::pair{"maxTimeSecondFactorWithoutPIN", duration("maxTimeSecondFactorWithoutPIN", c.maxTimeSecondFactorWithoutPIN)},
                          std::pair{"maxNumberSecondFactorWithoutPIN", count("maxNumberSecondFactorWithoutPIN", c.maxNumberSecondFactorWithoutPIN)},
                          std::pair{"secondFactorUserInputTimeout",
                                    duration("secondFactorUserInputTimeout", c.secondFactorUserInputTimeout)},
                          std::pair{"automaticallySelectSingleAccountWhenSecondFactorNeeded",
                                    flag("automaticallySelectSingleAccountWhenSecondFactorNeeded",
                                         c.automaticallySelectSingleAccountWhenSecondFactorNeeded)}}) {
    if (!ok) return invalid(std::string("bad value for ") + key);
  }
  return c;
}

}  // namespace tapgate
