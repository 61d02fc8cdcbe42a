// wire::openResponse: the signed envelope of every device-API answer (docs/protocol.md §3), against
// a fixed server key, transcript and request. Input: one selector byte, then text.
//   selector bit 0 = 0: the text is the whole HTTP answer body (an attacker's bytes);
//   selector bit 0 = 1: the text is a response *body* that the harness signs correctly, so the
//                       fuzzer reaches what happens after the signature check (signed errors and
//                       every body parser);
//   selector bits 1-3: the HTTP status.
// Properties: no crash; an attacker's bytes never open unless they carry the one valid signature
// (Ed25519 is deterministic and libsodium rejects malleable encodings); a correctly signed body
// never fails as SERVER_AUTHENTICATION_ERROR; every parser accepts only well-formed values.
#include "fuzz_common.hpp"

using namespace tapgate;

namespace {

constexpr int kStatuses[8] = {200, 201, 204, 400, 403, 404, 410, 502};

void parseAll(const std::string& body) {
  if (auto r = wire::parseStartResponse(body)) {
    FUZZ_CHECK(r->server.pinAttemptLimit >= 1 && r->server.pingTime >= 0);
    FUZZ_CHECK(r->announceInfo.is_null() || r->announceInfo.is_object());
  }
  for (bool enrol : {false, true}) {
    if (auto r = wire::parseVerifyResponse(body, enrol)) {
      if (r->outcome == wire::VerifyOutcome::PinFail) FUZZ_CHECK(r->attemptsLeft >= 1);
      FUZZ_CHECK(r->sessionInfo.is_null() || r->sessionInfo.is_object());
    }
  }
  if (auto r = wire::parsePinChallenge(200, body)) FUZZ_CHECK(r.value().size() == 32);
  if (auto r = wire::parseAppLoginResponse(body)) FUZZ_CHECK(r->sessionId.size() == kSessionIdSize);
  (void)wire::parsePingResponse(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& f = fuzz::fixture();
  const bool sealed = data[0] & 1;
  const int status = kStatuses[(data[0] >> 1) & 7];
  const std::string text = fuzz::text(data + 1, size - 1);

  if (sealed) {
    // A JSON envelope can only carry valid UTF-8 (the server's JSON.stringify can't produce
    // anything else); other bytes would be replaced in the envelope and not match the signature.
    try {
      (void)nlohmann::json(text).dump();
    } catch (const nlohmann::json::type_error&) {
      return 0;
    }
    const std::string envelope = wire::sealResponse(f.server.secretKey, f.t, f.request, text);
    auto r = wire::openResponse(f.server.publicKey, f.t, f.request, status, envelope);
    if (r) {
      FUZZ_CHECK(r.value() == text);
      parseAll(r.value());
    } else {
      const ErrorCode c = r.error().code;
      FUZZ_CHECK(c != ErrorCode::SERVER_AUTHENTICATION_ERROR);
      FUZZ_CHECK(c == ErrorCode::BAD_RESPONSE || c == ErrorCode::ENROL_QR_EXPIRED ||
                 c == ErrorCode::SERVER_AUTHENTICATION_FAILED || c == ErrorCode::SESSION_NOT_FOUND ||
                 c == ErrorCode::PIN_BLOCKED || c == ErrorCode::SERVER_UNKNOWN_ERROR ||
                 // Signed server errors 54 and 55 (wire.cpp errorFromServerCode).
                 c == ErrorCode::CODE_MISMATCH || c == ErrorCode::ACCOUNT_NOT_ALLOWED);
    }
    // The same signed body for another transcript or another request must not open.
    wire::Transcript other = f.t;
    other.advance(f.request, text);
    FUZZ_CHECK(wire::openResponse(f.server.publicKey, other, f.request, status, envelope).error().code ==
               ErrorCode::SERVER_AUTHENTICATION_ERROR);
    FUZZ_CHECK(wire::openResponse(f.server.publicKey, f.t, f.request + " ", status, envelope).error().code ==
               ErrorCode::SERVER_AUTHENTICATION_ERROR);
    return 0;
  }

  auto r = wire::openResponse(f.server.publicKey, f.t, f.request, status, text);
  if (r) {
    // It opened, so it must carry exactly the signature the server key makes over this body.
    auto env = nlohmann::json::parse(text, nullptr, false);
    FUZZ_CHECK(env.is_object() && env.contains("sig") && env["sig"].is_string());
    const std::string expected = wire::sealResponse(f.server.secretKey, f.t, f.request, r.value());
    auto expectedSig = nlohmann::json::parse(expected)["sig"].get<std::string>();
    FUZZ_CHECK(env["sig"].get<std::string>() == expectedSig);
    parseAll(r.value());
  }
  return 0;
}
