#include "engine.hpp"

#include <algorithm>

#include "crypto.hpp"
#include "limits.hpp"
#include "url.hpp"

namespace tapgate {
namespace {

constexpr int kPingsPerWindow = 3;  // a ping every pingTime/3: one lost ping never ends a login

Error wrongState(const Session& s, const char* call) {
  return makeError(ErrorCode::WRONG_STATE, std::string(call) + " is not allowed in state " + stepStateName(s.step) + "/" +
                                               stepPseudoStateName(s.step));
}

// Server clock − device clock, saturated: a signed time far off ours must not overflow.
std::int64_t clockOffset(std::int64_t serverTime, std::int64_t now) {
  std::int64_t d;
  if (__builtin_sub_overflow(serverTime, now, &d)) return serverTime > now ? INT64_MAX : INT64_MIN;
  return d;
}

// Code matching: exactly `length` ASCII digits.
bool isDigitCode(const std::string& code, int length) {
  return code.size() == static_cast<std::size_t>(length) &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(Config config, const std::string& stateBlob) {
  if (!crypto::init()) return makeError(ErrorCode::STATE_CORRUPT, "libsodium failed to initialise");
  auto state = parseState(stateBlob);
  if (!state) return state.error();
  return std::unique_ptr<Engine>(new Engine(std::move(config), std::move(state.value())));
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping

Session* Engine::find(int id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

const Session* Engine::session(int id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

Status Engine::expect(const Session& s, const char* call, Input outcome) const {
  if (!findTransition(s.step, outcome)) return wrongState(s, call);
  return Ok{};
}

void Engine::applyTransition(Session& s, Input input, std::int64_t now, std::optional<Error> error) {
  const Transition* t = findTransition(s.step, input);
  // A handler classifying into an input the step has no row for is a bug in the core, not in
  // the app: end the session in ERROR instead of entering an undefined state.
  static constexpr Transition kInternalError{Step::Failed, Input::Fault, Step::Failed, HistoryStatus::Error, Notice::None};
  if (!t) {
    error = makeError(ErrorCode::WRONG_STATE, std::string("internal: no transition for ") + inputName(input) + " in " +
                                                  stepStateName(s.step) + "/" + stepPseudoStateName(s.step));
    t = &kInternalError;
  }
  s.step = t->to;
  s.history = t->history;
  // A timer lives while its input has a row from the session's step: the others stop here, and
  // at a final step all of them.
  for (const auto& spec : kTimerSpecs) {
    if (isFinal(s.step) || !findTransition(s.step, spec.input)) stopTimer(s, spec.kind);
  }
  if (isFinal(s.step)) {
    s.error = std::move(error);
    s.ended = now;
    s.inflight = 0;
    clearSecondFactorKeys(s);  // wipes keys of an enrolment that did not complete
  }
  emitState(s);
  // History shows the session from its first status on: a login, or its end.
  if (s.history != HistoryStatus::None && !s.qr.serverId.empty()) recordHistory(s, now);
  // A verified login returns after its `login` event (handleVerify), so the app has it first.
  const bool verified = input == Input::VerifiedContinuous || input == Input::VerifiedOneShot;
  if (!isFinal(s.step)) {
    if (!verified) emitReturn(s);
    return;
  }
  sendNotice(s, t->notice);
  if (s.error) emit(s.id, "error", {{"error", errorJson(*s.error)}});
  emit(s.id, "stop", {{"historyStatus", historyStatusName(s.history)}});
  if (!verified) emitReturn(s);
}

void Engine::emitReturn(Session& s) {
  if (!s.returnAllowed || !s.returnTo.empty() || !(s.step == Step::Active || isFinal(s.step))) return;
  // The outcome is all the caller learns here: no nonce, token or account (docs/protocol.md §2).
  const char* outcome = s.history == HistoryStatus::LoggedIn || s.history == HistoryStatus::LoggedInOneShot ? "approved"
                        : s.step == Step::Failed                                                          ? "error"
                                                                                                          : "rejected";
  const char* joiner = s.returnUrl.find('?') == std::string::npos ? "?"
                       : s.returnUrl.back() == '?' || s.returnUrl.back() == '&' ? ""
                                                                                  : "&";
  s.returnTo = s.returnUrl + joiner + "tapgate_status=" + outcome;
  emit(s.id, "return", {{"url", s.returnTo}, {"outcome", outcome}});
}

void Engine::emit(int session, std::string name, json detail) {
  Output o{Output::Kind::Event};
  o.session = session;
  o.name = std::move(name);
  o.detail = std::move(detail);
  outputs_.push_back(std::move(o));
}

void Engine::emitState(const Session& s) {
  emit(s.id, "statechange",
       {{"state", stepStateName(s.step)},
        {"pseudoState", stepPseudoStateName(s.step)},
        {"historyStatus", historyStatusName(s.history)}});
}

void Engine::emitSecondFactor(const Session& s, const char* result, int attemptsLeft) {
  // An app-started transaction that requires the biometric offers only it (startTransaction
  // checked it is allowed); one that requires the PIN never offers the biometric.
  json allowed = json::array();
  if (s.requiredFactor != wire::RequiredFactor::Biometric) allowed.push_back("PIN");
  if (s.biometricAllowed) allowed.push_back("BIOMETRIC");
  json d = {{"context", s.firstSet ? "FIRST_SET" : "VERIFY"}, {"allowed", std::move(allowed)}};
  if (result) d["result"] = result;
  if (attemptsLeft > 0) d["attemptsLeft"] = attemptsLeft;
  emit(s.id, "secondfactor", std::move(d));
}

int Engine::send(Session& s, const wire::Exchange& ex, Pending::Purpose purpose) {
  return sendTo(s, ServerRecord{s.qr.serverId, s.serverPk, s.serverUrl, s.params}, s.transcript, ex, purpose);
}

int Engine::sendTo(Session& s, const ServerRecord& server, const wire::Transcript& t, const wire::Exchange& ex,
                   Pending::Purpose purpose) {
  const int id = nextRequest_++;
  pending_[id] = Pending{s.id, purpose, ex.body, server.publicKey, t};
  if (purpose != Pending::Purpose::Notify) s.inflight = id;
  Output o{Output::Kind::Send};
  o.session = s.id;
  o.request = id;
  o.url = server.url + ex.path;
  o.body = ex.body;
  outputs_.push_back(std::move(o));
  return id;
}

void Engine::persist(std::int64_t now) {
  const std::int64_t horizon = now - config_.expiryHistoryItems;
  state_.history.expire(horizon);
  // One save per batch of outputs, where the first change asked for it, holding the state as it
  // is when the host takes the batch: the changes of one step (a session end records history and
  // ends the session) no longer serialise the whole state each.
  if (persistQueued_) return;
  persistQueued_ = true;
  outputs_.push_back(Output{Output::Kind::Persist});
}

// ---------------------------------------------------------------------------------------------
// Timers: the core sets and stops them (src/timers.hpp); the host keeps each session's next
// deadline, announced by a `deadline` output whenever it moves.

void Engine::setTimer(Session& s, TimerKind kind, std::int64_t at) {
  // Only where the timer's input has a row: applyTransition would stop it at once otherwise.
  if (!findTransition(s.step, timerSpec(kind).input)) return;
  s.timers.set(kind, at);
  touchTimers(s);
}

void Engine::stopTimer(Session& s, TimerKind kind) {
  if (!s.timers.isSet(kind)) return;
  s.timers.stop(kind);
  touchTimers(s);
}

void Engine::touchTimers(Session& s) {
  if (s.deadlineTouched) return;
  s.deadlineTouched = true;
  touchedTimers_.push_back(s.id);
}

void Engine::announceDeadlines(std::size_t position) {
  if (touchedTimers_.empty()) return;
  std::vector<Output> deadlines;
  for (int id : std::exchange(touchedTimers_, {})) {
    Session* s = find(id);
    if (!s) continue;
    s->deadlineTouched = false;
    const std::optional<std::int64_t> next = s->timers.next();
    if (next == s->announcedDeadline) continue;  // set and stopped again, or moved back: no change
    s->announcedDeadline = next;
    Output o{Output::Kind::Deadline};
    o.session = id;
    o.at = next;
    deadlines.push_back(std::move(o));
  }
  position = std::min(position, outputs_.size());
  outputs_.insert(outputs_.begin() + static_cast<std::ptrdiff_t>(position), std::make_move_iterator(deadlines.begin()),
                  std::make_move_iterator(deadlines.end()));
}

void Engine::onTimer(int id, std::int64_t now) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return;
  // One at a time: a fired timer may end the session (stopping the rest) or set timers again,
  // always later than `now`. The bound only guards against a bug looping here.
  for (int fired = 0; fired < 4 * kTimerKindCount; ++fired) {
    const std::optional<TimerKind> kind = s->timers.takeExpired(now);
    if (!kind) return;
    touchTimers(*s);
    fireTimer(*s, *kind, now);
  }
}

void Engine::fireTimer(Session& s, TimerKind kind, std::int64_t now) {
  const TimerSpec& spec = timerSpec(kind);
  switch (spec.action) {
    case TimerAction::TakePushedStart: return handleStart(s, "", std::exchange(s.pushedStart, {}), now);
    case TimerAction::KeepAlive: return keepAlive(s, now);
    case TimerAction::Transition: break;
  }
  std::optional<Error> error;
  if (kind == TimerKind::Session) error = makeError(ErrorCode::SESSION_TIMEOUT, "session timed out");
  if (kind == TimerKind::Input) error = makeError(ErrorCode::SESSION_TIMEOUT, "the second factor was not supplied in time");
  applyTransition(s, spec.input, now, std::move(error));
}

std::vector<Output> Engine::takeOutputs() {
  announceDeadlines(outputs_.size());  // changes made outside an entry point (none today)
  if (persistQueued_) {
    for (auto& o : outputs_) {
      if (o.kind == Output::Kind::Persist) o.body = serializeState(state_);
    }
    persistQueued_ = false;
  }
  return std::exchange(outputs_, {});
}

// Tells the server a session it started ended, so the relying party sees the logout or the
// cancellation. Fire-and-forget: the answer changes nothing on the device. Both prove themselves
// over T1: a session the server never started has nothing to end.
void Engine::sendNotice(Session& s, Notice notice) {
  if (notice == Notice::None || s.t1.empty()) return;
  if (notice == Notice::Cancel) {
    send(s, wire::cancelRequest(s.qr.sessionId, s.t1), Pending::Purpose::Notify);
    return;
  }
  const Account* a = s.chosen ? state_.account(s.chosen->serverId, s.chosen->accountId) : nullptr;
  if (!a) return;
  Bytes sig = crypto::sign(a->signSecretKey, wire::logoutProofMessage(s.t1));
  send(s, wire::logoutRequest(s.qr.sessionId, a->accountId, sig), Pending::Purpose::Notify);
}

// The session's history item, written when the server first knows the session (status NONE,
// not yet shown), again when a continuous login starts (LOGGED_IN) and when it ends. An item
// still open at the next start-up tells recoverInterruptedSessions what a crash cut short.
void Engine::recordHistory(Session& s, std::int64_t now) {
  HistoryItem item;
  item.sessionRef = base64url(s.qr.sessionId);
  item.kind = s.isRegistration ? "enrol" : s.isAppLogin ? "applogin" : s.requiredFactor ? "transaction" : "login";
  item.status = s.history;
  item.serverId = s.qr.serverId;
  item.accountId = s.chosen ? s.chosen->accountId : 0;
  if (const Account* a = s.chosen ? state_.account(s.chosen->serverId, s.chosen->accountId) : nullptr) {
    item.accountName = a->name;
  }
  item.started = s.started;
  item.ended = isFinal(s.step) ? now : 0;
  item.t1 = s.t1;
  state_.history.record(std::move(item));
  persist(now);
}

void Engine::recoverInterruptedSessions(std::int64_t now) {
  bool changed = false;
  state_.history.changeOpen([&](HistoryItem& h) {
    changed = true;
    h.ended = now;
    const ServerRecord* server = state_.server(h.serverId);
    const auto sessionId = fromBase64url(h.sessionRef);
    const bool loggedIn = h.status == HistoryStatus::LoggedIn;
    h.status = loggedIn ? HistoryStatus::LoggedOut : HistoryStatus::Aborted;
    if (!server || !sessionId || sessionId->size() != kSessionIdSize || h.t1.empty()) return;
    // Tell the server, as a stop would have: the relying party sees a logout or a cancellation.
    const wire::Transcript none = wire::Transcript::begin({});
    if (!loggedIn) {
      sendApp(*server, none, wire::cancelRequest(*sessionId, h.t1), Pending::Purpose::Notify);
    } else if (const Account* a = state_.account(h.serverId, h.accountId)) {
      sendApp(*server, none,
              wire::logoutRequest(*sessionId, a->accountId, crypto::sign(a->signSecretKey, wire::logoutProofMessage(h.t1))),
              Pending::Purpose::Notify);
    }
  });
  if (changed) persist(now);
}

// ---------------------------------------------------------------------------------------------
// Starting

StartResult Engine::startSession(const Bytes& payload, std::int64_t now) {
  const Entry entry(*this);
  return startSession(payload, now, std::nullopt);
}

int Engine::newSession(std::int64_t now) {
  const int id = nextSession_++;
  Session& s = sessions_[id];
  s.id = id;
  s.started = now;
  emitState(s);
  setTimer(s, TimerKind::Session, now + config_.sessionTimeout);
  return id;
}

StartResult Engine::startSession(const Bytes& payload, std::int64_t now, const std::optional<AccountRef>& only,
                                 const std::string& pushedStart) {
  const Entry entry(*this);
  const int id = newSession(now);
  Session& s = sessions_[id];
  s.qrRaw = payload;

  auto fail = [&](Error e) {
    fault(s, e, now);
    return StartResult{id, std::move(e)};
  };

  auto qr = parseQrPayload(payload);
  if (!qr) return fail(qr.error());
  s.qr = qr.value();
  s.isRegistration = s.qr.type == QrType::Enrol;

  if (s.isRegistration) {
    if (config_.singleAccount && !state_.accounts.empty()) {
      return fail(makeError(ErrorCode::SINGLE_ACCOUNT, "singleAccount is set and an account exists"));
    }
    const ServerRecord* known = state_.server(s.qr.serverId);
    if (known && !equalConstantTime(known->publicKey, s.qr.serverPublicKey)) {
      return fail(makeError(ErrorCode::SERVER_AUTHENTICATION_ERROR,
                            "enrol QR names a known server with a different key"));
    }
    s.serverPk = s.qr.serverPublicKey;
    s.serverUrl = s.qr.url;
  } else {
    const ServerRecord* server = state_.server(s.qr.serverId);
    for (const auto& a : state_.accounts) {
      const AccountRef ref{a.serverId, a.accountId};
      if (a.serverId == s.qr.serverId && (!only || *only == ref)) s.candidates.push_back(ref);
    }
    if (!server || s.candidates.empty()) {
      return fail(makeError(ErrorCode::NO_ACCOUNTS_FOR_SERVER, "no account for this server"));
    }
    s.serverPk = server->publicKey;
    s.serverUrl = server->url;
  }

  s.transcript = wire::Transcript::begin(payload);
  if (!pushedStart.empty()) {
    // As if /v1/start had been answered: the empty request is what both ends hash into T1.
    // Taken up on the next turn, as a server answer would be: an app that got the session from
    // processPush (or the `session` event) has attached its listeners by then.
    s.pushedStart = pushedStart;
    recordHistory(s, now);
    setTimer(s, TimerKind::PushedStart, now);
    return {id, std::nullopt};
  }
  send(s, wire::startRequest(payload, crypto::randomBytes(32)), Pending::Purpose::Start);
  recordHistory(s, now);
  return {id, std::nullopt};
}

StartResult Engine::startAppLogin(std::int64_t now) {
  const Entry entry(*this);
  const int id = newSession(now);
  Session& s = sessions_[id];
  s.isAppLogin = true;
  if (state_.accounts.empty()) {
    Error e = makeError(ErrorCode::NO_ACCOUNTS_FOR_SERVER, "an AppLogin needs an account");
    fault(s, e, now);
    return {id, e};
  }
  if (state_.accounts.size() > 1) {
    Error e = makeError(ErrorCode::SINGLE_ACCOUNT, "an AppLogin needs exactly one account");
    fault(s, e, now);
    return {id, e};
  }
  const Account& a = state_.accounts.front();
  const ServerRecord& server = *state_.server(a.serverId);
  s.chosen = AccountRef{a.serverId, a.accountId};
  s.candidates = {*s.chosen};
  s.serverPk = server.publicKey;
  s.serverUrl = server.url;
  s.qr.serverId = a.serverId;
  const Bytes nonce = crypto::randomBytes(32);
  const std::int64_t time = serverNow(server, now);  // with the nonce: the server refuses a replay
  s.transcript = wire::Transcript::begin(nonce);
  send(s,
       wire::appLoginRequest(a.accountId, time, nonce,
                             crypto::sign(a.signSecretKey, wire::appLoginProofMessage(a.accountId, time, nonce))),
       Pending::Purpose::AppLoginStart);
  return {id, std::nullopt};
}

void Engine::handleAppLoginStart(Session& s, const std::string& request, const std::string& body, std::int64_t now) {
  auto r = wire::parseAppLoginResponse(body);
  if (!r) return fault(s, r.error(), now);
  if (r->server.pingTime <= 0) {
    return fault(s, makeError(ErrorCode::APPLOGIN_NOT_CONTINUOUS, "AppLogin needs a server with pingTime > 0"), now);
  }
  s.transcript.advance(request, body);
  s.t1 = s.transcript.hash();
  s.qr.type = QrType::Login;
  s.qr.sessionId = r->sessionId;
  s.webNonce = r->webNonce;
  adoptServerView(s, r->server, r->serverTime, now);
  storeServerView(s, now);
  recordHistory(s, now);
  // An AppLogin always asks for the second factor: no confirmation, no skipping.
  s.firstSet = false;
  askSecondFactor(s, Input::StartPromptsFactor, now);
}

void Engine::armAppLoginTimers(Session& s, std::int64_t now) {
  if (config_.appLoginInactivityTimeout > 0) setTimer(s, TimerKind::Inactivity, now + config_.appLoginInactivityTimeout);
  if (config_.timeoutAppLogin > 0) setTimer(s, TimerKind::AppLogin, now + config_.timeoutAppLogin);
}

void Engine::noteUserActivity(std::int64_t now) {
  const Entry entry(*this);
  for (auto& [id, s] : sessions_) {
    // Activity moves the inactivity deadline of an active AppLogin.
    if (s.isAppLogin && s.timers.isSet(TimerKind::Inactivity)) {
      setTimer(s, TimerKind::Inactivity, now + config_.appLoginInactivityTimeout);
    }
  }
}

StartResult Engine::startSessionFromLink(const std::string& link, std::int64_t now) {
  const Entry entry(*this);
  auto parsed = parseLink(link);
  // An unreadable link (or return URL) still becomes a session that ends in ERROR, like
  // unreadable QR bytes.
  if (!parsed) {
    const int id = newSession(now);
    fault(sessions_[id], parsed.error(), now);
    return {id, parsed.error()};
  }
  StartResult started = startSession(parsed->payload, now);
  // Checked against the server's origins when its start response is in (handleStart).
  if (!started.error) sessions_[started.session].returnUrl = parsed->returnUrl;
  return started;
}

void Engine::adoptServerView(Session& s, const wire::ServerParams& params, std::int64_t serverTime, std::int64_t now) {
  s.params = params;
  s.clockOffset = clockOffset(serverTime, now);
}

ServerRecord* Engine::storeServerView(const Session& s, std::int64_t now) {
  // Server parameters, and our view of its clock, are refreshed with every session.
  for (auto& server : state_.servers) {
    if (server.id != s.qr.serverId) continue;
    const bool changed = !(server.params == s.params);
    server.params = s.params;
    server.clockOffset = s.clockOffset;
    if (changed) {
      // The server's parameters changed since they were stored (reference error 68's situation,
      // docs/api.md): the record is updated and every account it shows in is told again.
      persist(now);
      for (const auto& a : state_.accounts) {
        if (a.serverId == server.id) emit(0, "accountupdate", {{"account", accountJson(a, state_)}});
      }
    }
    return &server;
  }
  return nullptr;
}

bool Engine::displayNameTaken(const Session& s) const {
  if (!s.params.has("uniqueDisplayNames")) return false;
  const std::string name = enrolmentName(s);
  return std::any_of(state_.accounts.begin(), state_.accounts.end(), [&](const Account& a) { return a.name == name; });
}

std::string Engine::enrolmentName(const Session& s) const {
  if (!s.enrolment.name.empty()) return s.enrolment.name;
  return !s.enrolment.userId.empty() ? s.enrolment.userId : s.params.name;
}

void Engine::handleStart(Session& s, const std::string& request, const std::string& body, std::int64_t now) {
  auto r = wire::parseStartResponse(body);
  if (!r) return fault(s, r.error(), now);
  if (r->kind != s.qr.type) return fault(s, makeError(ErrorCode::BAD_RESPONSE, "start response kind mismatch"), now);
  s.transcript.advance(request, body);
  s.t1 = s.transcript.hash();
  adoptServerView(s, r->server, r->serverTime, now);
  s.announceInfo = r->announceInfo;
  recordHistory(s, now);  // with T1: a restart can then still cancel the session at the server
  if (!s.returnUrl.empty()) {
    // The server lists, signed, the origins it lets a link send the user back to: anything else
    // is an open redirect (a link made to send a user from this login to a phishing page).
    const std::string origin = url::webOrigin(s.returnUrl);
    if (std::find(r->returnOrigins.begin(), r->returnOrigins.end(), origin) == r->returnOrigins.end()) {
      return applyTransition(s, Input::ReturnRefused, now,
                             makeError(ErrorCode::RETURN_URL_NOT_ALLOWED,
                                       "the link's return URL is not at an origin the server allows: " + origin));
    }
    s.returnAllowed = true;
  }

  if (s.isRegistration) {
    s.enrolment.userId = r->enrolUserId;
    s.enrolment.name = r->enrolName;
    // uniqueDisplayNames: the app may not hold two accounts of one display name (reference error 35).
    if (displayNameTaken(s)) {
      return fault(s, makeError(ErrorCode::DISPLAY_NAME_EXISTS, "the app already has an account named \"" + enrolmentName(s) + "\""), now);
    }
  } else {
    storeServerView(s, now);
    s.secondFactorRequired = r->secondFactorRequired;
    s.transaction = r->transaction;
    s.codeMatching = r->codeMatching;
  }
  // manuallyStartUserInteraction: the session waits, with its timeout running, until the app is
  // ready to show it (a pushed login that arrives while the app is in the background).
  if (config_.manuallyStartUserInteraction) {
    applyTransition(s, Input::StartHeld, now);
    emit(s.id, "readyforuserinteraction", json::object());
    return;
  }
  beginUserInteraction(s, Input::StartNeedsConfirmation, Input::StartPromptsFactor, now);
}

Status Engine::startUserInteraction(int id, std::int64_t now) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return makeError(ErrorCode::UNKNOWN_SESSION, "no such session");
  if (auto st = expect(*s, "startUserInteraction", Input::InteractionNeedsConfirmation); !st) return st;
  beginUserInteraction(*s, Input::InteractionNeedsConfirmation, Input::InteractionPromptsFactor, now);
  return Ok{};
}

void Engine::beginUserInteraction(Session& s, Input confirm, Input prompt, std::int64_t now) {
  if (s.isRegistration) {
    std::vector<AccountRef> existing;
    for (const auto& a : state_.accounts) {
      if (a.serverId == s.qr.serverId) existing.push_back({a.serverId, a.accountId});
    }
    applyTransition(s, confirm, now);
    emit(s.id, "confirmenrol",
         {{"server", {{"id", base64url(s.qr.serverId)},
                      {"name", s.params.name},
                      {"url", s.serverUrl},
                      {"logo", s.params.logo.empty() ? json(nullptr) : json(s.params.logo)}}},
          {"visualHash", crypto::visualHash(s.qr.serverId, s.serverPk)},
          {"userId", s.enrolment.userId.empty() ? json(nullptr) : json(s.enrolment.userId)},
          {"name", s.enrolment.name},
          {"existingAccounts", accountListJson(existing)}});
    return;
  }
  // With one candidate and a second factor to come, entering the PIN is the confirmation. When
  // the second factor will be skipped, a transaction is to be read or a code to be matched, the
  // user must confirm explicitly.
  const bool mustConfirm = s.transaction || s.codeMatching || canSkipSecondFactor(s, now);
  if (s.candidates.size() == 1 && config_.automaticallySelectSingleAccountWhenSecondFactorNeeded && !mustConfirm) {
    s.chosen = s.candidates.front();
    askSecondFactor(s, prompt, now);
    return;
  }
  applyTransition(s, confirm, now);
  json detail = {{"accounts", accountListJson(s.candidates)}};
  if (s.transaction) detail["transaction"] = s.transaction->shown;
  if (s.codeMatching) detail["codeLength"] = s.codeMatching->length;
  emit(s.id, "confirmlogin", std::move(detail));
}

// ---------------------------------------------------------------------------------------------
// User actions

Status Engine::setAccount(int id, const std::optional<AccountRef>& account, const std::string& userInput,
                          std::int64_t now, const std::string& code) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return makeError(ErrorCode::UNKNOWN_SESSION, "no such session");
  if (auto st = expect(*s, "setAccount", Input::ConfirmedPromptsFactor); !st) return st;
  if (userInput.size() > limits::kMaxUserInputBytes) {
    return makeError(ErrorCode::INVALID_ARGUMENT,
                     "userInput has at most " + std::to_string(limits::kMaxUserInputBytes) + " bytes");
  }
  if (s->isRegistration) {
    if (account) return makeError(ErrorCode::INVALID_ARGUMENT, "an enrolment creates its account: pass none");
    s->firstSet = !state_.pinSet;
  } else {
    if (!account) return makeError(ErrorCode::INVALID_ARGUMENT, "choose one of the candidate accounts");
    if (std::find(s->candidates.begin(), s->candidates.end(), *account) == s->candidates.end()) {
      return makeError(ErrorCode::UNKNOWN_ACCOUNT, "account is not a candidate of this session");
    }
    if (s->codeMatching && !isDigitCode(code, s->codeMatching->length)) {
      return makeError(ErrorCode::INVALID_ARGUMENT,
                       "type the " + std::to_string(s->codeMatching->length) + "-digit code the login page shows");
    }
    s->chosen = *account;
    s->firstSet = false;
  }
  s->userInput = userInput;
  if (s->codeMatching) {
    // A wrong code ends the session: the code on the login page is not the one this QR belongs
    // to, which is what a relayed (phished) QR looks like. One try: a guess wins once in 10^digits.
    if (!equalConstantTime(wire::codeCommitment(s->qr.sessionId, code), s->codeMatching->commitment)) {
      applyTransition(*s, Input::CodeMismatch, now,
                      makeError(ErrorCode::CODE_MISMATCH, "the typed code is not the one on the login page"));
      return Ok{};
    }
    s->pickedCode = code;
  }
  if (!s->isRegistration && canSkipSecondFactor(*s, now)) {
    applyTransition(*s, Input::ConfirmedSkipsFactor, now);
    sendLogin(*s, nullptr);
    return Ok{};
  }
  askSecondFactor(*s, Input::ConfirmedPromptsFactor, now);
  return Ok{};
}

// Skip rules, all of which must allow it: a login (not an enrolment or AppLogin), the relying party
// did not require the second factor, the SDK is not configured to always ask, a second factor was
// verified before, and it is younger than the server's window: pinTimeout for a login (-1: any
// age), pinTransTimeout for a transaction's approval (0 by default: always asked). The server
// applies the same window on its side and answers SECOND_FACTOR_REQUIRED otherwise.
bool Engine::canSkipSecondFactor(const Session& s, std::int64_t now) const {
  if (s.isRegistration || s.isAppLogin || s.requiredFactor || s.secondFactorRequired || config_.alwaysRequireSecondFactor) {
    return false;
  }
  if (state_.lastSecondFactorAt == 0) return false;
  const std::int64_t window = s.transaction ? s.params.pinTransTimeout : s.params.pinTimeout;
  if (window == limits::kPinTimeoutNever) return true;
  if (window <= 0) return false;
  return now - state_.lastSecondFactorAt < window * 60'000;
}

// Biometric rules: a provider is there, the app hasn't disabled it, and for a verification the
// account has a biometric key, the PIN isn't blocked (with blockSecondFactorOnPINBlocked), and
// neither maxNumber- nor maxTimeSecondFactorWithoutPIN says it is the PIN's turn. At the first
// enrolment it may be set beside the PIN; a later enrolment proves the PIN.
bool Engine::biometricAllowed(const Session& s, std::int64_t now) const {
  if (!config_.biometricAvailable || config_.biometricsDisabled) return false;
  if (s.isRegistration) return s.firstSet;
  const Account* a = s.chosen ? state_.account(s.chosen->serverId, s.chosen->accountId) : nullptr;
  if (!a || !a->biometric) return false;
  if (s.requiredFactor == wire::RequiredFactor::Pin) return false;
  if (config_.blockSecondFactorOnPINBlocked && state_.pinBlocked) return false;
  if (config_.maxNumberSecondFactorWithoutPIN > 0 && state_.biometricsSinceLastPin >= config_.maxNumberSecondFactorWithoutPIN) {
    return false;
  }
  if (config_.maxTimeSecondFactorWithoutPIN > 0 && now - state_.lastPinAt >= config_.maxTimeSecondFactorWithoutPIN) return false;
  return true;
}

void Engine::askSecondFactor(Session& s, Input prompt, std::int64_t now, const char* result, int attemptsLeft) {
  if (config_.blockSecondFactorOnPINBlocked && state_.pinBlocked && !s.firstSet) {
    return applyTransition(s, Input::FactorBlocked, now,
                           makeError(ErrorCode::PIN_BLOCKED, "the PIN is blocked, and with it every second factor"));
  }
  s.biometricAllowed = biometricAllowed(s, now);
  applyTransition(s, prompt, now);
  emitSecondFactor(s, result, attemptsLeft);
  if (config_.secondFactorUserInputTimeout > 0) setTimer(s, TimerKind::Input, now + config_.secondFactorUserInputTimeout);
}

void Engine::sendLogin(Session& s, const crypto::SignKeyPair* pinKey, const crypto::SignKeyPair* bioKey) {
  s.factorSent = pinKey != nullptr || bioKey != nullptr;
  s.usedBiometric = pinKey == nullptr && bioKey != nullptr;
  const Account* a = state_.account(s.chosen->serverId, s.chosen->accountId);
  const auto factor = pinKey ? wire::LoginFactor::Pin : s.usedBiometric ? wire::LoginFactor::Biometric : wire::LoginFactor::None;
  const Bytes proof = wire::loginProofMessage(s.transcript, factor, s.userInput, s.pickedCode);
  wire::LoginExtras extras;
  extras.code = s.pickedCode;
  if (s.usedBiometric) extras.sigBio = crypto::sign(bioKey->secretKey, proof);
  if (const auto& t = s.transaction) {
    extras.sigTransaction = crypto::sign(a->signSecretKey, wire::transactionSigningInput(t->id, t->rpSession, t->text));
  }
  send(s,
       wire::loginRequest(s.qr.sessionId, a->accountId, s.userInput, crypto::sign(a->signSecretKey, proof),
                          pinKey ? crypto::sign(pinKey->secretKey, proof) : Bytes{}, extras),
       Pending::Purpose::Verify);
}

Status Engine::reportBiometricFailure(int id) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return makeError(ErrorCode::UNKNOWN_SESSION, "no such session");
  if (auto st = expect(*s, "setPinBiometric", Input::FactorSupplied); !st) return st;
  emitSecondFactor(*s, "BIOMETRIC_FAIL", 0);
  return Ok{};
}

Status Engine::setPinBiometric(int id, const std::string& pin, std::int64_t now, const SecretBytes& biometric) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return makeError(ErrorCode::UNKNOWN_SESSION, "no such session");
  if (auto st = expect(*s, "setPinBiometric", Input::FactorSupplied); !st) return st;
  const bool withBiometric = !biometric.empty();
  if (withBiometric && (!s->biometricAllowed || biometric.size() != 32)) {
    return makeError(ErrorCode::INVALID_ARGUMENT, "the biometric is not allowed for this prompt");
  }
  // An app-started transaction's required factor (§5.12); the server refuses any other proof too.
  if (s->requiredFactor == wire::RequiredFactor::Biometric && !withBiometric) {
    return makeError(ErrorCode::INVALID_ARGUMENT, "this transaction requires the biometric");
  }
  const bool pinRequired = s->isRegistration || !withBiometric || s->requiredFactor == wire::RequiredFactor::Pin;
  if ((pinRequired || !pin.empty()) && !crypto::validPinLength(pin)) {
    return makeError(ErrorCode::INVALID_ARGUMENT, "a PIN has 4 to 64 characters");
  }

  if (s->isRegistration) {
    Account a;
    a.serverId = s->qr.serverId;
    auto sign = crypto::signKeyPair();
    auto box = crypto::boxKeyPair();
    a.signPublicKey = sign.publicKey;
    a.signSecretKey = std::move(sign.secretKey);
    a.boxPublicKey = box.publicKey;
    a.boxSecretKey = std::move(box.secretKey);
    a.pinSalt = crypto::randomBytes(crypto::kPinSaltSize);
    a.created = now;
    a.biometric = withBiometric;
    s->enrolment.pinKey = crypto::pinKeyPair(pin, a.pinSalt, config_.pinKdf);
    a.bioSalt = a.pinSalt;  // a PIN change draws a new PIN salt; this one stays the biometric's
    if (withBiometric) s->enrolment.bioKey = crypto::biometricKeyPair(biometric, a.bioSalt);
    s->enrolment.account = std::move(a);
    applyTransition(*s, Input::FactorSupplied, now);
    if (s->firstSet) {
      sendEnrol(*s);
      return Ok{};
    }
    // One PIN per app: a later enrolment proves the PIN to the server of an existing account, which
    // counts failures; nothing on the device can check it offline. At a server the app already has
    // an account on, the proof rides inside `enrol`; elsewhere a PIN check at another server comes first.
    const Account* ref = &state_.accounts.front();
    for (const auto& acc : state_.accounts) {
      if (acc.serverId == s->qr.serverId) { ref = &acc; break; }
    }
    s->enrolment.checkAccount = AccountRef{ref->serverId, ref->accountId};
    s->enrolment.checkPinKey = crypto::pinKeyPair(pin, ref->pinSalt, config_.pinKdf);
    if (ref->serverId == s->qr.serverId) {
      sendEnrol(*s);
      return Ok{};
    }
    sendTo(*s, *state_.server(ref->serverId), wire::Transcript::begin({}), wire::pinChallengeRequest(ref->accountId),
           Pending::Purpose::PinChallenge);
    return Ok{};
  }

  const Account* a = state_.account(s->chosen->serverId, s->chosen->accountId);
  if (!a) return makeError(ErrorCode::UNKNOWN_ACCOUNT, "the chosen account no longer exists");
  applyTransition(*s, Input::FactorSupplied, now);
  if (!pin.empty() && s->requiredFactor != wire::RequiredFactor::Biometric) {
    const auto pinKey = crypto::pinKeyPair(pin, a->pinSalt, config_.pinKdf);
    sendLogin(*s, &pinKey);
  } else {
    const auto bioKey = crypto::biometricKeyPair(biometric, a->bioSalt);
    sendLogin(*s, nullptr, &bioKey);
  }
  return Ok{};
}

Status Engine::inputCancel(int id, std::int64_t now) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return makeError(ErrorCode::UNKNOWN_SESSION, "no such session");
  if (auto st = expect(*s, "inputCancel", Input::InputCancel); !st) return st;
  applyTransition(*s, Input::InputCancel, now);
  return Ok{};
}

Status Engine::stopSession(int id, std::int64_t now) {
  const Entry entry(*this);
  Session* s = find(id);
  if (!s) return makeError(ErrorCode::UNKNOWN_SESSION, "no such session");
  if (auto st = expect(*s, "stopSession", Input::StopSession); !st) return st;
  applyTransition(*s, Input::StopSession, now);
  return Ok{};
}

// ---------------------------------------------------------------------------------------------
// Server responses, network faults and timers

void Engine::onResponse(int request, int httpStatus, const std::string& body, std::int64_t now) {
  const Entry entry(*this);
  auto it = pending_.find(request);
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  if (p.session == 0) return handleAppResponse(request, p, httpStatus, body, now);
  Session* s = find(p.session);
  if (!s || p.purpose == Pending::Purpose::Notify || s->inflight != request) return;  // stale or notify
  s->inflight = 0;
  // The challenge is the one answer that is not signed (§5.6): the PIN check after it is.
  if (p.purpose == Pending::Purpose::PinChallenge) return handlePinChallenge(*s, httpStatus, body, now);

  auto opened = wire::openResponse(p.serverPk, p.transcript, p.body, httpStatus, body);
  if (p.purpose == Pending::Purpose::Ping) return handlePing(*s, p.body, opened, now);
  if (!opened) {
    if (opened.error().code == ErrorCode::PIN_BLOCKED) emitSecondFactor(*s, "PIN_BLOCKED", 0);
    return fault(*s, opened.error(), now);
  }
  switch (p.purpose) {
    case Pending::Purpose::Start: return handleStart(*s, p.body, opened.value(), now);
    case Pending::Purpose::AppLoginStart: return handleAppLoginStart(*s, p.body, opened.value(), now);
    case Pending::Purpose::AppTransactionStart: return handleAppTransactionStart(*s, p.body, opened.value(), now);
    case Pending::Purpose::Verify: return handleVerify(*s, p.body, opened.value(), now);
    case Pending::Purpose::PinCheck: return handlePinCheck(*s, opened.value(), now);
    case Pending::Purpose::PinChallenge:
    case Pending::Purpose::Ping:
    case Pending::Purpose::Messages:
    case Pending::Purpose::PushToken:
    case Pending::Purpose::FactorChallenge:
    case Pending::Purpose::FactorChange:
    case Pending::Purpose::Notify: return;
  }
}

void Engine::onNetworkError(int request, const std::string& message, std::int64_t now) {
  const Entry entry(*this);
  auto it = pending_.find(request);
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  if (p.session == 0) {
    if (p.purpose == Pending::Purpose::FactorChallenge || p.purpose == Pending::Purpose::FactorChange) {
      endFactorOperation(makeError(ErrorCode::NETWORK_ERROR, message.empty() ? "server unreachable" : message), nullptr, 0);
    } else if (p.purpose != Pending::Purpose::Notify) {
      emit(0, "requestdone", {{"request", request}, {"ok", false}, {"error", errorJson(makeError(ErrorCode::NETWORK_ERROR, message))}});
    }
    return;
  }
  Session* s = find(p.session);
  if (!s || p.purpose == Pending::Purpose::Notify || s->inflight != request) return;
  s->inflight = 0;
  if (p.purpose == Pending::Purpose::Ping) return;  // the next ping retries; liveness is judged by time
  fault(*s, makeError(ErrorCode::NETWORK_ERROR, message.empty() ? "server unreachable" : message), now);
}

void Engine::handleVerify(Session& s, const std::string& request, const std::string& body, std::int64_t now) {
  auto r = wire::parseVerifyResponse(body, s.isRegistration);
  if (!r) return fault(s, r.error(), now);
  s.transcript.advance(request, body);
  if (r->outcome == wire::VerifyOutcome::PinFail && s.isRegistration && !enrolPinCheckAccount(s)) {
    return fault(s, makeError(ErrorCode::BAD_RESPONSE, "PIN_FAIL answers an enrolment that proved no PIN"), now);
  }
  if (rejectPin(s, r.value(), now)) return;
  const bool factorVerified = s.step == Step::Verifying && s.factorSent;
  if (factorVerified) {
    state_.lastSecondFactorAt = now;
    if (s.usedBiometric) {
      ++state_.biometricsSinceLastPin;
    } else {
      state_.lastPinAt = now;
      state_.biometricsSinceLastPin = 0;
      state_.pinBlocked = false;
    }
  }
  if (s.isRegistration) completeEnrolment(s, r.value(), now);
  else noteLastLogin(s, r->lastLogin, now);
  s.sessionInfo = r->sessionInfo;
  if (factorVerified) emitSecondFactor(s, "SUCCESS", 0);
  const bool continuous = r->pingTime > 0 && !s.requiredFactor;  // an app's transaction is one-shot
  // A one-shot login is over once the server has accepted it; a continuous one stays ACTIVE.
  if (continuous) {
    s.pingMs = r->pingTime * 1000;
    s.lastAlive = now;
    s.loggedInAt = now;
    applyTransition(s, Input::VerifiedContinuous, now);
    armKeepAlive(s, now);
    if (s.isAppLogin) armAppLoginTimers(s, now);
  } else {
    applyTransition(s, Input::VerifiedOneShot, now);
  }
  emit(s.id, "login", {{"historyStatus", historyStatusName(s.history)}, {"sessionInfo", s.sessionInfo}});
  emitReturn(s);  // app-to-app: back to the caller, approved
}

// ---------------------------------------------------------------------------------------------
// Continuous logins: the device proves liveness with a signed ping every pingTime/3. The server
// logs a session out that stays silent for pingTime; the device ends it as LOGGED_OUT when the
// server says so, or when it has had no confirmation for a whole pingTime (the server has then
// logged it out as well).

void Engine::armKeepAlive(Session& s, std::int64_t now) {
  setTimer(s, TimerKind::KeepAlive, now + std::max<std::int64_t>(1000, s.pingMs / kPingsPerWindow));
}

void Engine::keepAlive(Session& s, std::int64_t now) {
  const Account* a = s.chosen ? state_.account(s.chosen->serverId, s.chosen->accountId) : nullptr;
  // Unconfirmed for a whole pingTime, the server has logged the session out (or, with no account
  // left to sign the ping, it will).
  if (!a || now - s.lastAlive >= s.pingMs) return applyTransition(s, Input::PingLost, now);
  if (!s.inflight) {
    send(s, wire::pingRequest(s.qr.sessionId, a->accountId, crypto::sign(a->signSecretKey, wire::pingProofMessage(s.transcript))),
         Pending::Purpose::Ping);
  }
  armKeepAlive(s, now);
}

void Engine::handlePing(Session& s, const std::string& request, const Result<std::string>& opened, std::int64_t now) {
  if (s.step != Step::Active) return;
  if (!opened) {
    const ErrorCode code = opened.error().code;
    if (errorKind(code) == ErrorKind::Security || code == ErrorCode::BAD_RESPONSE) return fault(s, opened.error(), now);
    if (code == ErrorCode::SESSION_NOT_FOUND || code == ErrorCode::SERVER_AUTHENTICATION_FAILED) {
      return applyTransition(s, Input::PingRefused, now);
    }
    return;  // an unsigned failure (5xx, proxy): the next ping retries
  }
  auto status = wire::parsePingResponse(opened.value());
  if (!status) return fault(s, status.error(), now);
  s.transcript.advance(request, opened.value());
  if (status.value() == wire::PingStatus::LoggedOut) {
    return applyTransition(s, Input::PingLoggedOut, now);
  }
  s.lastAlive = now;
}

void Engine::sendEnrol(Session& s) {
  s.factorSent = true;
  const Enrolment& e = s.enrolment;
  const Account& a = *e.account;
  const Bytes proof = wire::enrolProofMessage(s.transcript, s.userInput);
  std::optional<wire::EnrolPinCheck> pinCheck;
  if (const Account* ref = enrolPinCheckAccount(s)) {
    const Bytes checkProof = wire::enrolPinCheckProofMessage(s.transcript);
    pinCheck = wire::EnrolPinCheck{ref->accountId, crypto::sign(ref->signSecretKey, checkProof),
                                   crypto::sign(e.checkPinKey->secretKey, checkProof)};
  }
  send(s,
       wire::enrolRequest(s.qr.sessionId, a.signPublicKey, a.boxPublicKey, e.pinKey->publicKey,
                          crypto::sign(a.signSecretKey, proof), crypto::sign(e.pinKey->secretKey, proof),
                          state_.pushToken, e.bioKey ? e.bioKey->publicKey : Bytes{},
                          e.bioKey ? crypto::sign(e.bioKey->secretKey, proof) : Bytes{}, pinCheck, s.userInput),
       Pending::Purpose::Verify);
}

const Account* Engine::enrolPinCheckAccount(const Session& s) const {
  const Enrolment& e = s.enrolment;
  if (!e.checkPinKey || !e.checkAccount || e.checkAccount->serverId != s.qr.serverId) return nullptr;
  return state_.account(e.checkAccount->serverId, e.checkAccount->accountId);
}

void Engine::clearSecondFactorKeys(Session& s) {
  s.enrolment.account.reset();
  s.enrolment.pinKey.reset();
  s.enrolment.bioKey.reset();
  s.enrolment.checkPinKey.reset();
  s.enrolment.checkAccount.reset();
}

void Engine::handlePinChallenge(Session& s, int httpStatus, const std::string& body, std::int64_t now) {
  auto challenge = wire::parsePinChallenge(httpStatus, body);
  if (!challenge) return fault(s, challenge.error(), now);
  const Account* ref = state_.account(s.enrolment.checkAccount->serverId, s.enrolment.checkAccount->accountId);
  if (!ref) return fault(s, makeError(ErrorCode::UNKNOWN_ACCOUNT, "the account to check the PIN with is gone"), now);
  const Bytes proof = wire::pinCheckProofMessage(challenge.value());
  sendTo(s, *state_.server(ref->serverId), wire::Transcript::begin(challenge.value()),
         wire::pinCheckRequest(ref->accountId, challenge.value(), crypto::sign(ref->signSecretKey, proof),
                               crypto::sign(s.enrolment.checkPinKey->secretKey, proof)),
         Pending::Purpose::PinCheck);
}

void Engine::handlePinCheck(Session& s, const std::string& body, std::int64_t now) {
  auto r = wire::parseVerifyResponse(body, false);
  if (!r) return fault(s, r.error(), now);
  if (rejectPin(s, r.value(), now)) return;
  s.enrolment.checkPinKey.reset();
  sendEnrol(s);  // still Verifying: the enrolment itself is the next verdict
}

bool Engine::rejectPin(Session& s, const wire::VerifyResponse& r, std::int64_t now) {
  switch (r.outcome) {
    case wire::VerifyOutcome::PinFail:
      clearSecondFactorKeys(s);  // the next attempt derives fresh keys
      askSecondFactor(s, Input::FactorRejected, now, "PIN_FAIL", r.attemptsLeft);
      return true;
    case wire::VerifyOutcome::BiometricFail:
      // The provider released a secret whose key the server does not know: the platform's
      // biometric set changed (platforms wipe or replace biometric-bound keys then). Silently off
      // for this account, the app told (accountupdate) and asked for the PIN: BIOMETRICS_REMOVED.
      if (s.usedBiometric && disableBiometric(s, now)) {
        askSecondFactor(s, Input::FactorRejected, now, "BIOMETRICS_REMOVED");
        return true;
      }
      askSecondFactor(s, Input::FactorRejected, now, "BIOMETRIC_FAIL");
      return true;
    case wire::VerifyOutcome::SecondFactorRequired:  // the server's window closed before ours
      askSecondFactor(s, Input::FactorRejected, now);
      return true;
    case wire::VerifyOutcome::PinBlocked:
      state_.pinBlocked = true;
      emitSecondFactor(s, "PIN_BLOCKED", 0);
      applyTransition(s, Input::PinBlocked, now, makeError(ErrorCode::PIN_BLOCKED, "PIN blocked at the server"));
      return true;
    case wire::VerifyOutcome::Success:
      return false;
  }
  return false;
}

bool Engine::disableBiometric(const Session& s, std::int64_t now) {
  if (!s.chosen) return false;
  for (auto& a : state_.accounts) {
    if (a.serverId != s.chosen->serverId || a.accountId != s.chosen->accountId || !a.biometric) continue;
    a.biometric = false;
    persist(now);
    emit(0, "accountupdate", {{"account", accountJson(a, state_)}});
    return true;
  }
  return false;
}

void Engine::noteLastLogin(const Session& s, std::int64_t lastLogin, std::int64_t now) {
  if (!lastLogin || !s.chosen) return;
  for (auto& a : state_.accounts) {
    if (a.serverId != s.chosen->serverId || a.accountId != s.chosen->accountId) continue;
    a.lastLogin = lastLogin;
    persist(now);
  }
}

void Engine::completeEnrolment(Session& s, const wire::VerifyResponse& r, std::int64_t now) {
  Account a = std::move(*s.enrolment.account);
  clearSecondFactorKeys(s);
  a.accountId = r.accountId;
  a.userId = r.userId.empty() ? s.enrolment.userId : r.userId;
  a.name = !s.enrolment.name.empty() ? s.enrolment.name : (!a.userId.empty() ? a.userId : s.params.name);
  a.lastLogin = r.lastLogin;
  s.chosen = AccountRef{a.serverId, a.accountId};

  if (ServerRecord* server = storeServerView(s, now)) {
    server->url = s.serverUrl;
  } else {
    state_.servers.push_back({s.qr.serverId, s.serverPk, s.serverUrl, s.params, s.clockOffset});
  }
  state_.accounts.push_back(std::move(a));
  state_.pinSet = true;
  persist(now);
  emit(0, "accountupdate", {{"account", accountJson(state_.accounts.back(), state_)}});
}

// ---------------------------------------------------------------------------------------------
// Views

json Engine::accountListJson(const std::vector<AccountRef>& refs) const {
  json list = json::array();
  for (const auto& r : refs) {
    if (const Account* a = state_.account(r.serverId, r.accountId)) list.push_back(accountJson(*a, state_));
  }
  return list;
}

json Engine::sessionJson(int id) const {
  const Session* s = session(id);
  if (!s) return nullptr;
  const Account* chosen = s->chosen ? state_.account(s->chosen->serverId, s->chosen->accountId) : nullptr;
  return {{"id", s->id},
          {"state", stepStateName(s->step)},
          {"pseudoState", stepPseudoStateName(s->step)},
          {"historyStatus", historyStatusName(s->history)},
          {"isRegistration", s->isRegistration},
          {"isAppLogin", s->isAppLogin},
          {"announceInfo", s->announceInfo},
          {"transaction", s->transaction ? s->transaction->shown : json(nullptr)},
          {"sessionInfo", s->sessionInfo},
          {"appLogin", s->isAppLogin && (s->step == Step::Active || s->history == HistoryStatus::LoggedOut)
                           ? json{{"webNonce", s->webNonce},
                                  {"serverId", base64url(s->qr.serverId)},
                                  // The device API's base URL: the SDK finds the server's token endpoint from it.
                                  {"serverUrl", s->serverUrl}}
                           : json(nullptr)},
          {"candidateAccounts", accountListJson(s->candidates)},
          {"account", chosen ? accountJson(*chosen, state_) : json(nullptr)},
          {"serverId", s->qr.serverId.empty() ? json(nullptr) : json(base64url(s->qr.serverId))},
          {"serverName", s->params.name},
          {"serverLogo", s->params.logo.empty() ? json(nullptr) : json(s->params.logo)},
          {"error", s->error ? errorJson(*s->error) : json(nullptr)},
          {"returnUrl", s->returnTo.empty() ? json(nullptr) : json(s->returnTo)},
          {"started", s->started},
          {"ended", s->ended ? json(s->ended) : json(nullptr)}};
}

json Engine::accountsJson() const {
  json list = json::array();
  for (const auto& a : state_.accounts) list.push_back(accountJson(a, state_));
  return list;
}

json Engine::historyJson(std::int64_t now) const {
  const std::int64_t horizon = now - config_.expiryHistoryItems;
  json list = json::array();
  for (const auto& h : state_.history) {
    if (h.status == HistoryStatus::None) continue;  // a session in progress, not history yet
    if (!h.ended || h.ended >= horizon) list.push_back(tapgate::historyJson(h, state_));
  }
  return list;
}

}  // namespace tapgate
