// Server messages (push and pull), push tokens and account deletion: the app-level half of the
// engine. Sessions live in engine.cpp.
#include <algorithm>

#include "crypto.hpp"
#include "engine.hpp"

namespace tapgate {
namespace {

Error securityError(std::string message) { return makeError(ErrorCode::PUSH_REJECTED, std::move(message)); }

// Seen ids are kept past their expiry by this much: a server's clock offset is re-measured at each
// signed time and moves with network delay, so an id must not be forgotten at the very edge.
constexpr std::int64_t kSeenMessageGraceMs = 60 * 60 * 1000;

}  // namespace

Result<PushResult> Engine::processPush(const Bytes& payload, std::int64_t now) {
  const Entry entry(*this);
  return acceptMessage(payload, Delivery::Push, now);
}

Result<PushResult> Engine::acceptMessage(const Bytes& payload, Delivery delivery, std::int64_t now) {
  // The payload names no recipient (the push provider learns nothing): try each account's key.
  for (const auto& account : state_.accounts) {
    auto opened = crypto::boxSealOpen(payload, account.boxPublicKey, account.boxSecretKey);
    if (!opened) continue;
    const ServerRecord* server = state_.server(account.serverId);
    if (!server) return securityError("message from an unknown server");
    auto message = wire::openServerMessage(*opened, server->publicKey);
    if (!message) return message.error();
    return handleMessage(account, message.value(), delivery, now);
  }
  return securityError("message is not sealed to any account here");
}

Result<PushResult> Engine::handleMessage(const Account& account, const wire::ServerMessage& m, Delivery delivery,
                                         std::int64_t now) {
  if (m.serverId != account.serverId || m.accountId != account.accountId) {
    return securityError("message is addressed to another account");
  }
  const ServerRecord* server = state_.server(account.serverId);
  if (m.expires < serverNow(*server, now)) return makeError(ErrorCode::PUSH_EXPIRED, "message expired");
  const bool seen = std::any_of(state_.seenMessages.begin(), state_.seenMessages.end(),
                                [&](const SeenMessage& s) { return s.id == m.id; });
  if (seen && delivery == Delivery::Pull) return PushResult{PushResult::Outcome::Duplicate, 0};
  if (seen) return makeError(ErrorCode::PUSH_REPLAYED, "message was already delivered");
  forgetExpiredMessages(now);
  state_.seenMessages.push_back({m.id, m.expires});
  const AccountRef ref{account.serverId, account.accountId};

  switch (m.kind) {
    case wire::MessageKind::Login: {
      auto qr = parseQrPayload(m.qr);
      if (!qr || qr->type != QrType::Login || qr->serverId != account.serverId) {
        persist(now);
        return makeError(ErrorCode::BAD_RESPONSE, "login message carries no login QR for its server");
      }
      StartResult started = startSession(m.qr, now, ref, m.start);
      persist(now);
      if (started.error) return *started.error;
      return PushResult{PushResult::Outcome::SessionStarted, started.session};
    }
    case wire::MessageKind::Logout:
      for (auto& [id, s] : sessions_) {
        if (s.step == Step::Active && s.qr.sessionId == m.session && s.chosen == ref) {
          applyTransition(s, Input::ServerLogout, now);
        }
      }
      break;
    case wire::MessageKind::Delete:
      removeAccount(ref, now);
      break;
    case wire::MessageKind::Rekey:
      // The server rotated its signing key: pin the new one (the old one vouched for it, and the
      // new one proved possession: wire::openServerMessage). Sessions already running keep the key
      // they started with; the server signs with both until the overlap ends.
      for (ServerRecord& record : state_.servers) {
        if (record.id != account.serverId) continue;
        record.publicKey = m.newKey;
        persist(now);
        emit(0, "serverkey", {{"serverId", base64url(record.id)},
                              {"serverName", record.params.name},
                              {"publicKey", base64url(record.publicKey)},
                              {"visualHash", crypto::visualHash(record.id, record.publicKey)}});
      }
      break;
    case wire::MessageKind::Note:
      emit(0, "message",
           {{"account", accountJson(account, state_)},
            {"message", {{"id", m.id}, {"time", m.time}, {"text", m.note["text"]}, {"data", m.note["data"]}}}});
      break;
  }
  persist(now);
  return PushResult{PushResult::Outcome::Handled, 0};
}

// Drops the ids of messages every server would refuse as expired anyway, so the list stays bounded.
// Expiries are on the sending server's clock, which the entry does not name: the earliest clock of
// any server we know is the safe bound (a replay to a later-running server is refused as expired).
void Engine::forgetExpiredMessages(std::int64_t now) {
  if (state_.servers.empty()) {
    state_.seenMessages.clear();  // no account left to open any message
    return;
  }
  std::int64_t earliest = serverNow(state_.servers.front(), now);
  for (const auto& s : state_.servers) earliest = std::min(earliest, serverNow(s, now));
  if (earliest < INT64_MIN + kSeenMessageGraceMs) return;
  std::erase_if(state_.seenMessages, [&](const SeenMessage& m) { return m.expires < earliest - kSeenMessageGraceMs; });
}

// Removes the account, its sessions' claim on it and, with the last account, the app PIN.
void Engine::removeAccount(const AccountRef& ref, std::int64_t now) {
  auto it = std::find_if(state_.accounts.begin(), state_.accounts.end(),
                         [&](const Account& a) { return a.serverId == ref.serverId && a.accountId == ref.accountId; });
  if (it == state_.accounts.end()) return;
  const json gone = accountJson(*it, state_);
  for (auto& [id, s] : sessions_) {
    if (s.chosen == ref && !isFinal(s.step)) {
      applyTransition(s, Input::AccountDeleted, now);
    }
  }
  state_.accounts.erase(it);
  state_.history.markDeleted(ref.serverId, ref.accountId);
  // Every account needs the second factor, so without accounts the PIN protects nothing.
  if (state_.accounts.empty()) state_.pinSet = false;
  std::erase_if(state_.servers, [&](const ServerRecord& s) {
    return std::none_of(state_.accounts.begin(), state_.accounts.end(), [&](const Account& a) { return a.serverId == s.id; });
  });
  persist(now);
  emit(0, "accountdeleted", {{"account", gone}});
}

Status Engine::deleteAccount(const AccountRef& ref, std::int64_t now) {
  const Entry entry(*this);
  const Account* a = state_.account(ref.serverId, ref.accountId);
  if (!a) return makeError(ErrorCode::UNKNOWN_ACCOUNT, "no such account");
  const ServerRecord* server = state_.server(a->serverId);
  const Bytes nonce = crypto::randomBytes(32);
  sendApp(*server, wire::Transcript::begin(nonce),
          wire::deleteAccountRequest(a->accountId, nonce,
                                     crypto::sign(a->signSecretKey, wire::deleteAccountProofMessage(a->accountId, nonce))),
          Pending::Purpose::Notify);
  removeAccount(ref, now);
  return Ok{};
}

std::vector<int> Engine::retrieveMessages() {
  std::vector<int> requests;
  for (const auto& a : state_.accounts) {
    const Bytes nonce = crypto::randomBytes(32);
    requests.push_back(sendApp(*state_.server(a.serverId), wire::Transcript::begin(nonce),
                               wire::messagesRequest(a.accountId, nonce,
                                                     crypto::sign(a.signSecretKey, wire::messagesProofMessage(nonce))),
                               Pending::Purpose::Messages));
  }
  return requests;
}

std::vector<int> Engine::updatePushToken(const std::string& token, std::int64_t now) {
  state_.pushToken = token;
  persist(now);
  std::vector<int> requests;
  for (const auto& a : state_.accounts) {
    const ServerRecord& server = *state_.server(a.serverId);
    // Fresh by time and nonce: the server refuses a replay, which would put this token back later.
    const std::int64_t time = serverNow(server, now);
    const Bytes nonce = crypto::randomBytes(32);
    const Bytes proof = wire::pushTokenProofMessage(a.accountId, time, nonce, token);
    requests.push_back(sendApp(server, wire::Transcript::begin(toBytes(token)),
                               wire::pushTokenRequest(a.accountId, token, time, nonce, crypto::sign(a.signSecretKey, proof)),
                               Pending::Purpose::PushToken));
  }
  return requests;
}

int Engine::sendApp(const ServerRecord& server, const wire::Transcript& t, const wire::Exchange& ex,
                    Pending::Purpose purpose) {
  const int id = nextRequest_++;
  pending_[id] = Pending{0, purpose, ex.body, server.publicKey, t};
  Output o{Output::Kind::Send};
  o.request = id;
  o.url = server.url + ex.path;
  o.body = ex.body;
  outputs_.push_back(std::move(o));
  return id;
}

void Engine::handleAppResponse(int request, const Pending& p, int httpStatus, const std::string& body,
                               std::int64_t now) {
  if (p.purpose == Pending::Purpose::Notify) return;
  if (p.purpose == Pending::Purpose::FactorChallenge || p.purpose == Pending::Purpose::FactorChange) {
    return handleFactorResponse(p, httpStatus, body, now);
  }
  auto done = [&](const std::optional<Error>& error) {
    json d = {{"request", request}, {"ok", !error}};
    if (error) d["error"] = errorJson(*error);
    emit(0, "requestdone", std::move(d));
  };
  if (p.purpose == Pending::Purpose::PushToken) {
    const bool ok = httpStatus >= 200 && httpStatus < 300;
    return done(ok ? std::nullopt : std::optional<Error>(wire::unsignedFailure(httpStatus)));
  }
  auto opened = wire::openResponse(p.serverPk, p.transcript, p.body, httpStatus, body);
  if (!opened) return done(opened.error());
  auto messages = wire::parseMessagesResponse(opened.value());
  if (!messages) return done(messages.error());
  // Pulled messages act exactly like pushed ones, dedup included; one bad message doesn't stop the rest.
  int processed = 0;
  for (const auto& sealed : messages.value()) {
    auto r = acceptMessage(sealed, Delivery::Pull, now);
    if (r && r->outcome != PushResult::Outcome::Duplicate) ++processed;
  }
  json d = {{"request", request}, {"ok", true}, {"processed", processed}};
  emit(0, "requestdone", std::move(d));
}

}  // namespace tapgate
