// Typed errors with stable codes. The JS layer maps them 1:1 onto TapgateError.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace tapgate {

// Who is at fault: the calling app (misuse), the server (remote), the transport (network),
// an attacker or corrupted data (security), or local persistence (storage).
enum class ErrorKind { Misuse, Remote, Network, Security, Storage };

// X(name, numeric code or 0, kind). Numeric codes keep the reference's numbers where one exists.
#define TAPGATE_ERROR_CODES(X)                          \
  X(WRONG_STATE, 0, Misuse)                             \
  X(INVALID_ARGUMENT, 0, Misuse)                        \
  X(UNKNOWN_SESSION, 0, Misuse)                         \
  X(UNKNOWN_ACCOUNT, 0, Misuse)                         \
  X(QR_PARSE_ERROR, 32, Remote)                         \
  X(QR_UNKNOWN_TYPE, 33, Remote)                        \
  X(NO_ACCOUNTS_FOR_SERVER, 34, Remote)                 \
  X(DISPLAY_NAME_EXISTS, 35, Remote)                    \
  X(SINGLE_ACCOUNT, 40, Misuse)                         \
  X(ENROL_QR_EXPIRED, 41, Remote)                       \
  X(SERVER_AUTHENTICATION_FAILED, 48, Remote)           \
  X(SERVER_AUTHENTICATION_ERROR, 49, Security)          \
  X(SERVER_AUTHENTICATION_TIMEOUT, 50, Network)         \
  X(SERVER_UNKNOWN_ERROR, 51, Remote)                   \
  X(SESSION_NOT_FOUND, 53, Remote)                      \
  X(PIN_BLOCKED, 60, Remote)                            \
  X(SERVER_PARAMETERS_NO_RESULT, 64, Remote)            \
  X(BAD_RESPONSE, 67, Security)                         \
  X(NETWORK_ERROR, 2, Network)                          \
  X(SESSION_TIMEOUT, 0, Remote)                         \
  X(PUSH_REJECTED, 0, Security)                         \
  X(APPLOGIN_NOT_CONTINUOUS, 0, Remote)                 \
  X(CODE_MISMATCH, 54, Security)                        \
  X(ACCOUNT_NOT_ALLOWED, 55, Remote)                    \
  X(PUSH_EXPIRED, 0, Security)                          \
  X(PUSH_REPLAYED, 0, Security)                         \
  X(STATE_CORRUPT, 0, Storage)                          \
  X(RETURN_URL_NOT_ALLOWED, 0, Security)

enum class ErrorCode {
#define TAPGATE_ENUM(name, num, kind) name,
  TAPGATE_ERROR_CODES(TAPGATE_ENUM)
#undef TAPGATE_ENUM
};

const char* errorCodeName(ErrorCode code);
int errorNumericCode(ErrorCode code);
ErrorKind errorKind(ErrorCode code);
const char* errorKindName(ErrorKind kind);

struct Error {
  ErrorCode code;
  std::string message;
};

// Minimal expected<T, Error>: every fallible core call returns one instead of throwing.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error makeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace tapgate
