#include "error.hpp"

namespace tapgate {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
#define TAPGATE_NAME(name, num, kind) \
  case ErrorCode::name:               \
    return #name;
    TAPGATE_ERROR_CODES(TAPGATE_NAME)
#undef TAPGATE_NAME
  }
  return "UNKNOWN";
}

int errorNumericCode(ErrorCode code) {
  switch (code) {
#define TAPGATE_NUM(name, num, kind) \
  case ErrorCode::name:              \
    return num;
    TAPGATE_ERROR_CODES(TAPGATE_NUM)
#undef TAPGATE_NUM
  }
  return 0;
}

ErrorKind errorKind(ErrorCode code) {
  switch (code) {
#define TAPGATE_KIND(name, num, kind) \
  case ErrorCode::name:               \
    return ErrorKind::kind;
    TAPGATE_ERROR_CODES(TAPGATE_KIND)
#undef TAPGATE_KIND
  }
  return ErrorKind::Remote;
}

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Misuse: return "misuse";
    case ErrorKind::Remote: return "remote";
    case ErrorKind::Network: return "network";
    case ErrorKind::Security: return "security";
    case ErrorKind::Storage: return "storage";
  }
  return "remote";
}

}  // namespace tapgate
