#include "api.hpp"
#include "json_reader.hpp"

#include <exception>
#include <utility>

namespace tapgate {
namespace {

std::int64_t ms(double now) { return static_cast<std::int64_t>(now); }

std::string errorText(const Error& e) {
  return json{{"ok", false}, {"error", errorJson(e)}}.dump();
}

std::string statusText(const Status& st) { return st ? R"({"ok":true})" : errorText(st.error()); }

std::string startText(const StartResult& r) {
  if (r.error) {
    json j = {{"ok", false}, {"error", errorJson(*r.error)}, {"session", r.session}};
    return j.dump();
  }
  return json{{"ok", true}, {"session", r.session}}.dump();
}

const Error kNotOpen{ErrorCode::WRONG_STATE, "engine is not open"};

std::string pushText(const Result<PushResult>& r) {
  if (!r) return errorText(r.error());
  switch (r->outcome) {
    case PushResult::Outcome::SessionStarted: return json{{"ok", true}, {"outcome", "session"}, {"session", r->session}}.dump();
    case PushResult::Outcome::Handled: return R"({"ok":true,"outcome":"handled"})";
    case PushResult::Outcome::Duplicate: return R"({"ok":true,"outcome":"duplicate"})";
  }
  return R"({"ok":true,"outcome":"handled"})";
}

std::string requestsText(const std::vector<int>& requests) {
  json list = json::array();
  for (int r : requests) list.push_back(r);
  return json{{"ok", true}, {"requests", std::move(list)}}.dump();
}

// {"serverId": base64url, "accountId": n} → AccountRef
std::optional<AccountRef> accountRef(const std::string& text) {
  json j = parseJson(text);
  if (!j.is_object() || !j.contains("serverId") || !j["serverId"].is_string() || !j.contains("accountId") ||
      !j["accountId"].is_number_integer()) {
    return std::nullopt;
  }
  auto serverId = fromBase64url(j["serverId"].get<std::string>());
  if (!serverId) return std::nullopt;
  return AccountRef{*serverId, j["accountId"].get<std::int64_t>()};
}

// Last line of defence: the core uses non-throwing parsers, but allocation failure or a bug must
// surface as a typed error at the boundary rather than unwind into the host.
template <typename F>
std::string guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return errorText(makeError(ErrorCode::INVALID_ARGUMENT, std::string("internal error: ") + e.what()));
  }
}

}  // namespace

std::string EngineApi::open(const std::string& configJson, const std::string& stateBlob, double now) {
  return guarded([&] {
    auto config = parseConfig(configJson);
    if (!config) return errorText(config.error());
    auto engine = Engine::create(config.value(), stateBlob);
    if (!engine) return errorText(engine.error());
    engine_ = std::move(engine.value());
    engine_->recoverInterruptedSessions(ms(now));
    return std::string(R"({"ok":true})");
  });
}

std::string EngineApi::startSession(const std::string& payload, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return startText(engine_->startSession(toBytes(payload), ms(now))); });
}

std::string EngineApi::startSessionFromLink(const std::string& link, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return startText(engine_->startSessionFromLink(link, ms(now))); });
}

std::string EngineApi::startAppLogin(double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return startText(engine_->startAppLogin(ms(now))); });
}

std::string EngineApi::startTransaction(const std::string& accountJson, const std::string& clientAdditionalData,
                                        const std::string& secondFactor, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    auto ref = accountRef(accountJson);
    if (!ref) return errorText(makeError(ErrorCode::INVALID_ARGUMENT, "account must carry serverId and accountId"));
    auto factor = wire::requiredFactorFromName(secondFactor);
    if (!factor) return errorText(makeError(ErrorCode::INVALID_ARGUMENT, "secondFactor must be ANY, PIN or BIOMETRIC"));
    return startText(engine_->startTransaction(*ref, clientAdditionalData, *factor, ms(now)));
  });
}

void EngineApi::noteUserActivity(double now) {
  if (engine_) engine_->noteUserActivity(ms(now));
}

std::string EngineApi::startUserInteraction(int session, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return statusText(engine_->startUserInteraction(session, ms(now))); });
}

std::string EngineApi::setAccount(int session, const std::string& accountJson, const std::string& userInput,
                                  const std::string& code, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    std::optional<AccountRef> ref;
    if (!accountJson.empty() && accountJson != "null") {
      ref = accountRef(accountJson);
      if (!ref) return errorText(makeError(ErrorCode::INVALID_ARGUMENT, "account must carry serverId and accountId"));
    }
    return statusText(engine_->setAccount(session, ref, userInput, ms(now), code));
  });
}

std::string EngineApi::setPinBiometric(int session, const std::string& pin, const std::string& biometric, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    const SecretBytes secret(toBytes(biometric));
    return statusText(engine_->setPinBiometric(session, pin, ms(now), secret));
  });
}

std::string EngineApi::reportBiometricFailure(int session) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return statusText(engine_->reportBiometricFailure(session)); });
}

std::string EngineApi::inputCancel(int session, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return statusText(engine_->inputCancel(session, ms(now))); });
}

std::string EngineApi::stopSession(int session, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return statusText(engine_->stopSession(session, ms(now))); });
}

std::string EngineApi::processPush(const std::string& payload, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return pushText(engine_->processPush(toBytes(payload), ms(now))); });
}

std::string EngineApi::processPushText(const std::string& payload, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    auto bytes = fromBase64url(payload);
    if (!bytes) return errorText(makeError(ErrorCode::PUSH_REJECTED, "push payload is not base64url"));
    return pushText(engine_->processPush(*bytes, ms(now)));
  });
}

std::string EngineApi::retrieveMessages() {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] { return requestsText(engine_->retrieveMessages()); });
}

std::string EngineApi::updatePushToken(const std::string& token, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    if (token.empty() || token.size() > 4096) return errorText(makeError(ErrorCode::INVALID_ARGUMENT, "push token must be 1..4096 characters"));
    return requestsText(engine_->updatePushToken(token, ms(now)));
  });
}

std::string EngineApi::deleteAccount(const std::string& accountJson, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    auto ref = accountRef(accountJson);
    if (!ref) return errorText(makeError(ErrorCode::INVALID_ARGUMENT, "account must carry serverId and accountId"));
    return statusText(engine_->deleteAccount(*ref, ms(now)));
  });
}

std::string EngineApi::changePin(const std::string& pin, const std::string& biometric, const std::string& newPin, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    const SecretBytes secret(toBytes(biometric));
    auto op = engine_->changePin(pin, secret, newPin, ms(now));
    return op ? requestsText({op.value()}) : errorText(op.error());
  });
}

std::string EngineApi::addBiometric(const std::string& pin, const std::string& biometric, double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    const SecretBytes secret(toBytes(biometric));
    auto op = engine_->addBiometric(pin, secret, ms(now));
    return op ? requestsText({op.value()}) : errorText(op.error());
  });
}

std::string EngineApi::removeBiometric(double now) {
  if (!engine_) return errorText(kNotOpen);
  return guarded([&] {
    auto op = engine_->removeBiometric(ms(now));
    return op ? requestsText({op.value()}) : errorText(op.error());
  });
}

void EngineApi::onResponse(int request, int httpStatus, const std::string& body, double now) {
  if (engine_) engine_->onResponse(request, httpStatus, body, ms(now));
}

void EngineApi::onNetworkError(int request, const std::string& message, double now) {
  if (engine_) engine_->onNetworkError(request, message, ms(now));
}

void EngineApi::onTimer(int session, double now) {
  if (engine_) engine_->onTimer(session, ms(now));
}

std::string EngineApi::takeOutputs() {
  if (!engine_) return "[]";
  wipeState();
  json list = json::array();
  for (auto& o : engine_->takeOutputs()) {
    switch (o.kind) {
      case Output::Kind::Send:
        list.push_back({{"type", "send"}, {"session", o.session}, {"request", o.request}, {"url", o.url},
                        {"body", o.body}});
        break;
      case Output::Kind::Deadline:
        list.push_back({{"type", "deadline"}, {"session", o.session}, {"at", o.at ? json(*o.at) : json(nullptr)}});
        break;
      case Output::Kind::Persist:
        // The blob itself goes through state(): escaped inside this JSON it would be copied,
        // escaped and parsed again at every save.
        wipeState();
        state_ = std::move(o.body);
        list.push_back({{"type", "persist"}});
        break;
      case Output::Kind::Event:
        list.push_back({{"type", "event"}, {"session", o.session}, {"name", o.name}, {"detail", o.detail}});
        break;
    }
  }
  return list.dump();
}

void EngineApi::wipeState() {
  wipeBytes(state_.data(), state_.size());  // it holds the accounts' keys (base64)
  state_.clear();
}

std::string EngineApi::session(int id) const { return engine_ ? engine_->sessionJson(id).dump() : "null"; }
std::string EngineApi::accounts() const { return engine_ ? engine_->accountsJson().dump() : "[]"; }
std::string EngineApi::history(double now) const { return engine_ ? engine_->historyJson(ms(now)).dump() : "[]"; }

}  // namespace tapgate
