// The engine's host-facing surface in plain strings and numbers: what the embind layer exposes
// one to one. Every call returns JSON text; errors are values ({"ok":false,"error":{…}}), never throws.
#pragma once
#include <memory>
#include <string>

#include "engine.hpp"

namespace tapgate {

class EngineApi {
 public:
  // {"ok":true} or {"ok":false,"error":…}; must succeed before any other call.
  std::string open(const std::string& configJson, const std::string& stateBlob, double now);

  std::string startSession(const std::string& payload, double now);  // raw QR bytes
  std::string startSessionFromLink(const std::string& link, double now);
  std::string startAppLogin(double now);
  // A transaction the app starts (§5.12): secondFactor ANY | PIN | BIOMETRIC.
  std::string startTransaction(const std::string& accountJson, const std::string& clientAdditionalData,
                               const std::string& secondFactor, double now);
  void noteUserActivity(double now);
  std::string startUserInteraction(int session, double now);
  std::string setAccount(int session, const std::string& accountJson, const std::string& userInput,
                         const std::string& code, double now);
  std::string setPinBiometric(int session, const std::string& pin, const std::string& biometric, double now);
  std::string reportBiometricFailure(int session);
  std::string inputCancel(int session, double now);
  std::string stopSession(int session, double now);

  // {"ok":true,"outcome":"session"|"handled"|"duplicate","session"?:n} or an error.
  std::string processPush(const std::string& payload, double now);        // sealed bytes
  std::string processPushText(const std::string& payload, double now);    // base64url text of them
  std::string retrieveMessages();                                         // {"ok":true,"requests":[…]}
  std::string updatePushToken(const std::string& token, double now);      // {"ok":true,"requests":[…]}
  std::string deleteAccount(const std::string& accountJson, double now);
  // Second-factor management: {"ok":true,"requests":[operation id]} or an error.
  std::string changePin(const std::string& pin, const std::string& biometric, const std::string& newPin, double now);
  std::string addBiometric(const std::string& pin, const std::string& biometric, double now);
  std::string removeBiometric(double now);

  void onResponse(int request, int httpStatus, const std::string& body, double now);
  void onNetworkError(int request, const std::string& message, double now);
  // The session's deadline (the last `deadline` output's `at`) is due: runs its expired timers.
  void onTimer(int session, double now);

  // JSON array of {type:"send"|"deadline"|"persist"|"event", …}; "deadline" {session, at: ms | null}
  // comes when a session's next deadline moves (null: no timer left), before the other outputs of
  // the call that moved it.
  std::string takeOutputs();
  // The state blob of the last batch's "persist" output ("" when there is none), held until the
  // next takeOutputs. The bindings hand it to JS as a view of wasm memory: embind's std::string
  // return scans every byte in JS, which made each save cost O(state) in slow JS.
  const std::string& state() const { return state_; }
  ~EngineApi() { wipeState(); }
  std::string session(int id) const;
  std::string accounts() const;
  std::string history(double now) const;

 private:
  std::unique_ptr<Engine> engine_;
  void wipeState();
  std::string state_;  // the blob a "persist" output announced, until the next takeOutputs
};

}  // namespace tapgate
