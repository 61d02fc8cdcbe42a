// wire::parseStartResponse (docs/protocol.md §5.1, with transactions and code matching) and
// wire::parseAppLoginResponse (§5.9) on an arbitrary signed body.
#include "fuzz_common.hpp"
#include "limits.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body = fuzz::text(data, size);
  if (auto r = wire::parseStartResponse(body)) {
    FUZZ_CHECK(r->kind == QrType::Login || r->kind == QrType::Enrol);
    FUZZ_CHECK(r->server.pinAttemptLimit >= 1 && r->server.pingTime >= 0);
    FUZZ_CHECK(r->announceInfo.is_null() || r->announceInfo.is_object());
    if (r->kind == QrType::Login) FUZZ_CHECK(r->enrolUserId.empty() && r->enrolName.empty());
    if (const auto& code = r->codeMatching) {
      FUZZ_CHECK(code->commitment.size() == crypto::kHashSize);
      FUZZ_CHECK(code->length >= limits::kMinCodeLength && code->length <= limits::kMaxCodeLength);
    }
    if (const auto& t = r->transaction) FUZZ_CHECK(!t->id.empty() && t->rpSession.size() == crypto::kHashSize);
    // What is shown to the user must serialise (the JS layer receives it as JSON text).
    (void)r->announceInfo.dump();
    if (r->transaction) (void)r->transaction->shown.dump();
  } else {
    FUZZ_CHECK(r.error().code == ErrorCode::BAD_RESPONSE);
  }
  if (auto a = wire::parseAppLoginResponse(body)) {
    FUZZ_CHECK(a->sessionId.size() == kSessionIdSize && !a->webNonce.empty());
    FUZZ_CHECK(a->server.pinAttemptLimit >= 1 && a->server.pingTime >= 0);
  } else {
    FUZZ_CHECK(a.error().code == ErrorCode::BAD_RESPONSE);
  }
  return 0;
}
