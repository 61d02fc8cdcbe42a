// Transactions the app starts (docs/protocol.md §5.12): the app asks, for one of its accounts, the
// server to create a transaction carrying its clientAdditionalData and the second factor the
// approval requires; the account key signs the request over a fresh time and nonce, so a replay
// creates nothing. The approval then runs on the login session the server opened, like a
// relying party's transaction: the second factor (always asked, of the required type) and the
// account key's signature over the transaction.
#include "crypto.hpp"
#include "engine.hpp"
#include "limits.hpp"

namespace tapgate {

StartResult Engine::startTransaction(const AccountRef& ref, const std::string& clientAdditionalData,
                                     wire::RequiredFactor factor, std::int64_t now) {
  const Entry entry(*this);
  const int id = newSession(now);
  Session& s = sessions_[id];
  s.requiredFactor = factor;
  s.clientAdditionalData = clientAdditionalData;
  const auto refuse = [&](ErrorCode code, const std::string& message) {
    Error e = makeError(code, message);
    fault(s, e, now);
    return StartResult{id, e};
  };
  const Account* a = state_.account(ref.serverId, ref.accountId);
  if (!a) return refuse(ErrorCode::UNKNOWN_ACCOUNT, "no such account");
  if (clientAdditionalData.size() > limits::kMaxClientAdditionalDataBytes) {
    return refuse(ErrorCode::INVALID_ARGUMENT,
                  "clientAdditionalData has at most " + std::to_string(limits::kMaxClientAdditionalDataBytes) + " bytes");
  }
  const ServerRecord& server = *state_.server(a->serverId);
  s.chosen = ref;
  s.candidates = {ref};
  s.serverPk = server.publicKey;
  s.serverUrl = server.url;
  s.params = server.params;
  s.qr.serverId = a->serverId;
  if (factor == wire::RequiredFactor::Biometric && !biometricAllowed(s, now)) {
    return refuse(ErrorCode::INVALID_ARGUMENT, "the biometric is not available for this account: it cannot approve");
  }
  const Bytes nonce = crypto::randomBytes(32);
  const std::int64_t time = serverNow(server, now);  // with the nonce: the server refuses a replay
  s.transcript = wire::Transcript::begin(nonce);
  const Bytes proof = wire::appTransactionProofMessage(a->accountId, time, nonce, factor, clientAdditionalData);
  send(s, wire::appTransactionRequest(a->accountId, time, nonce, factor, clientAdditionalData, crypto::sign(a->signSecretKey, proof)),
       Pending::Purpose::AppTransactionStart);
  return {id, std::nullopt};
}

void Engine::handleAppTransactionStart(Session& s, const std::string& request, const std::string& body, std::int64_t now) {
  auto r = wire::parseAppTransactionResponse(body);
  if (!r) return fault(s, r.error(), now);
  // The device signs exactly what the app gave: a server that changed it gets no signature.
  if (r->text != s.clientAdditionalData) {
    return fault(s, makeError(ErrorCode::BAD_RESPONSE, "the server changed the transaction's clientAdditionalData"), now);
  }
  s.transcript.advance(request, body);
  s.t1 = s.transcript.hash();
  s.qr.type = QrType::Login;
  s.qr.sessionId = r->sessionId;
  s.transaction = wire::TransactionToApprove{r->tid, r->rpSession, r->text,
                                             {{"tid", r->tid}, {"clientAdditionalData", r->text},
                                              {"secondFactor", wire::requiredFactorName(*s.requiredFactor)}}};
  adoptServerView(s, r->server, r->serverTime, now);
  storeServerView(s, now);
  recordHistory(s, now);
  // The app has shown the transaction itself: no confirmation; the second factor is always asked.
  s.firstSet = false;
  askSecondFactor(s, Input::StartPromptsFactor, now);
}

}  // namespace tapgate
