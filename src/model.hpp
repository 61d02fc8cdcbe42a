// What the device keeps across restarts: servers, accounts (with their secret keys), the
// app-wide PIN flag and the history. Serialised to an opaque JSON blob the host stores encrypted.
#pragma once
#include "json.hpp"
#include <optional>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "error.hpp"
#include "history.hpp"
#include "wire.hpp"

namespace tapgate {

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
  std::int64_t lastLogin = 0;  // server clock: this account's last login as its server recorded it; 0: none yet
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
  History history;

  const ServerRecord* server(const Bytes& id) const;
  const Account* account(const Bytes& serverId, std::int64_t accountId) const;
};

std::string serializeState(const AppState& state);
Result<AppState> parseState(const std::string& blob);  // "" → empty state

// Public (non-secret) views handed to the app.
json errorJson(const Error& e);
json accountJson(const Account& a, const AppState& state);
json serverJson(const ServerRecord& s);  // what the app may show or open of a server (Account.server)
json historyJson(const HistoryItem& h, const AppState& state);

}  // namespace tapgate
