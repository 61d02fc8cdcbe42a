#include "wire.hpp"

#include <climits>

#include "crypto.hpp"
#include "json_reader.hpp"

namespace tapgate::wire {
namespace {

const Bytes kTranscriptDomain = toBytes("tapgate/v1/transcript");
const Bytes kResponseDomain = toBytes("tapgate/v1/response");
const Bytes kEnrolDomain = toBytes("tapgate/v1/enrol");
const Bytes kLoginDomain = toBytes("tapgate/v1/login");
const Bytes kLogoutDomain = toBytes("tapgate/v1/logout");
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

Bytes int64Bytes(std::int64_t v) {  // big-endian, for signed inputs
  Bytes out(8);
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<std::uint8_t>(v & 0xff);
  return out;
}

std::string text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

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

// Info blocks are maps of display strings; anything else is dropped rather than shown.
json infoBlock(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return *it;
}

// A 32 KiB image as a data: URL, with room to spare; the server allows at most 32 KiB.
constexpr std::size_t kMaxLogoChars = 48 * 1024;

std::optional<ServerParams> serverParams(const json& j) {
  auto server = j.find("server");
  if (server == j.end() || !server->is_object()) return std::nullopt;
  auto name = str(*server, "name");
  auto ping = integer(*server, "pingTime");
  auto pinTimeout = integer(*server, "pinTimeout");
  auto limit = integer(*server, "pinAttemptLimit");
  if (!name || !ping || !pinTimeout || !limit || *ping < 0 || *limit < 1) return std::nullopt;
  // The logo is optional; when present it is a string the app shows as an image (§5.1).
  std::string logo;
  if (auto it = server->find("logo"); it != server->end() && !it->is_null()) {
    if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxLogoChars) return std::nullopt;
    logo = it->get<std::string>();
  }
  return ServerParams{*name, *ping, *pinTimeout, *limit, std::move(logo)};
}

ErrorCode errorFromServerCode(std::int64_t code) {
  switch (code) {
    case 41: return ErrorCode::ENROL_QR_EXPIRED;
    case 48: return ErrorCode::SERVER_AUTHENTICATION_FAILED;
    case 52: return ErrorCode::SERVER_AUTHENTICATION_FAILED;
    case 53: return ErrorCode::SESSION_NOT_FOUND;
    case 55: return ErrorCode::ACCOUNT_NOT_ALLOWED;
    case 60: return ErrorCode::PIN_BLOCKED;
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
  return {"/v1/start", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Exchange enrolRequest(const Bytes& sessionId, const Bytes& accountPk, const Bytes& boxPk, const Bytes& pinPk,
                      const Bytes& sigAccount, const Bytes& sigPin, const std::string& pushToken,
                      const Bytes& bioPk, const Bytes& sigBio, const std::optional<EnrolPinCheck>& pinCheck) {
  json j = {{"v", kProtocolVersion},       {"session", base64url(sessionId)}, {"accountPk", base64url(accountPk)},
            {"boxPk", base64url(boxPk)},   {"pinPk", base64url(pinPk)},       {"sigAccount", base64url(sigAccount)},
            {"sigPin", base64url(sigPin)}};
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
  return {"/v1/enrol", j.dump(-1, ' ', false, json::error_handler_t::replace)};
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
  return {"/v1/login", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Exchange cancelRequest(const Bytes& sessionId) {
  json j = {{"v", kProtocolVersion}, {"session", base64url(sessionId)}};
  return {"/v1/cancel", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Exchange logoutRequest(const Bytes& sessionId, std::int64_t accountId, const Bytes& sigAccount) {
  json j = {{"v", kProtocolVersion},
            {"session", base64url(sessionId)},
            {"accountId", accountId},
            {"sigAccount", base64url(sigAccount)}};
  return {"/v1/logout", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Exchange appLoginRequest(std::int64_t accountId, const Bytes& deviceNonce, const Bytes& sigAccount) {
  return {"/v1/applogin", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"nonce", base64url(deviceNonce)},
                                {"sigAccount", base64url(sigAccount)}})};
}

Bytes appLoginProofMessage(std::int64_t accountId, const Bytes& deviceNonce) {
  Bytes id = int64Bytes(accountId);
  return concat({&kAppLoginDomain, &id, &deviceNonce});
}

Result<AppLoginResponse> parseAppLoginResponse(const std::string& body) {
  auto j = parseObject(body);
  if (!j) return bad("applogin response is not an object");
  auto session = str(*j, "session");
  auto sessionId = session ? fromBase64url(*session) : std::nullopt;
  auto webNonce = str(*j, "webNonce");
  auto params = serverParams(*j);
  auto time = integer(*j, "time");
  if (!sessionId || sessionId->size() != kSessionIdSize || !webNonce || webNonce->empty() || !params || !time) {
    return bad("applogin response is malformed");
  }
  return AppLoginResponse{*sessionId, *webNonce, *params, *time};
}

Exchange pingRequest(const Bytes& sessionId, std::int64_t accountId, const Bytes& sigAccount) {
  json j = {{"v", kProtocolVersion},
            {"session", base64url(sessionId)},
            {"accountId", accountId},
            {"sigAccount", base64url(sigAccount)}};
  return {"/v1/ping", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Bytes pingProofMessage(const Transcript& t) { return concat({&kPingDomain, &t.hash()}); }

Result<PingStatus> parsePingResponse(const std::string& body) {
  auto j = parseObject(body);
  auto status = j ? str(*j, "status") : std::nullopt;
  if (status == "ACTIVE") return PingStatus::Active;
  if (status == "LOGGED_OUT") return PingStatus::LoggedOut;
  return bad("ping response has no valid status");
}

Exchange pinChallengeRequest(std::int64_t accountId, const Bytes& deviceNonce) {
  json j = {{"v", kProtocolVersion}, {"accountId", accountId}, {"nonce", base64url(deviceNonce)}};
  return {"/v1/pincheck/challenge", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Exchange pinCheckRequest(std::int64_t accountId, const Bytes& challenge, const Bytes& sigAccount, const Bytes& sigPin) {
  json j = {{"v", kProtocolVersion},
            {"accountId", accountId},
            {"challenge", base64url(challenge)},
            {"sigAccount", base64url(sigAccount)},
            {"sigPin", base64url(sigPin)}};
  return {"/v1/pincheck", j.dump(-1, ' ', false, json::error_handler_t::replace)};
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

Bytes enrolProofMessage(const Transcript& t) { return concat({&kEnrolDomain, &t.hash()}); }
Bytes enrolPinCheckProofMessage(const Transcript& t) { return concat({&kEnrolPinCheckDomain, &t.hash()}); }
Bytes loginProofMessage(const Transcript& t, LoginFactor factor, const std::string& userInput, const std::string& code) {
  Bytes factorByte{static_cast<std::uint8_t>(factor)};
  Bytes inputHash = crypto::hash(toBytes(userInput));
  Bytes codeHash = crypto::hash(toBytes(code));
  return concat({&kLoginDomain, &t.hash(), &factorByte, &inputHash, &codeHash});
}
Bytes logoutProofMessage(const Bytes& sessionId) { return concat({&kLogoutDomain, &sessionId}); }

Result<std::string> openResponse(const Bytes& serverPk, const Transcript& t, const std::string& request,
                                 int httpStatus, const std::string& response) {
  auto envelope = parseObject(response);
  auto body = envelope ? str(*envelope, "body") : std::nullopt;
  auto sigText = envelope ? str(*envelope, "sig") : std::nullopt;
  if (!body || !sigText) {
    if (httpStatus < 200 || httpStatus >= 300) {
      return makeError(ErrorCode::SERVER_UNKNOWN_ERROR, "server answered HTTP " + std::to_string(httpStatus));
    }
    return bad("response is not a signed envelope");
  }
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
  auto time = integer(*j, "time");
  if (!params || !time) return bad("start response has malformed server parameters");
  r.server = *params;
  r.serverTime = *time;
  r.announceInfo = infoBlock(*j, "announceInfo");
  r.secondFactorRequired = str(*j, "secondFactor") == "required";
  if (auto tx = j->find("transaction"); tx != j->end()) {
    auto tid = tx->is_object() ? str(*tx, "tid") : std::nullopt;
    auto rpSession = tx->is_object() ? str(*tx, "rpSession") : std::nullopt;
    auto rpSessionBytes = rpSession ? fromBase64url(*rpSession) : std::nullopt;
    auto txText = tx->is_object() ? str(*tx, "text") : std::nullopt;
    auto details = txText ? parseObject(*txText) : std::nullopt;
    if (!tid || !details || !rpSessionBytes || rpSessionBytes->size() != crypto::kHashSize) {
      return bad("start response has a malformed transaction");
    }
    for (const char* key : {"amount", "beneficiary", "description"}) {
      if (!str(*details, key)) return bad("transaction lacks its " + std::string(key));
    }
    r.transactionId = *tid;
    r.transactionRpSession = *rpSessionBytes;
    r.transactionText = *txText;
    r.transaction = {{"tid", *tid}, {"amount", (*details)["amount"]}, {"beneficiary", (*details)["beneficiary"]},
                     {"description", (*details)["description"]}};
  }
  if (auto length = j->find("codeLength"); length != j->end()) {
    auto commitment = str(*j, "codeCommitment");
    auto bytes = commitment ? fromBase64url(*commitment) : std::nullopt;
    // At least two digits: a typed code a random guess matches at most once in a hundred.
    if (!length->is_number_integer() || length->get<std::int64_t>() < kMinCodeLength ||
        length->get<std::int64_t>() > kMaxCodeLength || !bytes || bytes->size() != crypto::kHashSize) {
      return bad("start response has malformed code matching");
    }
    r.codeLength = static_cast<int>(length->get<std::int64_t>());
    r.codeCommitment = *bytes;
  }
  if (r.kind == QrType::Enrol) {
    r.enrolUserId = str(*j, "userId").value_or("");
    r.enrolName = str(*j, "name").value_or("");
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
    r.sessionInfo = infoBlock(*j, "sessionInfo");
    r.pingTime = integer(*j, "pingTime").value_or(0);
    if (enrol) {
      auto id = integer(*j, "accountId");
      if (!id) return bad("enrol response has no account id");
      r.accountId = *id;
      r.userId = str(*j, "userId").value_or("");
    }
  } else if (result == "PIN_FAIL") {
    r.outcome = VerifyOutcome::PinFail;
    auto left = integer(*j, "attemptsLeft");
    if (!left || *left < 1 || *left > INT_MAX) return bad("PIN_FAIL without a valid attemptsLeft");
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

Result<Bytes> parsePinChallenge(const std::string& body) {
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
  auto accountId = integer(*j, "accountId");
  auto time = integer(*j, "time");
  auto expires = integer(*j, "expires");
  auto sid = serverId ? fromBase64url(*serverId) : std::nullopt;
  auto rawId = id ? fromBase64url(*id) : std::nullopt;
  if (!rawId || rawId->size() != 16 || !sid || !accountId || !time || !expires) return bad("message lacks its header");
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
    m.note = {{"text", str(*j, "text").value_or("")}, {"data", infoBlock(*j, "data")}};
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
  std::vector<Bytes> out;
  for (const auto& item : (*j)["messages"]) {
    auto bytes = item.is_string() ? fromBase64url(item.get<std::string>()) : std::nullopt;
    if (!bytes) return bad("messages response has a malformed entry");
    out.push_back(std::move(*bytes));
  }
  return out;
}

Exchange pushTokenRequest(std::int64_t accountId, const std::string& token, const Bytes& sigAccount) {
  return {"/v1/pushtoken", text({{"v", kProtocolVersion}, {"accountId", accountId}, {"token", token},
                                 {"sigAccount", base64url(sigAccount)}})};
}

Bytes pushTokenProofMessage(std::int64_t accountId, const std::string& token) {
  Bytes id = int64Bytes(accountId), t = toBytes(token);
  return concat({&kPushTokenDomain, &id, &t});
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
  return envelope.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace tapgate::wire
