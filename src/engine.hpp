// The sans-IO authenticator engine: owns the app state and the live sessions, consumes user
// actions, server responses and timer expiries (each with `now`), and queues outputs for the host:
// requests to send, each session's next deadline, state to persist and events to emit. It never
// does I/O. It owns its timers (src/timers.hpp): the host keeps one deadline per session.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "crypto.hpp"
#include "model.hpp"
#include "qr_payload.hpp"
#include "timers.hpp"
#include "transitions.hpp"
#include "wire.hpp"

namespace tapgate {

struct Output {
  enum class Kind { Send, Deadline, Persist, Event };
  explicit Output(Kind k) : kind(k) {}
  Kind kind;
  int session = 0;  // 0 for engine-wide outputs
  int request = 0;  // Send: answer with onResponse/onNetworkError(request, …)
  std::string url;   // Send
  std::string body;  // Send: request body; Persist: state blob
  std::string name;  // Event: event name
  // Deadline: the session's next deadline on the host clock (ms), none once no timer is set. The
  // host keeps one timer per session at it and calls onTimer(session, now) when it is due.
  std::optional<std::int64_t> at;
  json detail;          // Event
};

struct AccountRef {
  Bytes serverId;
  std::int64_t accountId = 0;
  bool operator==(const AccountRef&) const = default;
};

// An enrolment's own part of a session: what the server proposed, and the keys made at PIN entry,
// kept once the server agrees and wiped otherwise.
struct Enrolment {
  std::string userId, name;                    // proposed by the start response
  std::optional<Account> account;              // the new account, made at PIN entry
  std::optional<crypto::SignKeyPair> pinKey;   // … its PIN key
  std::optional<crypto::SignKeyPair> bioKey;   // … and its biometric key, if set
  std::optional<crypto::SignKeyPair> checkPinKey;  // a later enrolment: the PIN key of `checkAccount`
  std::optional<AccountRef> checkAccount;          // the existing account the PIN is checked against
};

struct Session {
  int id = 0;
  Step step = Step::Starting;
  HistoryStatus history = HistoryStatus::None;
  bool isRegistration = false;
  Bytes qrRaw;
  QrPayload qr;
  wire::Transcript transcript;
  Bytes t1;  // the transcript once the server started the session: the cancel and logout proofs cover it
  Bytes serverPk;
  std::string serverUrl;
  wire::ServerParams params;
  json announceInfo = nullptr;
  json sessionInfo = nullptr;
  std::vector<AccountRef> candidates;
  std::optional<AccountRef> chosen;
  std::string userInput;
  bool firstSet = false;  // second factor context: FIRST_SET (true) or VERIFY
  std::optional<Error> error;
  std::int64_t started = 0, ended = 0;
  Enrolment enrolment;                     // isRegistration only
  int inflight = 0;                        // request id the session is waiting for
  std::int64_t pingMs = 0;                 // ACTIVE: the server's pingTime
  std::int64_t lastAlive = 0;              // ACTIVE: when the server last confirmed the login
  std::int64_t clockOffset = 0;            // server time − device time, from the signed start response
  bool isAppLogin = false;
  bool secondFactorRequired = false;       // the relying party asked for it (start response)
  std::optional<wire::TransactionToApprove> transaction;  // a login that approves a transaction
  std::optional<wire::CodeMatching> codeMatching;        // a login whose code the user types
  std::string pickedCode;                                // … the code typed
  bool factorSent = false;                 // the request in flight carries a second-factor proof
  bool biometricAllowed = false;           // offered at the current prompt
  bool usedBiometric = false;              // the factor in flight is the biometric
  std::string webNonce;                    // AppLogin: what the app's backend checks with getSession
  // A transaction the app started (§5.12): the second factor it requires, and the data it signs.
  std::optional<wire::RequiredFactor> requiredFactor;
  std::string clientAdditionalData;
  std::string pushedStart;                 // a login message's start response, taken up by a timer
  std::int64_t loggedInAt = 0;
  // App-to-app: the link's return URL, allowed once the signed start response lists its origin;
  // `returnTo` is what the app opens (with the outcome), set when the session has returned.
  std::string returnUrl;
  bool returnAllowed = false;
  std::string returnTo;
  // The session's timers; changed only through Engine::setTimer/stopTimer (and applyTransition),
  // which queue the `deadline` output when the next deadline moves.
  TimerTable timers;
  std::optional<std::int64_t> announcedDeadline;  // the last deadline output's `at`
  bool deadlineTouched = false;                   // timers changed in the current entry point
};

struct PushResult {
  enum class Outcome { SessionStarted, Handled, Duplicate } outcome = Outcome::Handled;
  int session = 0;  // SessionStarted
};

struct StartResult {
  int session = 0;
  std::optional<Error> error;  // set when the session ended in ERROR straight away
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(Config config, const std::string& stateBlob);

  StartResult startSession(const Bytes& payload, std::int64_t now);
  // A login for one given account (a login message names it): its only candidate.
  // `pushedStart`: the start response a login message carried (signed with the message), which
  // takes the place of /v1/start: a push login needs one request once the push has arrived.
  StartResult startSession(const Bytes& payload, std::int64_t now, const std::optional<AccountRef>& only,
                           const std::string& pushedStart = "");
  StartResult startSessionFromLink(const std::string& link, std::int64_t now);
  // Logs the app itself in (one account, a continuous server): STARTING → WAIT_FOR_SECOND_FACTOR.
  StartResult startAppLogin(std::int64_t now);
  // A transaction the app starts for one of its accounts (§5.12): STARTING → WAIT_FOR_SECOND_FACTOR
  // (the factor `factor` requires) → DONE. Bad arguments end the session in ERROR at once.
  StartResult startTransaction(const AccountRef& account, const std::string& clientAdditionalData,
                               wire::RequiredFactor factor, std::int64_t now);
  // The user did something in the app: restarts the inactivity clock of an active AppLogin.
  void noteUserActivity(std::int64_t now);
  // manuallyStartUserInteraction: a session held at READY_FOR_USER_INTERACTION goes on to its
  // confirmation or second-factor prompt. Elsewhere WRONG_STATE.
  Status startUserInteraction(int session, std::int64_t now);
  // `code`: with code matching, the code the user picked from the confirmation's choices.
  // `userInput` (at most limits::kMaxUserInputBytes) goes to the server with the login or enrolment.
  Status setAccount(int session, const std::optional<AccountRef>& account, const std::string& userInput,
                    std::int64_t now, const std::string& code = "");
  // The PIN, and/or the 32-byte secret the BiometricProvider released (empty when not used).
  Status setPinBiometric(int session, const std::string& pin, std::int64_t now, const SecretBytes& biometric = {});
  // The BiometricProvider refused (user cancelled or not recognised): another secondfactor event.
  Status reportBiometricFailure(int session);
  Status inputCancel(int session, std::int64_t now);
  Status stopSession(int session, std::int64_t now);

  // A push payload (sealed to one of our accounts). A message id seen before is PUSH_REPLAYED;
  // pulled messages (retrieveMessages) go through the same checks but skip seen ids silently.
  Result<PushResult> processPush(const Bytes& payload, std::int64_t now);
  // App-level requests: each ends with an engine event "requestdone" {request, ok, error?}.
  std::vector<int> retrieveMessages();
  std::vector<int> updatePushToken(const std::string& token, std::int64_t now);
  // Deletes the account here at once and tells its server (fire-and-forget).
  Status deleteAccount(const AccountRef& account, std::int64_t now);

  // Second-factor management (engine_factors.cpp). Each starts an app-level operation over every
  // account concerned, one server after the other, and returns its id; it ends with one
  // "requestdone" {request, ok, result?: SUCCESS | PIN_FAIL | PIN_BLOCKED | BIOMETRIC_FAIL,
  // attemptsLeft?, error?}. One operation at a time.
  // A new PIN, authorised by the current PIN or (unless disallowPinChangeWithBiometric) the
  // biometric: every server first holds it as pending, and only once all of them do does the
  // device switch, so a failure part-way leaves the old PIN valid everywhere.
  Result<int> changePin(const std::string& pin, const SecretBytes& biometric, const std::string& newPin, std::int64_t now);
  // A biometric key for every account, authorised by the PIN.
  Result<int> addBiometric(const std::string& pin, const SecretBytes& biometric, std::int64_t now);
  // Stops offering the biometric at once, then has every server forget its key.
  Result<int> removeBiometric(std::int64_t now);

  // At start-up: sessions a crash or a kill cut short end now, as ABORTED (or LOGGED_OUT if they
  // were logged in), and their servers are told, as a stop would have.
  void recoverInterruptedSessions(std::int64_t now);

  void onResponse(int request, int httpStatus, const std::string& body, std::int64_t now);
  void onNetworkError(int request, const std::string& message, std::int64_t now);
  // The host's timer for the session's deadline is due: runs every timer of the session that has
  // expired at `now`, earliest deadline first (ties in TimerKind order). Before the deadline it
  // does nothing.
  void onTimer(int session, std::int64_t now);

  std::vector<Output> takeOutputs();

  const Session* session(int id) const;
  json sessionJson(int id) const;
  json accountsJson() const;
  json historyJson(std::int64_t now) const;
  const AppState& state() const { return state_; }

 private:
  // A request in flight, with what its answer must be verified against.
  struct Pending {
    int session;
    // session 0: app-level requests (messages, push token, account deletion).
    enum class Purpose { Start, AppLoginStart, AppTransactionStart, Verify, PinChallenge, PinCheck, Ping, Messages, PushToken, Notify, FactorChallenge, FactorChange } purpose;
    std::string body;
    Bytes serverPk;
    wire::Transcript transcript;
  };

  explicit Engine(Config config, AppState state) : config_(std::move(config)), state_(std::move(state)) {}

  // Every public entry point holds one: when the outermost ends, each session whose next deadline
  // moved gets one `deadline` output, placed before that entry point's other outputs (a host that
  // runs events which call back in then never applies an older deadline after a newer one).
  class Entry {
   public:
    explicit Entry(Engine& e) : e_(e) {
      if (e_.entryDepth_++ == 0) e_.entryStart_ = e_.outputs_.size();
    }
    ~Entry() {
      if (--e_.entryDepth_ == 0) e_.announceDeadlines(e_.entryStart_);
    }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    Engine& e_;
  };
  void setTimer(Session& s, TimerKind kind, std::int64_t at);
  void stopTimer(Session& s, TimerKind kind);
  void touchTimers(Session& s);
  void announceDeadlines(std::size_t position);
  void fireTimer(Session& s, TimerKind kind, std::int64_t now);

  Session* find(int id);
  // An app call is allowed in a step with a row for `outcome`, an input the call can lead to there;
  // misuse is WRONG_STATE and changes nothing.
  Status expect(const Session& s, const char* call, Input outcome) const;
  // The only writer of a session's step and history status: applies the row for `input` (its
  // step, history status and end notice), records history and emits statechange, error and stop.
  void applyTransition(Session& s, Input input, std::int64_t now, std::optional<Error> error = std::nullopt);
  void fault(Session& s, Error error, std::int64_t now) { applyTransition(s, Input::Fault, now, std::move(error)); }
  void recordHistory(Session& s, std::int64_t now);
  int send(Session& s, const wire::Exchange& ex, Pending::Purpose purpose);
  int sendTo(Session& s, const ServerRecord& server, const wire::Transcript& t, const wire::Exchange& ex,
             Pending::Purpose purpose);
  void sendNotice(Session& s, Notice notice);
  void emit(int session, std::string name, json detail);
  void emitState(const Session& s);
  // An allowed return URL, once the login is in or the session has ended: the `return` event.
  void emitReturn(Session& s);
  void emitSecondFactor(const Session& s, const char* result, int attemptsLeft);
  void persist(std::int64_t now);

  void handleStart(Session& s, const std::string& request, const std::string& body, std::int64_t now);
  // The start response is in: the confirmation (`confirm`) or the second-factor prompt (`prompt`),
  // at once or when the app calls startUserInteraction.
  void beginUserInteraction(Session& s, Input confirm, Input prompt, std::int64_t now);
  void handleAppLoginStart(Session& s, const std::string& request, const std::string& body, std::int64_t now);
  void handleAppTransactionStart(Session& s, const std::string& request, const std::string& body, std::int64_t now);
  void armAppLoginTimers(Session& s, std::int64_t now);
  int newSession(std::int64_t now);
  void handleVerify(Session& s, const std::string& request, const std::string& body, std::int64_t now);
  void handlePinChallenge(Session& s, int httpStatus, const std::string& body, std::int64_t now);
  void handlePinCheck(Session& s, const std::string& body, std::int64_t now);
  // A verified answer carried the server's parameters and clock: the session adopts them ...
  void adoptServerView(Session& s, const wire::ServerParams& params, std::int64_t serverTime, std::int64_t now);
  // ... and the stored record of that server takes them over; null when the app has none yet.
  ServerRecord* storeServerView(const Session& s, std::int64_t now);
  bool displayNameTaken(const Session& s) const;
  std::string enrolmentName(const Session& s) const;
  void noteLastLogin(const Session& s, std::int64_t lastLogin, std::int64_t now);
  void sendEnrol(Session& s);
  // The existing account whose PIN proof `enrol` carries (same server, §5.2), or null.
  const Account* enrolPinCheckAccount(const Session& s) const;
  void sendLogin(Session& s, const crypto::SignKeyPair* pinKey, const crypto::SignKeyPair* bioKey = nullptr);
  bool biometricAllowed(const Session& s, std::int64_t now) const;
  // Moves to WAIT_FOR_SECOND_FACTOR by `prompt`: a start, a confirmation, or the verdict that asks
  // again (PIN_FAIL); FactorBlocked instead when a blocked PIN blocks every factor.
  void askSecondFactor(Session& s, Input prompt, std::int64_t now, const char* result = nullptr, int attemptsLeft = 0);
  bool canSkipSecondFactor(const Session& s, std::int64_t now) const;
  void armKeepAlive(Session& s, std::int64_t now);
  void keepAlive(Session& s, std::int64_t now);
  void handlePing(Session& s, const std::string& request, const Result<std::string>& opened, std::int64_t now);
  bool rejectPin(Session& s, const wire::VerifyResponse& r, std::int64_t now);  // PIN_FAIL / PIN_BLOCKED
  // The server refused the biometric of the session's account: it is off for that account from now
  // on (the app re-enables it with addBiometric). False if it was not on.
  bool disableBiometric(const Session& s, std::int64_t now);
  void clearSecondFactorKeys(Session& s);
  void completeEnrolment(Session& s, const wire::VerifyResponse& r, std::int64_t now);

  json accountListJson(const std::vector<AccountRef>& refs) const;
  // The server's clock, from our clock and the offset its last signed time gave us.
  // Saturates: a stored or signed time far off the device's must not overflow.
  static std::int64_t serverNow(const ServerRecord& server, std::int64_t now) {
    std::int64_t t;
    if (__builtin_add_overflow(now, server.clockOffset, &t)) {
      return server.clockOffset > 0 ? INT64_MAX : INT64_MIN;
    }
    return t;
  }

  int sendApp(const ServerRecord& server, const wire::Transcript& t, const wire::Exchange& ex, Pending::Purpose purpose);
  void handleAppResponse(int request, const Pending& p, int httpStatus, const std::string& body, std::int64_t now);
  // How a message arrived: a second push of a seen id is a replay (PUSH_REPLAYED); a pull returns
  // every unexpired message, so ids seen before are skipped there (Outcome::Duplicate).
  enum class Delivery { Push, Pull };
  Result<PushResult> acceptMessage(const Bytes& payload, Delivery delivery, std::int64_t now);
  Result<PushResult> handleMessage(const Account& account, const wire::ServerMessage& m, Delivery delivery,
                                   std::int64_t now);
  void forgetExpiredMessages(std::int64_t now);
  void removeAccount(const AccountRef& ref, std::int64_t now);

  // One account's part of a second-factor operation: keys derived up front, so no PIN is kept.
  struct FactorStep {
    AccountRef account;
    std::optional<crypto::SignKeyPair> authKey;  // current PIN key or biometric key (none for a removal)
    std::optional<crypto::SignKeyPair> newKey;   // new PIN key or new biometric key
    Bytes newSalt;
  };
  struct FactorOperation {
    int id = 0;
    wire::FactorChange change = wire::FactorChange::Pin;
    bool byBiometric = false;
    std::vector<FactorStep> steps;
    std::size_t next = 0;
  };
  Result<int> beginFactorOperation(FactorOperation op, std::int64_t now);
  void nextFactorStep(std::int64_t now);
  void handleFactorResponse(const Pending& p, int httpStatus, const std::string& body, std::int64_t now);
  void applyFactorStep(const FactorStep& step, std::int64_t now);
  void endFactorOperation(const std::optional<Error>& error, const char* result, int attemptsLeft);

  Config config_;
  AppState state_;
  std::map<int, Session> sessions_;
  std::map<int, Pending> pending_;
  std::vector<Output> outputs_;
  std::optional<FactorOperation> factorOp_;
  bool persistQueued_ = false;  // a Persist output waits in outputs_ for the state at takeOutputs
  int entryDepth_ = 0;           // Entry: nesting of public entry points
  std::size_t entryStart_ = 0;   // Entry: outputs_.size() when the outermost began
  std::vector<int> touchedTimers_;  // sessions whose timers changed in the current entry point
  int nextSession_ = 1;
  int nextRequest_ = 1;
};

}  // namespace tapgate
