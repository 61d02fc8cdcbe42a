// A server played in-process for the native tests: it speaks the wire format of src/wire.* with
// its own key, so the engine is tested against signed responses on a simulated clock, no sockets.
#pragma once
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

#include "crypto.hpp"
#include "engine.hpp"
#include "qr_payload.hpp"
#include "wire.hpp"

namespace tapgate::test {

inline crypto::PinKdfParams fastKdf() { return {1, 8192}; }  // tests only: Argon2id at its minimum

inline Config testConfig() {
  Config c;
  c.pinKdf = fastKdf();
  return c;
}

// A BiometricProvider's secret, and a configuration where a provider is present.
inline const SecretBytes kFinger(Bytes(32, 0x5a));
inline Config bioConfig() {
  Config c = testConfig();
  c.biometricAvailable = true;
  return c;
}

class SimServer {
 public:
  struct Account {
    Bytes pk, pinPk, boxPk;
    int failures = 0;
    std::string pushToken;
    bool deleted = false;
    std::vector<Bytes> outbox;  // sealed messages, for /v1/messages
    std::int64_t lastFactorAt = 0;
    Bytes bioPk;
    Bytes pendingPinPk;  // a PIN change prepared but not yet committed
  };
  struct Session {
    Bytes qr;
    wire::Transcript transcript;
    Bytes t1;  // the transcript once started: cancel and logout prove themselves over it
    bool loggedIn = false;
    bool cancelled = false;
    bool used = false;
    bool requireSecondFactor = false;
    std::string transactionText;  // a transaction to approve
    Bytes transactionRpSession = Bytes(32, 0x5a);  // the relying-party session it belongs to
    Bytes transactionSig;         // the device's signature over it
    std::string matchCode;        // code matching
    std::string requiredFactor;   // an app-started transaction (§5.12): ANY, PIN or BIOMETRIC
    std::string userInput;
    std::int64_t accountId = 0;
  };

  Bytes id = crypto::randomBytes(kServerIdSize);
  crypto::SignKeyPair key = crypto::signKeyPair();
  // During a key rotation's overlap: the previous key, which signs every answer too (`sigPrev`).
  std::optional<crypto::SignKeyPair> previous;

  // Rotates the signing key (docs/protocol.md §6.1): the new one signs, the old one signs beside it.
  void rotateKey() {
    previous = key;
    key = crypto::signKeyPair();
  }
  void retireKey() { previous.reset(); }
  const SecretBytes* previousSk() const { return previous ? &previous->secretKey : nullptr; }

  // The rekey message of a rotation: the new key, signed by it and by the previous key.
  Bytes rekeyMessage(std::int64_t accountId) { return message(accountId, {{"kind", "rekey"}, {"pk", base64url(key.publicKey)}}); }
  std::string url = "https://rp.example/device";
  std::string name = "Example Bank";
  std::string logo;  // sent in start responses when not empty
  std::vector<std::string> returnOrigins;  // sent in start responses when not empty
  nlohmann::json extraParams = nlohmann::json::object();  // merged into the start responses' server block
  int pinAttemptLimit = 3;
  std::int64_t pingTime = 0;
  std::int64_t pinTimeout = 0;  // minutes; -1: never asked again
  std::int64_t pinTransTimeout = 0;  // minutes, for a transaction's approval
  std::int64_t time = 1'700'000'000'000;
  std::map<std::int64_t, Account> accounts;
  std::map<std::string, Session> sessions;  // by base64url session id
  std::int64_t nextAccountId = 1;
  std::map<std::string, std::int64_t> challenges;  // pin-check challenge → account
  int pings = 0;
  int enrolPinChecks = 0;  // PIN proofs carried inside enrol (§5.2)
  std::string lastWebNonce;
  int refusedCancels = 0, refusedLogouts = 0;  // proofs that did not verify
  std::int64_t lastRequestTime = 0;            // the signed time of the last applogin / pushtoken
  bool rewriteClientData = false;              // answers an app's transaction with other data (a tampering server)
  int weakerFactorsRefused = 0;                // app transactions' proofs of a factor other than the required one
  Bytes lastAppTransactionQr;                  // the login session an app's transaction continues on

  Bytes loginQr() { return newSession(QrType::Login); }
  Bytes enrolQr() { return newSession(QrType::Enrol); }

  Session& sessionOf(const Bytes& qr) { return sessions.at(base64url(Bytes(qr.begin() + 18, qr.begin() + 34))); }

  // The signed response the real server would give to this request.
  std::string respond(const Output& send) {
    const std::string path = send.url.substr(url.size());
    auto req = nlohmann::json::parse(send.body);
    if (path == "/v1/start") {
      auto qr = *fromBase64url(req["qr"].get<std::string>());
      auto& s = sessionOf(qr);
      std::string out = seal(s, send.body, startBody(qr));
      s.t1 = s.transcript.hash();
      return out;
    }
    if (path == "/v1/applogin") {
      Bytes nonce = *fromBase64url(req["nonce"].get<std::string>());
      const auto aid = req["accountId"].get<std::int64_t>();
      lastRequestTime = req["time"].get<std::int64_t>();
      auto t = wire::Transcript::begin(nonce);
      if (!crypto::verify(accounts.at(aid).pk, wire::appLoginProofMessage(aid, lastRequestTime, nonce),
                          *fromBase64url(req["sigAccount"].get<std::string>()))) {
        return sealOnce(t, send.body, {{"error", {{"code", 48}}}});
      }
      Bytes qr = loginQr();
      auto& s = sessionOf(qr);
      s.transcript = t;
      s.requireSecondFactor = true;
      lastWebNonce = base64url(crypto::randomBytes(16));
      std::string out = seal(s, send.body, {{"session", base64url(Bytes(qr.begin() + 18, qr.end()))}, {"webNonce", lastWebNonce},
                                 {"server", {{"name", name}, {"pingTime", pingTime}, {"pinTimeout", 0}, {"pinAttemptLimit", pinAttemptLimit}}},
                                 {"time", time}});
      s.t1 = s.transcript.hash();
      return out;
    }
    if (path == "/v1/transaction") {  // §5.12
      Bytes nonce = *fromBase64url(req["nonce"].get<std::string>());
      const auto aid = req["accountId"].get<std::int64_t>();
      lastRequestTime = req["time"].get<std::int64_t>();
      const std::string data = req["clientAdditionalData"];
      const auto factor = wire::requiredFactorFromName(req["secondFactor"]);
      auto t = wire::Transcript::begin(nonce);
      if (!factor || !crypto::verify(accounts.at(aid).pk, wire::appTransactionProofMessage(aid, lastRequestTime, nonce, *factor, data),
                                     *fromBase64url(req["sigAccount"].get<std::string>()))) {
        return sealOnce(t, send.body, {{"error", {{"code", 48}}}});
      }
      Bytes qr = loginQr();
      lastAppTransactionQr = qr;
      auto& s = sessionOf(qr);
      s.transcript = t;
      s.requireSecondFactor = true;
      s.requiredFactor = req["secondFactor"];
      s.transactionText = data;
      const std::string shown = rewriteClientData ? data + "!" : data;
      std::string out = seal(s, send.body, {{"session", base64url(Bytes(qr.begin() + 18, qr.end()))},
                                            {"transaction", {{"tid", "T-1"}, {"rpSession", base64url(s.transactionRpSession)}, {"text", shown}}},
                                            {"server", {{"name", name}, {"pingTime", pingTime}, {"pinTimeout", 0}, {"pinAttemptLimit", pinAttemptLimit}}},
                                            {"time", time}});
      s.t1 = s.transcript.hash();
      return out;
    }
    if (path == "/v1/messages") {
      Bytes nonce = *fromBase64url(req["nonce"].get<std::string>());
      auto& a = accounts.at(req["accountId"].get<std::int64_t>());
      nlohmann::json list = nlohmann::json::array();
      for (const auto& m : a.outbox) list.push_back(base64url(m));
      return sealOnce(wire::Transcript::begin(nonce), send.body, {{"messages", list}});
    }
    if (path == "/v1/account/delete") {
      accounts.at(req["accountId"].get<std::int64_t>()).deleted = true;
      return "{}";
    }
    if (path == "/v1/pushtoken") {
      const auto aid = req["accountId"].get<std::int64_t>();
      lastRequestTime = req["time"].get<std::int64_t>();
      const std::string token = req["token"].get<std::string>();
      if (crypto::verify(accounts.at(aid).pk,
                         wire::pushTokenProofMessage(aid, lastRequestTime, *fromBase64url(req["nonce"].get<std::string>()), token),
                         *fromBase64url(req["sigAccount"].get<std::string>()))) {
        accounts.at(aid).pushToken = token;
      }
      return "{}";
    }
    if (path == "/v1/pincheck/challenge") {  // unsigned (§5.6)
      Bytes challenge = crypto::randomBytes(32);
      challenges[base64url(challenge)] = req["accountId"].get<std::int64_t>();
      return nlohmann::json{{"challenge", base64url(challenge)}}.dump();
    }
    if (path == "/v1/pincheck") {
      Bytes challenge = *fromBase64url(req["challenge"].get<std::string>());
      auto t = wire::Transcript::begin(challenge);
      auto it = challenges.find(base64url(challenge));
      if (it == challenges.end()) return sealOnce(t, send.body, {{"error", {{"code", 53}}}});
      challenges.erase(it);  // single use
      Bytes proof = wire::pinCheckProofMessage(challenge);
      auto& a = accounts.at(req["accountId"].get<std::int64_t>());
      if (!crypto::verify(a.pk, proof, *fromBase64url(req["sigAccount"].get<std::string>()))) {
        return sealOnce(t, send.body, {{"error", {{"code", 48}}}});
      }
      return sealOnce(t, send.body, pinVerdict(a, proof, req["sigPin"].get<std::string>()));
    }
    if (path == "/v1/factors") return factorChange(send, req);
    if (path == "/v1/factors/commit") {
      auto& a = accounts.at(req["accountId"].get<std::int64_t>());
      Bytes pinPk = *fromBase64url(req["pinPk"].get<std::string>());
      if (crypto::verify(a.pk, wire::pinCommitProofMessage(req["accountId"].get<std::int64_t>(), pinPk),
                         *fromBase64url(req["sigAccount"].get<std::string>())) &&
          pinPk == a.pendingPinPk) {
        a.pinPk = std::exchange(a.pendingPinPk, {});
      }
      return "{}";
    }
    auto& s = sessions.at(req["session"].get<std::string>());
    if (path == "/v1/ping") {
      auto& a = accounts.at(req["accountId"].get<std::int64_t>());
      if (!crypto::verify(a.pk, wire::pingProofMessage(s.transcript), *fromBase64url(req["sigAccount"].get<std::string>()))) {
        return seal(s, send.body, {{"error", {{"code", 48}}}});
      }
      ++pings;
      return seal(s, send.body, {{"status", s.loggedIn ? "ACTIVE" : "LOGGED_OUT"}});
    }
    if (path == "/v1/logout") {
      auto& a = accounts.at(req["accountId"].get<std::int64_t>());
      if (s.t1.empty() || !crypto::verify(a.pk, wire::logoutProofMessage(s.t1), *fromBase64url(req["sigAccount"].get<std::string>()))) {
        ++refusedLogouts;
        return "{}";
      }
      s.loggedIn = false;
      return "{}";
    }
    if (path == "/v1/cancel") {
      if (s.t1.empty() || base64url(wire::cancelProof(s.t1)) != req.value("proof", "")) {
        ++refusedCancels;
        return "{}";
      }
      s.cancelled = true;
      return "{}";
    }
    if (path == "/v1/enrol") {
      Bytes proof = wire::enrolProofMessage(s.transcript, req.value("userInput", ""));
      Bytes pk = *fromBase64url(req["accountPk"].get<std::string>());
      Bytes pinPk = *fromBase64url(req["pinPk"].get<std::string>());
      if (!crypto::verify(pk, proof, *fromBase64url(req["sigAccount"].get<std::string>())) ||
          !crypto::verify(pinPk, proof, *fromBase64url(req["sigPin"].get<std::string>()))) {
        return seal(s, send.body, {{"error", {{"code", 48}, {"message", "bad proof"}}}});
      }
      if (req.contains("checkAccountId")) {  // a later enrolment proving the PIN with an existing account
        auto& ref = accounts.at(req["checkAccountId"].get<std::int64_t>());
        Bytes checkProof = wire::enrolPinCheckProofMessage(s.transcript);
        if (!crypto::verify(ref.pk, checkProof, *fromBase64url(req["sigCheckAccount"].get<std::string>()))) {
          return seal(s, send.body, {{"error", {{"code", 48}}}});
        }
        auto verdict = pinVerdict(ref, checkProof, req["sigCheckPin"].get<std::string>());
        ++enrolPinChecks;
        if (verdict["result"] != "SUCCESS") return seal(s, send.body, verdict);
      }
      const std::int64_t aid = nextAccountId++;
      accounts[aid] = {pk, pinPk, *fromBase64url(req["boxPk"].get<std::string>()), 0,
                       req.value("pushToken", ""), false, {}, time, {}};
      if (req.contains("bioPk")) {
        Bytes bioPk = *fromBase64url(req["bioPk"].get<std::string>());
        if (!crypto::verify(bioPk, proof, *fromBase64url(req["sigBio"].get<std::string>()))) {
          return seal(s, send.body, {{"error", {{"code", 48}}}});
        }
        accounts[aid].bioPk = bioPk;
      }
      s.loggedIn = true;
      s.userInput = req.value("userInput", "");
      s.accountId = aid;
      return seal(s, send.body, {{"result", "SUCCESS"}, {"accountId", aid}, {"userId", "alice"}, {"pingTime", pingTime}});
    }
    if (path == "/v1/login") {
      const std::string factorName = req.value("factor", "PIN");
      const auto factor = factorName == "PIN" ? wire::LoginFactor::Pin
                          : factorName == "BIOMETRIC" ? wire::LoginFactor::Biometric
                                                      : wire::LoginFactor::None;
      Bytes proof = wire::loginProofMessage(s.transcript, factor, req.value("userInput", ""), req.value("code", ""));
      auto& a = accounts.at(req["accountId"].get<std::int64_t>());
      if (!crypto::verify(a.pk, proof, *fromBase64url(req["sigAccount"].get<std::string>()))) {
        return seal(s, send.body, {{"error", {{"code", 48}, {"message", "bad account proof"}}}});
      }
      if (!s.matchCode.empty() && req.value("code", "") != s.matchCode) {
        return seal(s, send.body, {{"error", {{"code", 54}}}});
      }
      if (!s.transactionText.empty()) {
        Bytes sig = *fromBase64url(req.value("sigTransaction", std::string("AA")));
        if (!crypto::verify(a.pk, wire::transactionSigningInput("T-1", s.transactionRpSession, s.transactionText), sig)) {
          return seal(s, send.body, {{"error", {{"code", 48}}}});
        }
        s.transactionSig = sig;
      }
      if (!s.requiredFactor.empty() && (factorName == "NONE" || (s.requiredFactor != "ANY" && s.requiredFactor != factorName))) {
        ++weakerFactorsRefused;
        return seal(s, send.body, {{"result", "SECOND_FACTOR_REQUIRED"}});
      }
      if (req["factor"] == "BIOMETRIC") {
        Bytes sig = *fromBase64url(req["sigBio"].get<std::string>());
        if (a.bioPk.empty() || !crypto::verify(a.bioPk, proof, sig)) return seal(s, send.body, {{"result", "BIOMETRIC_FAIL"}});
        a.lastFactorAt = time;
      } else if (req["factor"] == "NONE") {
        const std::int64_t window = s.transactionText.empty() ? pinTimeout : pinTransTimeout;
        const bool within = a.lastFactorAt && (window == -1 || (window > 0 && time - a.lastFactorAt < window * 60'000));
        if (!within || s.requireSecondFactor) return seal(s, send.body, {{"result", "SECOND_FACTOR_REQUIRED"}});
      } else {
        auto verdict = pinVerdict(a, proof, req["sigPin"].get<std::string>());
        if (verdict["result"] != "SUCCESS") return seal(s, send.body, verdict);
        a.lastFactorAt = time;
      }
      s.loggedIn = true;
      s.userInput = req["userInput"].get<std::string>();
      s.accountId = req["accountId"].get<std::int64_t>();
      return seal(s, send.body, {{"result", "SUCCESS"}, {"pingTime", pingTime},
                                 {"sessionInfo", {{"welcome", "Hello"}}}, {"lastLogin", time}});
    }
    return "{}";
  }

 public:
  // A server message for `accountId`, signed and sealed to its box key; kept in its outbox too.
  Bytes message(std::int64_t accountId, nlohmann::json body, std::int64_t expiresIn = 60'000) {
    body["id"] = base64url(crypto::randomBytes(16));
    body["serverId"] = base64url(id);
    if (!body.contains("accountId")) body["accountId"] = accountId;
    body["time"] = time;
    if (!body.contains("expires")) body["expires"] = time + expiresIn;
    Bytes sealed = crypto::boxSeal(toBytes(wire::signServerMessage(key.secretKey, body.dump(), previousSk())), accounts.at(accountId).boxPk);
    accounts.at(accountId).outbox.push_back(sealed);
    return sealed;
  }

  // A login message that carries its start response (§6.1): the device goes straight to login.
  Bytes loginMessageWithStart(std::int64_t accountId) {
    Bytes qr = loginQr();
    const std::string start = startBody(qr).dump();
    sessionOf(qr).transcript.advance("", start);
    sessionOf(qr).t1 = sessionOf(qr).transcript.hash();
    return message(accountId, {{"kind", "login"}, {"qr", base64url(qr)}, {"start", start}});
  }

  // A login message: a fresh login QR for the account, as a provoked login makes.
  Bytes loginMessage(std::int64_t accountId, Bytes* qrOut = nullptr) {
    Bytes qr = loginQr();
    if (qrOut) *qrOut = qr;
    return message(accountId, {{"kind", "login"}, {"qr", base64url(qr)}});
  }

 private:
  // §5.10: the change over a single-use challenge, authorised by the PIN or the biometric.
  std::string factorChange(const Output& send, const nlohmann::json& req) {
    Bytes challenge = *fromBase64url(req["challenge"].get<std::string>());
    auto t = wire::Transcript::begin(challenge);
    if (!challenges.erase(base64url(challenge))) return sealOnce(t, send.body, {{"error", {{"code", 53}}}});
    auto& a = accounts.at(req["accountId"].get<std::int64_t>());
    const std::string change = req["change"];
    const auto kind = change == "PIN" ? wire::FactorChange::Pin
                      : change == "ADD_BIOMETRIC" ? wire::FactorChange::AddBiometric
                                                  : wire::FactorChange::RemoveBiometric;
    const Bytes newPk = req.contains("newPk") ? *fromBase64url(req["newPk"].get<std::string>()) : Bytes{};
    const Bytes proof = wire::factorChangeProofMessage(challenge, kind, newPk);
    auto sig = [&](const char* k) { return req.contains(k) ? *fromBase64url(req[k].get<std::string>()) : Bytes{}; };
    if (!crypto::verify(a.pk, proof, sig("sigAccount")) || (!newPk.empty() && !crypto::verify(newPk, proof, sig("sigNew")))) {
      return sealOnce(t, send.body, {{"error", {{"code", 48}}}});
    }
    nlohmann::json verdict = {{"result", "SUCCESS"}};
    if (kind == wire::FactorChange::Pin && req.contains("sigBio")) {
      if (a.failures >= pinAttemptLimit) verdict = {{"result", "PIN_BLOCKED"}};
      else if (a.bioPk.empty() || !crypto::verify(a.bioPk, proof, sig("sigBio"))) verdict = {{"result", "BIOMETRIC_FAIL"}};
    } else if (kind != wire::FactorChange::RemoveBiometric) {
      verdict = pinVerdict(a, proof, req.value("sigPin", ""));
    }
    if (verdict["result"] == "SUCCESS") {
      if (kind == wire::FactorChange::Pin) a.pendingPinPk = newPk;
      else if (kind == wire::FactorChange::AddBiometric) a.bioPk = newPk;
      else a.bioPk.clear();
    }
    return sealOnce(t, send.body, verdict);
  }

  nlohmann::json pinVerdict(Account& a, const Bytes& proof, const std::string& sigPin) {
    if (a.failures >= pinAttemptLimit) return {{"result", "PIN_BLOCKED"}};
    // A prepared PIN key whose commit was lost becomes the PIN key when first used.
    const auto sig = fromBase64url(sigPin).value_or(Bytes{});
    if (!a.pendingPinPk.empty() && crypto::verify(a.pendingPinPk, proof, sig)) a.pinPk = std::exchange(a.pendingPinPk, {});
    if (!crypto::verify(a.pinPk, proof, *fromBase64url(sigPin))) {
      ++a.failures;
      if (a.failures >= pinAttemptLimit) return {{"result", "PIN_BLOCKED"}};
      return {{"result", "PIN_FAIL"}, {"attemptsLeft", pinAttemptLimit - a.failures}};
    }
    a.failures = 0;
    return {{"result", "SUCCESS"}};
  }

  // The body of a start response (§5.1) for this QR.
  nlohmann::json startBody(const Bytes& qr) {
    auto& s = sessionOf(qr);
    nlohmann::json body = {{"kind", qr[1] == 2 ? "enrol" : "login"},
                           {"server", {{"name", name}, {"pingTime", pingTime}, {"pinTimeout", pinTimeout},
                                       {"pinTransTimeout", pinTransTimeout}, {"pinAttemptLimit", pinAttemptLimit}}},
                           {"time", time},
                           {"announceInfo", {{"origin", "https://rp.example"}}}};
    if (!logo.empty()) body["server"]["logo"] = logo;
    if (!returnOrigins.empty()) body["returnOrigins"] = returnOrigins;
    for (const auto& [k, v] : extraParams.items()) body["server"][k] = v;
    if (s.requireSecondFactor) body["secondFactor"] = "required";
    if (!s.transactionText.empty()) {
      body["transaction"] = {{"tid", "T-1"}, {"rpSession", base64url(s.transactionRpSession)}, {"text", s.transactionText}};
    }
    if (!s.matchCode.empty()) {
      body["codeLength"] = s.matchCode.size();
      body["codeCommitment"] = base64url(wire::codeCommitment(Bytes(qr.begin() + 18, qr.end()), s.matchCode));
    }
    if (qr[1] == 2) {
      body["userId"] = "alice";
      body["name"] = "alice@example";
    }
    return body;
  }

  std::string sealOnce(const wire::Transcript& t, const std::string& request, const nlohmann::json& body) {
    return wire::sealResponse(key.secretKey, t, request, body.dump(), previousSk());
  }

  Bytes newSession(QrType type) {
    QrPayload p{type, id, crypto::randomBytes(kSessionIdSize), {}, {}};
    if (type == QrType::Enrol) {
      p.serverPublicKey = key.publicKey;
      p.url = url;
    }
    Bytes raw = buildQrPayload(p);
    sessions[base64url(p.sessionId)] = Session{raw, wire::Transcript::begin(raw)};
    return raw;
  }

  std::string seal(Session& s, const std::string& request, const nlohmann::json& body) {
    std::string text = body.dump();
    std::string out = wire::sealResponse(key.secretKey, s.transcript, request, text, previousSk());
    s.transcript.advance(request, text);
    return out;
  }
};

// Drives an engine against a SimServer: delivers every request and collects the events. Time is
// simulated: the harness keeps each session's deadline as a host would (one per session, from the
// `deadline` outputs), and the clock verbs fire the due ones through onTimer.
struct Harness {
  SimServer server;
  std::unique_ptr<Engine> engine;
  std::vector<Output> events, sent, deadlines, persisted;  // deadlines: every deadline output
  std::map<int, std::int64_t> due;  // each session's deadline, as the host holds it
  std::int64_t now = 1'000'000;
  bool deliver = true;  // false: requests stay in `held` (server unreachable or slow)
  std::vector<Output> held;

  explicit Harness(Config config = testConfig(), const std::string& state = "") {
    engine = std::move(Engine::create(config, state).value());
  }

  void pump() {
    for (int round = 0; round < 16; ++round) {
      auto outs = engine->takeOutputs();
      if (outs.empty()) return;
      for (auto& o : outs) {
        switch (o.kind) {
          case Output::Kind::Event: events.push_back(o); break;
          case Output::Kind::Deadline:
            deadlines.push_back(o);
            if (o.at) due[o.session] = *o.at;
            else due.erase(o.session);
            break;
          case Output::Kind::Persist: persisted.push_back(o); break;
          case Output::Kind::Send:
            sent.push_back(o);
            if (deliver) engine->onResponse(o.request, 200, server.respond(o), now);
            else held.push_back(o);
            break;
        }
      }
    }
  }

  int start(const Bytes& qr) {
    auto r = engine->startSession(qr, now);
    pump();
    return r.session;
  }

  const Session& session(int id) { return *engine->session(id); }

  // ---- the clock ----

  // The session's deadline as the host holds it; none when it has no timer.
  std::optional<std::int64_t> nextDeadline(int sid) const {
    auto it = due.find(sid);
    return it == due.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  }

  // Moves the clock to `t`, firing every deadline due on the way (any session), earliest first,
  // each at its own time, as the host's timers would.
  void runUntil(std::int64_t t) {
    for (int guard = 0; guard < 100'000; ++guard) {
      auto first = due.end();
      for (auto it = due.begin(); it != due.end(); ++it) {
        if (it->second <= t && (first == due.end() || it->second < first->second)) first = it;
      }
      if (first == due.end()) break;
      const int sid = first->first;
      const std::int64_t at = first->second;
      now = std::max(now, at);
      engine->onTimer(sid, now);
      pump();
      if (nextDeadline(sid) == at) {
        ADD_FAILURE() << "session " << sid << ": its deadline " << at << " fired and did not move";
        return;
      }
    }
    now = std::max(now, t);
  }

  void advance(std::int64_t ms) { runUntil(now + ms); }

  // Runs the clock to the session's `kind` timer (which must be set) and fires it, with every
  // deadline before it.
  void fire(int sid, TimerKind kind) {
    const auto at = session(sid).timers.get(kind);
    if (!at) {
      ADD_FAILURE() << "no " << timerName(kind) << " timer for session " << sid;
      return;
    }
    runUntil(*at);
  }

  // ---- the user ----

  Status confirm(int sid, const std::optional<AccountRef>& account = std::nullopt, const std::string& userInput = "",
                 const std::string& code = "") {
    Status st = engine->setAccount(sid, account, userInput, now, code);
    pump();
    return st;
  }

  Status enterPin(int sid, const std::string& pin) {
    Status st = engine->setPinBiometric(sid, pin, now);
    pump();
    return st;
  }

  Status stop(int sid) {
    Status st = engine->stopSession(sid, now);
    pump();
    return st;
  }

  std::vector<std::string> eventNames(int session) const {
    std::vector<std::string> out;
    for (const auto& e : events) if (e.session == session) out.push_back(e.name);
    return out;
  }

  const Output* lastEvent(int session, const std::string& name) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->session == session && it->name == name) return &*it;
    }
    return nullptr;
  }

  // The deadline outputs of one session, in order (nullopt for `at: null`).
  std::vector<std::optional<std::int64_t>> deadlinesOf(int session) const {
    std::vector<std::optional<std::int64_t>> out;
    for (const auto& d : deadlines) if (d.session == session) out.push_back(d.at);
    return out;
  }

  // Enrols one account with `pin`, returning its id at the server.
  // manuallyStartUserInteraction: a held session goes on.
  Status startInteraction(int sid) {
    Status st = engine->startUserInteraction(sid, now);
    pump();
    return st;
  }

  std::int64_t enrol(const std::string& pin, const std::string& userInput = "") {
    int sid = start(server.enrolQr());
    if (session(sid).step == Step::Ready) EXPECT_TRUE(startInteraction(sid).ok());
    EXPECT_TRUE(confirm(sid, std::nullopt, userInput).ok());
    EXPECT_TRUE(enterPin(sid, pin).ok());
    return session(sid).chosen ? session(sid).chosen->accountId : 0;
  }
};

}  // namespace tapgate::test
