// SDK configuration, named as in the reference. Durations: milliseconds or "30s", "5m", "2160h".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto.hpp"
#include "error.hpp"

namespace tapgate {

struct Config {
  std::int64_t sessionTimeout = 5 * 60 * 1000;  // ms until an unfinished session is ABORTED
  bool automaticallySelectSingleAccountWhenSecondFactorNeeded = true;
  bool singleAccount = false;
  std::int64_t expiryHistoryItems = 2160LL * 3600 * 1000;  // 90 days
  bool biometricsDisabled = false;           // never offer or accept the biometric
  int maxNumberSecondFactorWithoutPIN = 0;   // after this many biometric verifications, the PIN (0 = off)
  std::int64_t maxTimeSecondFactorWithoutPIN = 0;  // ms since the last PIN after which the PIN is needed (0 = off)
  bool blockSecondFactorOnPINBlocked = false;  // a blocked PIN blocks the biometric too
  bool disallowPinChangeWithBiometric = false;  // a PIN change needs the old PIN, not the biometric
  bool biometricAvailable = false;           // set by the host: a BiometricProvider is present
  // Never skip the second factor, even within the server's pinTimeout.
  bool alwaysRequireSecondFactor = false;
  // Time the user has to supply the second factor once asked; 0 = only sessionTimeout applies.
  std::int64_t secondFactorUserInputTimeout = 0;
  // Sessions from a QR, link or push stop at READY_FOR_USER_INTERACTION until the app calls
  // startUserInteraction (an AppLogin, which the app starts itself, is not held).
  bool manuallyStartUserInteraction = false;
  std::int64_t appLoginInactivityTimeout = 0;  // ms without user activity before an AppLogin logs out; 0 = off
  std::int64_t timeoutAppLogin = 0;            // ms after which an AppLogin logs out regardless; 0 = off
  crypto::PinKdfParams pinKdf = crypto::defaultPinKdf();
};

// Go-style duration ("1h30m", "250ms", "90s") → milliseconds.
std::optional<std::int64_t> parseDuration(std::string_view text);

Result<Config> parseConfig(const std::string& json);  // "" → defaults

}  // namespace tapgate
