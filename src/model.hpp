// What the device keeps across restarts: servers, accounts (with their secret keys), the
// app-wide PIN flag and the history. Serialised to an opaque JSON blob the host stores encrypted.
#pragma once
#include "json.hpp"
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "error.hpp"
#include "wire.hpp"

namespace tapgate {


enum class HistoryStatus { None, LoggedIn, LoggedInOneShot, LoggedOut, Aborted, Error, Deleted };
const char* historyStatusName(HistoryStatus s);
std::optional<HistoryStatus> historyStatusFromName(const std::string& name);

struct ServerRecord {
  Bytes id;         // 16 bytes
  Bytes publicKey;  // pinned at enrolment
  std::string url;  // device API base URL
  wire::ServerParams params;
  std::int64_t clockOffset = 0;  // server clock − device clock, from the last signed server time
};

struct Account {
  Bytes serverId;
  std::int64_t accountId = 0;  // the server's id (LoginStatus accountid)
  std::string name;            // display name
  std::string userId;
  SecretBytes signSecretKey;   // Ed25519 account key
  Bytes signPublicKey;
  SecretBytes boxSecretKey;    // X25519 key that push messages are sealed to
  Bytes boxPublicKey;
  Bytes pinSalt;               // Argon2id salt of this account's PIN key; a PIN change draws a new one
  Bytes bioSalt;               // salt of its biometric key (the PIN's salt for accounts stored before)
  bool biometric = false;      // its server holds a biometric key for it
  std::int64_t created = 0;
};

// What a history item records; HistoryItem adds its serialisation cache.
struct HistoryFields {
  std::string sessionRef;  // base64url session id as the server knows it
  std::string kind;        // "login" | "enrol"
  HistoryStatus status = HistoryStatus::None;
  Bytes serverId;
  std::int64_t accountId = 0;  // 0 when no account was chosen
  std::string accountName;     // kept for display after the account is deleted
  std::int64_t started = 0;
  std::int64_t ended = 0;
  // T1 of the session once the server started it (empty before): a restart after a crash proves
  // the cancel or the logout it then sends with it (protocol §5.4, §5.5).
  Bytes t1;
  // Cheap fields first: serializeState compares every item at every save. Byte strings with
  // memcmp: the wasm build (-Os) compiles vector== to a loop of out-of-line iterator calls, which
  // made these compares most of a save's cost once the history holds a few hundred items.
  bool operator==(const HistoryFields& o) const {
    return ended == o.ended && started == o.started && status == o.status && accountId == o.accountId &&
           sameBytes(t1, o.t1) && sessionRef == o.sessionRef && sameBytes(serverId, o.serverId) &&
           kind == o.kind && accountName == o.accountName;
  }
  static bool sameBytes(const Bytes& a, const Bytes& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
  }
};

struct HistoryItem : HistoryFields {
  // The item's JSON in the state blob, with the fields it was made from: serializeState reuses it
  // while the item still equals them, so a save re-serialises only the items that changed (every
  // session records one; a full re-serialisation made each event cost O(history)). Shared and
  // immutable, so copies of the state share it and nothing has to remember to invalidate it.
  struct Serialized {
    HistoryFields of;
    std::string json;
  };
  mutable std::shared_ptr<const Serialized> serialized;
};

struct SeenMessage {
  std::string id;
  std::int64_t expires = 0;  // server clock; forgotten after this (an expired message is refused anyway)
};

struct AppState {
  bool pinSet = false;  // one PIN for the whole app
  std::string pushToken;
  std::int64_t lastSecondFactorAt = 0;  // device clock: when a second factor last verified
  std::int64_t lastPinAt = 0;           // device clock: when the PIN last verified
  int biometricsSinceLastPin = 0;       // biometric verifications since then
  bool pinBlocked = false;              // a server answered PIN_BLOCKED
  std::vector<SeenMessage> seenMessages;
  std::vector<ServerRecord> servers;
  std::vector<Account> accounts;
  std::vector<HistoryItem> history;

  const ServerRecord* server(const Bytes& id) const;
  const Account* account(const Bytes& serverId, std::int64_t accountId) const;
};

std::string serializeState(const AppState& state);
Result<AppState> parseState(const std::string& blob);  // "" → empty state

// Public (non-secret) views handed to the app.
json errorJson(const Error& e);
json accountJson(const Account& a, const AppState& state);
json historyJson(const HistoryItem& h, const AppState& state);

}  // namespace tapgate
