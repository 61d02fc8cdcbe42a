#include "wire.hpp"

#include <algorithm>
#include <climits>

#include "crypto.hpp"
#include "json_reader.hpp"
#include "limits.hpp"
#include "url.hpp"

namespace tapgate::wire {
namespace {

const Bytes kTranscriptDomain = toBytes("tapgate/v1/transcript");
const Bytes kResponseDomain = toBytes("tapgate/v1/response");
const Bytes kEnrolDomain = toBytes("tapgate/v1/enrol");
const Bytes kLoginDomain = toBytes("tapgate/v1/login");
const Bytes kLogoutDomain = toBytes("tapgate/v1/logout");
const Bytes kCancelDomain = toBytes("tapgate/v1/cancel");
const Bytes kPinCheckDomain = toBytes("tapgate/v1/pincheck");
const Bytes kEnrolPinCheckDomain = toBytes("tapgate/v1/enrol-pincheck");
const Bytes kFactorsDomain = toBytes("tapgate/v1/factors");
const Bytes kPinCommitDomain = toBytes("tapgate/v1/pincommit");
const Bytes kPingDomain = toBytes("tapgate/v1/ping");
const Bytes kMessageDomain = toBytes("tapgate/v1/message");
const Bytes kMessagesDomain = toBytes("tapgate/v1/messages");
const Bytes kPushTokenDomain = toBytes("tapgate/v1/pushtoken");
const Bytes kDeleteDomain = toBytes("tapgate/v1/delete");
const Bytes kAppLoginDomain = toBytes("tapgate/v1/applogin");
const Bytes kCodeDomain = toBytes("tapgate/v1/code");
const Bytes kTransactionDomain = toBytes("tapgate/v1/transaction");
const Bytes kAppTransactionDomain = toBytes("tapgate/v1/app-transaction");

Bytes int64Bytes(std::int64_t v) {  // big-endian, for signed inputs
  Bytes out(8);
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<std::uint8_t>(v & 0xff);
  return out;
}

std::string text(const json& j) { return j.dump(); }

Error bad(std::string msg) { return makeError(ErrorCode::BAD_RESPONSE, std::move(msg)); }

Bytes concat(std::initializer_list<const Bytes*> parts) {
  Bytes out;
  for (const Bytes* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

Bytes responseSigningInput(const Transcript& t, const std::string& request, const std::string& body) {
  Bytes requestHash = crypto::hash(toBytes(request));
  Bytes bodyBytes = toBytes(body);
  return concat({&kResponseDomain, &t.hash(), &requestHash, &bodyBytes});
}

std::optional<json> parseObject(const std::string& text) {
  json j = parseJson(text);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<std::string> str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> integer(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

// An integer field within [min, max] (docs/protocol.md "Limits"); nlohmann keeps integers above
// INT64_MAX as unsigned, which get<int64_t> would wrap to a negative number.
std::optional<std::int64_t> integerIn(const json& j, const char* key, std::int64_t min, std::int64_t max) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  const auto v = it->get<std::int64_t>();
  if (v < min || v > max) return std::nullopt;
  return v;
}

// A string field of at most `maxBytes`: nullopt when absent, not a string or too long.
std::optional<std::string> strAtMost(const json& j, const char* key, std::size_t maxBytes) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().size() > maxBytes) return std::nullopt;
  return it->get<std::string>();
}

// An optional string field: "" when absent or null, nullopt when it is something else or too long.
std::optional<std::string> optionalStr(const json& j, const char* key, std::size_t maxBytes) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  return strAtMost(j, key, maxBytes);
}

int depthOf(const json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& v : j) deepest = std::max(deepest, depthOf(v));
  return deepest + 1;
}

// Info blocks are maps of display strings: a value that is not an object is dropped rather than
// shown; an object beyond the size or depth limits refuses the whole answer (nullopt).
std::optional<json> infoBlock(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return json(nullptr);
  // The JSON reader stops at depth 64, so this recursion is bounded too.
  if (depthOf(*it) > limits::kMaxInfoDepth || text(*it).size() > limits::kMaxInfoBytes) return std::nullopt;
  return *it;
}

// serverFlags: absent or null (none), or an array of at most kMaxServerFlags short strings. Flags
// this core does not know are dropped (a newer server's); the known ones are kept in table order.
std::optional<std::vector<std::string>> serverFlags(const json& j) {
  auto it = j.find("serverFlags");
  if (it == j.end() || it->is_null()) return std::vector<std::string>{};
  if (!it->is_array() || it->size() > limits::kMaxServerFlags) return std::nullopt;
  for (const auto& f : *it) {
    if (!f.is_string() || f.get_ref<const std::string&>().size() > limits::kMaxServerFlagBytes) return std::nullopt;
  }
  std::vector<std::string> known;
  for (const char* flag : kServerFlags) {
    if (std::any_of(it->begin(), it->end(), [&](const json& f) { return f.get_ref<const std::string&>() == flag; })) known.emplace_back(flag);
  }
  return known;
}

std::optional<ServerParams> serverParams(const json& j) {
  auto server = j.find("server");
  if (server == j.end() || !server->is_object()) return std::nullopt;
  auto name = strAtMost(*server, "name", limits::kMaxNameBytes);
  auto ping = integerIn(*server, "pingTime", 0, limits::kMaxPingTimeSeconds);
  // pinTimeout -1: once a second factor was verified, logins never ask again (§5.1). A transaction
  // window has no "never": pinTransTimeout is 0 (always asked, also when absent) up to the same ceiling.
  auto pinTimeout = integerIn(*server, "pinTimeout", limits::kPinTimeoutNever, limits::kMaxPinTimeoutMinutes);
  auto pinTransTimeout = server->contains("pinTransTimeout")
                             ? integerIn(*server, "pinTransTimeout", 0, limits::kMaxPinTimeoutMinutes)
                             : std::optional<std::int64_t>(0);
  auto limit = integerIn(*server, "pinAttemptLimit", limits::kMinPinAttemptLimit, limits::kMaxPinAttemptLimit);
  if (!name || !ping || !pinTimeout || !pinTransTimeout || !limit) return std::nullopt;
  // The logo is optional; when present it is an image URL the app shows (§5.1): an https: URL a
  // browser parses alike, or an inline data:image URL.
  auto logo = optionalStr(*server, "logo", limits::kMaxLogoBytes);
  if (!logo) return std::nullopt;
  if (!logo->empty() && !url::isWebUrl(*logo, url::Schemes::HttpsOnly) && !url::isImageDataUrl(*logo)) return std::nullopt;
  ServerParams params{*name, *ping, *pinTimeout, *limit, std::move(*logo), *pinTransTimeout};
  std::string* links[] = {&params.appUrl, &params.siteUrl, &params.appAndroid, &params.appIos};
  const char* linkKeys[] = {"appUrl", "siteUrl", "appAndroid", "appIos"};
  for (int i = 0; i < 4; ++i) {
    auto link = optionalStr(*server, linkKeys[i], limits::kMaxLinkBytes);
    if (!link || (!link->empty() && !isLink(*link))) return std::nullopt;
    *links[i] = std::move(*link);
  }
  auto owner = optionalStr(*server, "owner", limits::kMaxOwnerBytes);
  auto flags = serverFlags(*server);
  if (!owner || !flags) return std::nullopt;
  params.owner = std::move(*owner);
  params.flags = std::move(*flags);
  return params;
}

ErrorCode errorFromServerCode(std::int64_t code) {
  switch (code) {
    case 41: return ErrorCode::ENROL_QR_EXPIRED;
    case 48: return ErrorCode::SERVER_AUTHENTICATION_FAILED;
    case 52: return ErrorCode::SERVER_AUTHENTICATION_FAILED;
    case 53: return ErrorCode::SESSION_NOT_FOUND;
    case 54: return ErrorCode::CODE_MISMATCH;
    case 55: return ErrorCode::ACCOUNT_NOT_ALLOWED;
    case 60: return ErrorCode::PIN_BLOCKED;
    case 64: return ErrorCode::SERVER_PARAMETERS_NO_RESULT;
    default: return ErrorCode::SERVER_UNKNOWN_ERROR;
  }
}

// An envelope verifies when its `sig`, or during a server's key rotation its `sigPrev` (the
// previous key's signature over the same bytes), verifies with the key the device pinned. The
// device knows one key per server; which of the two it holds depends on whether its `rekey`
// message has arrived yet (docs/protocol.md §3, §6.1).
bool verifiesWithPinned(const json& envelope, const Bytes& pinnedPk, const Bytes& message) {
  for (const char* field : {"sig", "sigPrev"}) {
    auto text = str(envelope, field);
    auto sig = text ? fromBase64url(*text) : std::nullopt;
    if (sig && crypto::verify(pinnedPk, message, *sig)) return true;
  }
  return false;
}

}  // namespace

Error unsignedFailure(int httpStatus, const std::string& body) {
  // The device API refuses an account it does not know exactly as a bad proof, with an unsigned
  // 403 (§5.6, §6.3): that is the account's proof not accepted, whatever the reason.
  if (httpStatus == 403) return makeError(ErrorCode::SERVER_AUTHENTICATION_FAILED, "the server does not accept the account's proof");
  // A start naming a server the device API does not host (§5.1): no key to sign with, so the
  // answer is unsigned; believing it only ends the session, as a lost answer would.
  auto unsigned404 = httpStatus == 404 ? parseObject(body) : std::nullopt;
  if (unsigned404 && integer(*unsigned404, "code") == 64) {
    return makeError(ErrorCode::SERVER_PARAMETERS_NO_RESULT, "the server has no parameters for this QR code's server id");
  }
  if (httpStatus < 200 || httpStatus >= 300) {
    return makeError(ErrorCode::SERVER_UNKNOWN_ERROR, "server answered HTTP " + std::to_string(httpStatus));
  }
  return bad("response is not a signed envelope");
}

Transcript Transcript::begin(const Bytes& qrPayload) {
  Transcript t;
  t.hash_ = crypto::hash({&kTranscriptDomain, &qrPayload});
  return t;
}

void Transcript::advance(const std::string& request, const std::string& responseBody) {
  Bytes rq = crypto::hash(toBytes(request));
  Bytes rs = crypto::hash(toBytes(responseBody));
  hash_ = crypto::hash({&hash_, &rq, &rs});
}

Exchange startRequest(const Bytes& qrPayload, const Bytes& deviceNonce) {
  json j = {{"v", kProtocolVersion}, {"qr", base64url(qrPayload)}, {"nonce", base64url(deviceNonce)}};
  return {"/v1/start", j.dump()};
}

Exchange enrolRequest(const Bytes& sessionId, const Bytes& accountPk, const Bytes& boxPk, const Bytes& pinPk,
                      const Bytes& sigAccount, const Bytes& sigPin, const std::string& pushToken,
                      const Bytes& bioPk, const Bytes& sigBio, const std::optional<EnrolPinCheck>& pinCheck,
                      const std::string& userInput) {
  json j = {{"v", kProtocolVersion},       {"session", base64url(sessionId)}, {"accountPk", base64url(accountPk)},
            {"boxPk", base64url(boxPk)},   {"pinPk", base64url(pinPk)},       {"sigAccount", base64url(sigAccount)},
            {"sigPin", base64url(sigPin)}, {"userInput", userInput}};
  if (!pushToken.empty()) j["pushToken"] = pushToken;
  if (!bioPk.empty()) {
    j["bioPk"] = base64url(bioPk);
    j["sigBio"] = base64url(sigBio);
  }
  if (pinCheck) {
    j["checkAccountId"] = pinCheck->accountId;
    j["sigCheckAccount"] = base64url(pinCheck->sigAccount);
    j["sigCheckPin"] = base64url(pinCheck->sigPin);
  }
  return {"/v1/enrol", j.dump()};
}

Bytes codeCommitment(const Bytes& sessionId, const std::string& code) {
  Bytes c = toBytes(code);
  return crypto::hash({&kCodeDomain, &sessionId, &c});
}

Bytes transactionSigningInput(const std::string& transactionId, const Bytes& rpSession, const std::string& transactionText) {
  Bytes tidHash = crypto::hash(toBytes(transactionId));
  Bytes t = toBytes(transactionText);
  return concat({&kTransactionDomain, &tidHash, &rpSession, &t});
}

Exchange loginRequest(const Bytes& sessionId, std::int64_t accountId, const std::string& userInput,
                      const Bytes& sigAccount, const Bytes& sigPin, const LoginExtras& extras) {
  json j = {{"v", kProtocolVersion},
            {"session", base64url(sessionId)},
            {"accountId", accountId},
            {"userInput", userInput},
            {"factor", !sigPin.empty() ? "PIN" : !extras.sigBio.empty() ? "BIOMETRIC" : "NONE"},
            {"sigAccount", base64url(sigAccount)}};
  if (!sigPin.empty()) j["sigPin"] = base64url(sigPin);
  if (!extras.sigBio.empty()) j["sigBio"] = base64url(extras.sigBio);
  if (!extras.code.empty()) j["code"] = extras.code;
  if (!extras.sigTransaction.empty()) j["sigTransaction"] = base64url(extras.sigTransaction);
  return {"/v1/login", j.dump()};
}

Exchange cancelRequest(const Bytes& sessionId, const Bytes& t1) {
  json j = {{"v", kProtocolVersion}, {"session", base64url(sessionId)}, {"proof", base64url(cancelProof(t1))}};
  return {"/v1/cancel", j.dump()};
}

Bytes cancelProof(const Bytes& t1) { return crypto::hash({&kCancelDomain, &t1}); }

Exchange logoutRequest(const Bytes& sessionId, std::int64_t accountId, const Bytes& sigAccount) {
  json j = {{"v", kProtocolVersion},
            {"session", base64url(sessionId)},
            {"accountId", accountId},
            {"sigAccount", base64url(sigAccount)}};
  return {"/v1/logout", j.dump()};
}

Exchange appLoginRequest(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce, const Bytes& sigAccount) {
  return {"/v1/applogin", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"time", time},
                                {"nonce", base64url(deviceNonce)}, {"sigAccount", base64url(sigAccount)}})};
}

Bytes appLoginProofMessage(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce) {
  Bytes id = int64Bytes(accountId), t = int64Bytes(time);
  return concat({&kAppLoginDomain, &id, &t, &deviceNonce});
}

Result<AppLoginResponse> parseAppLoginResponse(const std::string& body) {
  auto j = parseObject(body);
  if (!j) return bad("applogin response is not an object");
  auto session = str(*j, "session");
  auto sessionId = session ? fromBase64url(*session) : std::nullopt;
  auto webNonce = strAtMost(*j, "webNonce", limits::kMaxWebNonceBytes);
  auto params = serverParams(*j);
  auto time = integerIn(*j, "time", limits::kMinTime, limits::kMaxTime);
  if (!sessionId || sessionId->size() != kSessionIdSize || !webNonce || webNonce->empty() || !params || !time) {
    return bad("applogin response is malformed");
  }
  return AppLoginResponse{*sessionId, *webNonce, *params, *time};
}

const char* requiredFactorName(RequiredFactor f) {
  switch (f) {
    case RequiredFactor::Pin: return "PIN";
    case RequiredFactor::Biometric: return "BIOMETRIC";
    case RequiredFactor::Any: break;
  }
  return "ANY";
}

std::optional<RequiredFactor> requiredFactorFromName(const std::string& name) {
  for (auto f : {RequiredFactor::Any, RequiredFactor::Pin, RequiredFactor::Biometric}) {
    if (name == requiredFactorName(f)) return f;
  }
  return std::nullopt;
}

Exchange appTransactionRequest(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce, RequiredFactor factor,
                               const std::string& clientAdditionalData, const Bytes& sigAccount) {
  return {"/v1/transaction", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"time", time},
                                   {"nonce", base64url(deviceNonce)}, {"secondFactor", requiredFactorName(factor)},
                                   {"clientAdditionalData", clientAdditionalData}, {"sigAccount", base64url(sigAccount)}})};
}

Bytes appTransactionProofMessage(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce, RequiredFactor factor,
                                 const std::string& clientAdditionalData) {
  Bytes id = int64Bytes(accountId), t = int64Bytes(time), f{static_cast<std::uint8_t>(factor)};
  Bytes data = crypto::hash(toBytes(clientAdditionalData));
  return concat({&kAppTransactionDomain, &id, &t, &deviceNonce, &f, &data});
}

Result<AppTransactionResponse> parseAppTransactionResponse(const std::string& body) {
  auto j = parseObject(body);
  if (!j) return bad("transaction response is not an object");
  auto session = str(*j, "session");
  auto sessionId = session ? fromBase64url(*session) : std::nullopt;
  auto tx = j->find("transaction");
  const bool txObject = tx != j->end() && tx->is_object();
  auto tid = txObject ? strAtMost(*tx, "tid", limits::kMaxTransactionIdBytes) : std::nullopt;
  auto rpSession = txObject ? str(*tx, "rpSession") : std::nullopt;
  auto rpSessionBytes = rpSession ? fromBase64url(*rpSession) : std::nullopt;
  auto txText = txObject ? strAtMost(*tx, "text", limits::kMaxClientAdditionalDataBytes) : std::nullopt;
  auto params = serverParams(*j);
  auto time = integerIn(*j, "time", limits::kMinTime, limits::kMaxTime);
  if (!sessionId || sessionId->size() != kSessionIdSize || !tid || tid->empty() || !txText || !rpSessionBytes ||
      rpSessionBytes->size() != crypto::kHashSize || !params || !time) {
    return bad("transaction response is malformed");
  }
  return AppTransactionResponse{*sessionId, *tid, *rpSessionBytes, *txText, *params, *time};
}

Exchange pingRequest(const Bytes& sessionId, std::int64_t accountId, const Bytes& sigAccount) {
  json j = {{"v", kProtocolVersion},
            {"session", base64url(sessionId)},
            {"accountId", accountId},
            {"sigAccount", base64url(sigAccount)}};
  return {"/v1/ping", j.dump()};
}

Bytes pingProofMessage(const Transcript& t) { return concat({&kPingDomain, &t.hash()}); }

Result<PingStatus> parsePingResponse(const std::string& body) {
  auto j = parseObject(body);
  auto status = j ? str(*j, "status") : std::nullopt;
  if (status == "ACTIVE") return PingStatus::Active;
  if (status == "LOGGED_OUT") return PingStatus::LoggedOut;
  return bad("ping response has no valid status");
}

Exchange pinChallengeRequest(std::int64_t accountId) {
  json j = {{"v", kProtocolVersion}, {"accountId", accountId}};
  return {"/v1/pincheck/challenge", j.dump()};
}

Exchange pinCheckRequest(std::int64_t accountId, const Bytes& challenge, const Bytes& sigAccount, const Bytes& sigPin) {
  json j = {{"v", kProtocolVersion},
            {"accountId", accountId},
            {"challenge", base64url(challenge)},
            {"sigAccount", base64url(sigAccount)},
            {"sigPin", base64url(sigPin)}};
  return {"/v1/pincheck", j.dump()};
}

Bytes pinCheckProofMessage(const Bytes& challenge) { return concat({&kPinCheckDomain, &challenge}); }

Exchange factorChangeRequest(std::int64_t accountId, const Bytes& challenge, FactorChange change, const Bytes& newPk,
                             const FactorProofs& proofs) {
  static constexpr const char* kChangeNames[] = {"", "PIN", "ADD_BIOMETRIC", "REMOVE_BIOMETRIC"};
  json j = {{"v", kProtocolVersion},
            {"accountId", accountId},
            {"challenge", base64url(challenge)},
            {"change", kChangeNames[static_cast<int>(change)]},
            {"sigAccount", base64url(proofs.sigAccount)}};
  if (!newPk.empty()) j["newPk"] = base64url(newPk);
  if (!proofs.sigPin.empty()) j["sigPin"] = base64url(proofs.sigPin);
  if (!proofs.sigBio.empty()) j["sigBio"] = base64url(proofs.sigBio);
  if (!proofs.sigNew.empty()) j["sigNew"] = base64url(proofs.sigNew);
  return {"/v1/factors", text(j)};
}

Bytes factorChangeProofMessage(const Bytes& challenge, FactorChange change, const Bytes& newPk) {
  const Bytes kind{static_cast<std::uint8_t>(change)};
  return concat({&kFactorsDomain, &challenge, &kind, &newPk});
}

Exchange pinCommitRequest(std::int64_t accountId, const Bytes& pinPk, const Bytes& sigAccount) {
  return {"/v1/factors/commit", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"pinPk", base64url(pinPk)},
                                      {"sigAccount", base64url(sigAccount)}})};
}

Bytes pinCommitProofMessage(std::int64_t accountId, const Bytes& pinPk) {
  Bytes id = int64Bytes(accountId);
  return concat({&kPinCommitDomain, &id, &pinPk});
}

Bytes enrolProofMessage(const Transcript& t, const std::string& userInput) {
  Bytes inputHash = crypto::hash(toBytes(userInput));
  return concat({&kEnrolDomain, &t.hash(), &inputHash});
}
Bytes enrolPinCheckProofMessage(const Transcript& t) { return concat({&kEnrolPinCheckDomain, &t.hash()}); }
Bytes loginProofMessage(const Transcript& t, LoginFactor factor, const std::string& userInput, const std::string& code) {
  Bytes factorByte{static_cast<std::uint8_t>(factor)};
  Bytes inputHash = crypto::hash(toBytes(userInput));
  Bytes codeHash = crypto::hash(toBytes(code));
  return concat({&kLoginDomain, &t.hash(), &factorByte, &inputHash, &codeHash});
}
Bytes logoutProofMessage(const Bytes& t1) { return concat({&kLogoutDomain, &t1}); }

Result<std::string> openResponse(const Bytes& serverPk, const Transcript& t, const std::string& request,
                                 int httpStatus, const std::string& response) {
  auto envelope = parseObject(response);
  auto body = envelope ? str(*envelope, "body") : std::nullopt;
  auto sigText = envelope ? str(*envelope, "sig") : std::nullopt;
  if (!body || !sigText) return unsignedFailure(httpStatus, response);
  if (!verifiesWithPinned(*envelope, serverPk, responseSigningInput(t, request, *body))) {
    return makeError(ErrorCode::SERVER_AUTHENTICATION_ERROR, "server signature does not verify for this session");
  }
  auto parsed = parseObject(*body);
  if (!parsed) return bad("signed body is not a JSON object");
  if (auto err = parsed->find("error"); err != parsed->end()) {
    std::int64_t code = err->is_object() ? integer(*err, "code").value_or(0) : 0;
    std::string message = err->is_object() ? str(*err, "message").value_or("") : "";
    return makeError(errorFromServerCode(code), message.empty() ? "server error " + std::to_string(code) : message);
  }
  return *body;
}

Result<StartResponse> parseStartResponse(const std::string& body) {
  auto j = parseObject(body);
  if (!j) return bad("start response is not an object");
  StartResponse r;
  auto kind = str(*j, "kind");
  if (kind == "login") r.kind = QrType::Login;
  else if (kind == "enrol") r.kind = QrType::Enrol;
  else return bad("start response has no valid kind");
  auto params = serverParams(*j);
  auto time = integerIn(*j, "time", limits::kMinTime, limits::kMaxTime);
  if (!params || !time) return bad("start response has malformed or out-of-range server parameters");
  r.server = *params;
  r.serverTime = *time;
  auto announceInfo = infoBlock(*j, "announceInfo");
  if (!announceInfo) return bad("start response announceInfo is too large or too deep");
  r.announceInfo = std::move(*announceInfo);
  r.secondFactorRequired = str(*j, "secondFactor") == "required";
  if (auto tx = j->find("transaction"); tx != j->end()) {
    auto tid = tx->is_object() ? strAtMost(*tx, "tid", limits::kMaxTransactionIdBytes) : std::nullopt;
    auto rpSession = tx->is_object() ? str(*tx, "rpSession") : std::nullopt;
    auto rpSessionBytes = rpSession ? fromBase64url(*rpSession) : std::nullopt;
    auto txText = tx->is_object() ? strAtMost(*tx, "text", limits::kMaxTransactionTextBytes) : std::nullopt;
    auto details = txText ? parseObject(*txText) : std::nullopt;
    if (!tid || tid->empty() || !details || !rpSessionBytes || rpSessionBytes->size() != crypto::kHashSize) {
      return bad("start response has a malformed or oversized transaction");
    }
    for (const char* key : {"amount", "beneficiary", "description"}) {
      if (!str(*details, key)) return bad("transaction lacks its " + std::string(key));
    }
    r.transaction = TransactionToApprove{*tid, *rpSessionBytes, *txText,
                                         {{"tid", *tid},
                                          {"amount", (*details)["amount"]},
                                          {"beneficiary", (*details)["beneficiary"]},
                                          {"description", (*details)["description"]}}};
  }
  if (auto length = j->find("codeLength"); length != j->end()) {
    auto commitment = str(*j, "codeCommitment");
    auto bytes = commitment ? fromBase64url(*commitment) : std::nullopt;
    // At least two digits: a typed code a random guess matches at most once in a hundred.
    if (!length->is_number_integer() || length->get<std::int64_t>() < limits::kMinCodeLength ||
        length->get<std::int64_t>() > limits::kMaxCodeLength || !bytes || bytes->size() != crypto::kHashSize) {
      return bad("start response has malformed code matching");
    }
    r.codeMatching = CodeMatching{static_cast<int>(length->get<std::int64_t>()), *bytes};
  }
  if (auto origins = j->find("returnOrigins"); origins != j->end()) {
    if (!origins->is_array() || origins->size() > limits::kMaxReturnOrigins) {
      return bad("start response returnOrigins is not an array of at most " + std::to_string(limits::kMaxReturnOrigins));
    }
    for (const auto& o : *origins) {
      if (!o.is_string() || !url::isWebOrigin(o.get<std::string>())) return bad("start response has a malformed return origin");
      r.returnOrigins.push_back(o.get<std::string>());
    }
  }
  if (r.kind == QrType::Enrol) {
    auto userId = optionalStr(*j, "userId", limits::kMaxNameBytes);
    auto name = optionalStr(*j, "name", limits::kMaxNameBytes);
    if (!userId || !name) return bad("start response has a malformed or oversized userId or name");
    r.enrolUserId = std::move(*userId);
    r.enrolName = std::move(*name);
  }
  return r;
}

Result<VerifyResponse> parseVerifyResponse(const std::string& body, bool enrol) {
  auto j = parseObject(body);
  if (!j) return bad("verify response is not an object");
  VerifyResponse r;
  auto result = str(*j, "result");
  if (result == "SUCCESS") {
    r.outcome = VerifyOutcome::Success;
    auto sessionInfo = infoBlock(*j, "sessionInfo");
    if (!sessionInfo) return bad("verify response sessionInfo is too large or too deep");
    r.sessionInfo = std::move(*sessionInfo);
    if (j->contains("pingTime")) {
      auto ping = integerIn(*j, "pingTime", 0, limits::kMaxPingTimeSeconds);
      if (!ping) return bad("verify response has an out-of-range pingTime");
      r.pingTime = *ping;
    }
    if (j->contains("lastLogin")) {
      auto last = integerIn(*j, "lastLogin", limits::kMinTime, limits::kMaxTime);
      if (!last) return bad("verify response has an out-of-range lastLogin");
      r.lastLogin = *last;
    }
    if (enrol) {
      // The app names accounts by this id: it must be one JavaScript can hold exactly.
      auto id = integerIn(*j, "accountId", limits::kMinAccountId, limits::kMaxAccountId);
      if (!id) return bad("enrol response has no valid account id (1 .. 2^53 - 1)");
      r.accountId = *id;
      auto userId = optionalStr(*j, "userId", limits::kMaxNameBytes);
      if (!userId) return bad("enrol response has a malformed or oversized userId");
      r.userId = std::move(*userId);
    }
  } else if (result == "PIN_FAIL") {
    r.outcome = VerifyOutcome::PinFail;
    auto left = integerIn(*j, "attemptsLeft", 1, limits::kMaxPinAttemptLimit);
    if (!left) return bad("PIN_FAIL without a valid attemptsLeft");
    r.attemptsLeft = static_cast<int>(*left);
  } else if (result == "PIN_BLOCKED") {
    r.outcome = VerifyOutcome::PinBlocked;
  } else if (result == "BIOMETRIC_FAIL" && !enrol) {
    r.outcome = VerifyOutcome::BiometricFail;
  } else if (result == "SECOND_FACTOR_REQUIRED" && !enrol) {
    r.outcome = VerifyOutcome::SecondFactorRequired;
  } else {
    return bad("verify response has no valid result");
  }
  return r;
}

Result<Bytes> parsePinChallenge(int httpStatus, const std::string& body) {
  if (httpStatus < 200 || httpStatus >= 300) return unsignedFailure(httpStatus);
  auto j = parseObject(body);
  auto text = j ? str(*j, "challenge") : std::nullopt;
  auto challenge = text ? fromBase64url(*text) : std::nullopt;
  if (!challenge || challenge->size() != 32) return bad("pin challenge response has no 32-byte challenge");
  return *challenge;
}

Result<ServerMessage> openServerMessage(const Bytes& signedMessage, const Bytes& serverPk) {
  auto envelope = parseObject(toString(signedMessage));
  auto body = envelope ? str(*envelope, "body") : std::nullopt;
  auto sigText = envelope ? str(*envelope, "sig") : std::nullopt;
  if (!body || !sigText) return bad("message is not a signed envelope");
  Bytes bodyBytes = toBytes(*body);
  const Bytes signedBytes = concat({&kMessageDomain, &bodyBytes});
  if (!verifiesWithPinned(*envelope, serverPk, signedBytes)) {
    return makeError(ErrorCode::SERVER_AUTHENTICATION_ERROR, "message signature does not verify");
  }
  auto j = parseObject(*body);
  if (!j) return bad("message body is not an object");
  ServerMessage m;
  auto id = str(*j, "id");
  auto kind = str(*j, "kind");
  auto serverId = str(*j, "serverId");
  auto accountId = integerIn(*j, "accountId", limits::kMinAccountId, limits::kMaxAccountId);
  auto time = integerIn(*j, "time", limits::kMinTime, limits::kMaxTime);
  auto expires = integerIn(*j, "expires", limits::kMinTime, limits::kMaxTime);
  auto sid = serverId ? fromBase64url(*serverId) : std::nullopt;
  auto rawId = id ? fromBase64url(*id) : std::nullopt;
  if (!rawId || rawId->size() != 16 || !sid || !accountId || !time || !expires) return bad("message lacks its header");
  // The device remembers the id until `expires`: a far expiry would keep it in the state for good.
  // (An expiry before `time` is merely expired.)
  // A rekey lives as long as the rotation's overlap, so an app offline for days still gets it.
  const std::int64_t maxLifetime = kind == "rekey" ? limits::kMaxRekeyLifetimeMs : limits::kMaxMessageLifetimeMs;
  if (*expires - *time > maxLifetime) return bad("message expiry is too far after its time");
  m.id = *id;
  m.serverId = *sid;
  m.accountId = *accountId;
  m.time = *time;
  m.expires = *expires;
  if (kind == "login") {
    auto qr = str(*j, "qr");
    auto bytes = qr ? fromBase64url(*qr) : std::nullopt;
    if (!bytes) return bad("login message has no QR payload");
    m.kind = MessageKind::Login;
    m.qr = *bytes;
    auto start = j->find("start");
    if (start != j->end() && !start->is_string()) return bad("login message start is not a string");
    if (start != j->end()) m.start = start->get<std::string>();
  } else if (kind == "logout") {
    auto session = str(*j, "session");
    auto bytes = session ? fromBase64url(*session) : std::nullopt;
    if (!bytes || bytes->size() != kSessionIdSize) return bad("logout message has no session");
    m.kind = MessageKind::Logout;
    m.session = *bytes;
  } else if (kind == "delete") {
    m.kind = MessageKind::Delete;
  } else if (kind == "rekey") {
    auto pkText = str(*j, "pk");
    auto pk = pkText ? fromBase64url(*pkText) : std::nullopt;
    if (!pk || pk->size() != crypto::kSignPublicKeySize) return bad("rekey message has no 32-byte key");
    // Proof of possession: the new key itself signs this message (`sig`), the pinned one vouched
    // for it above (`sigPrev`). A key nobody holds the secret of is never pinned.
    auto sig = fromBase64url(*sigText);
    if (!sig || !crypto::verify(*pk, signedBytes, *sig)) {
      return makeError(ErrorCode::SERVER_AUTHENTICATION_ERROR, "rekey message is not signed by its new key");
    }
    m.kind = MessageKind::Rekey;
    m.newKey = std::move(*pk);
  } else if (kind == "message") {
    m.kind = MessageKind::Note;
    auto note = optionalStr(*j, "text", limits::kMaxMessageTextBytes);
    auto data = infoBlock(*j, "data");
    if (!note || !data) return bad("message text or data is malformed or too large");
    m.note = {{"text", std::move(*note)}, {"data", std::move(*data)}};
  } else {
    return bad("unknown message kind");
  }
  return m;
}

std::string signServerMessage(const SecretBytes& serverSk, const std::string& body, const SecretBytes* previousSk) {
  Bytes bodyBytes = toBytes(body);
  const Bytes message = concat({&kMessageDomain, &bodyBytes});
  json envelope = {{"body", body}, {"sig", base64url(crypto::sign(serverSk, message))}};
  if (previousSk) envelope["sigPrev"] = base64url(crypto::sign(*previousSk, message));
  return text(envelope);
}

Exchange messagesRequest(std::int64_t accountId, const Bytes& nonce, const Bytes& sigAccount) {
  return {"/v1/messages", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"nonce", base64url(nonce)},
                                {"sigAccount", base64url(sigAccount)}})};
}

Bytes messagesProofMessage(const Bytes& nonce) { return concat({&kMessagesDomain, &nonce}); }

Result<std::vector<Bytes>> parseMessagesResponse(const std::string& body) {
  auto j = parseObject(body);
  if (!j || !j->contains("messages") || !(*j)["messages"].is_array()) return bad("messages response has no list");
  if ((*j)["messages"].size() > limits::kMaxPulledMessages) return bad("messages response has too many messages");
  std::vector<Bytes> out;
  for (const auto& item : (*j)["messages"]) {
    auto bytes = item.is_string() ? fromBase64url(item.get<std::string>()) : std::nullopt;
    if (!bytes) return bad("messages response has a malformed entry");
    out.push_back(std::move(*bytes));
  }
  return out;
}

Exchange pushTokenRequest(std::int64_t accountId, const std::string& token, std::int64_t time, const Bytes& nonce,
                          const Bytes& sigAccount) {
  return {"/v1/pushtoken", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"token", token}, {"time", time},
                                 {"nonce", base64url(nonce)}, {"sigAccount", base64url(sigAccount)}})};
}

Bytes pushTokenProofMessage(std::int64_t accountId, std::int64_t time, const Bytes& nonce, const std::string& token) {
  Bytes id = int64Bytes(accountId), at = int64Bytes(time), t = toBytes(token);
  return concat({&kPushTokenDomain, &id, &at, &nonce, &t});
}

Exchange deleteAccountRequest(std::int64_t accountId, const Bytes& nonce, const Bytes& sigAccount) {
  return {"/v1/account/delete", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"nonce", base64url(nonce)},
                                      {"sigAccount", base64url(sigAccount)}})};
}

Bytes deleteAccountProofMessage(std::int64_t accountId, const Bytes& nonce) {
  Bytes id = int64Bytes(accountId);
  return concat({&kDeleteDomain, &id, &nonce});
}

std::string sealResponse(const SecretBytes& serverSk, const Transcript& t, const std::string& request,
                         const std::string& body, const SecretBytes* previousSk) {
  const Bytes input = responseSigningInput(t, request, body);
  json envelope = {{"body", body}, {"sig", base64url(crypto::sign(serverSk, input))}};
  if (previousSk) envelope["sigPrev"] = base64url(crypto::sign(*previousSk, input));
  return envelope.dump();
}

// A link the app may open (§5.1): https:, or http: to this machine (a relying party in development).
bool isLink(const std::string& text) {
  if (url::isWebUrl(text, url::Schemes::HttpsOnly)) return true;
  if (!url::isWebUrl(text)) return false;
  for (const char* local : {"http://localhost", "http://127.0.0.1", "http://[::1]"}) {
    const std::string_view prefix(local);
    if (text.compare(0, prefix.size(), prefix) != 0) continue;
    if (text.size() == prefix.size() || text[prefix.size()] == ':' || text[prefix.size()] == '/' || text[prefix.size()] == '?') return true;
  }
  return false;
}

bool ServerParams::has(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

}  // namespace tapgate::wire
