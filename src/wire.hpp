// Wire formats of the device protocol v1 (docs/protocol.md §3–§5): request bodies, the signed
// response envelope and the session transcript. Nothing else in the core knows field names.
#pragma once
#include "json.hpp"
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "bytes.hpp"
#include "error.hpp"
#include "qr_payload.hpp"

namespace tapgate::wire {


constexpr int kProtocolVersion = 1;

// Running hash of everything both ends have said: T0 = H("tapgate/v1/transcript" ‖ qr),
// T(n+1) = H(T(n) ‖ H(request) ‖ H(response body)). Every signature covers the current value,
// so a response can't be replayed into another session or another step of the same one.
class Transcript {
 public:
  static Transcript begin(const Bytes& qrPayload);
  const Bytes& hash() const { return hash_; }
  void advance(const std::string& request, const std::string& responseBody);

 private:
  Bytes hash_;
};

// Server parameters as the server announces them in every start response.
struct ServerParams {
  std::string name;
  std::int64_t pingTime = 0;        // seconds; 0 = one-shot logins
  std::int64_t pinTimeout = 0;      // minutes a login may skip the second factor; -1: never asked again, 0: always
  std::int64_t pinAttemptLimit = 3;
  std::string logo;  // the server's logo, an image URL as the server gave it (https: or data:); empty: none
  std::int64_t pinTransTimeout = 0; // minutes a transaction's approval may skip the second factor; 0: always asked
  // Shown or offered by the app, never fetched by the core (§5.1); each empty when the server has none.
  std::string appUrl;      // URL prefix that opens the relying party's own app
  std::string siteUrl;     // the relying party's website
  std::string appAndroid;  // app store links of the relying party's app
  std::string appIos;
  std::string owner;       // who runs the server, as shown to the user
  std::vector<std::string> flags;  // the server flags this core knows, in kServerFlags order

  bool operator==(const ServerParams&) const = default;
  bool has(std::string_view flag) const;
};

// The server flags (§5.1, serverFlags): a closed set; a flag this core does not know is ignored.
// uniqueDisplayNames: an enrolment whose account name the app already holds ends in
// DISPLAY_NAME_EXISTS (reference error 35).
inline constexpr const char* kServerFlags[] = {"uniqueDisplayNames"};

// A link the app may open (appUrl, siteUrl, appAndroid, appIos): https:, or http: to localhost,
// 127.0.0.1 or [::1] (a relying party in development), as url::isWebUrl reads URLs.
bool isLink(const std::string& text);

// A transaction to approve: its id, the relying party's session it belongs to (an opaque 32-byte
// binding), the exact text the device shows and signs, and that text parsed for the app.
struct TransactionToApprove {
  std::string id;
  Bytes rpSession;
  std::string text;
  json shown;
};

// Code matching: the number of digits the user types from the login page and a commitment to the
// right code H(domain ‖ session ‖ code).
struct CodeMatching {
  int length = 0;
  Bytes commitment;
};

struct StartResponse {
  QrType kind = QrType::Login;
  ServerParams server;
  std::int64_t serverTime = 0;  // ms since the epoch, signed: the device corrects its clock with it
  json announceInfo;            // null or an object of strings / objects, shown while confirming
  std::string enrolUserId;      // enrol only
  std::string enrolName;        // enrol only: label proposed for the new account
  bool secondFactorRequired = false;  // the relying party wants the second factor for this login
  std::optional<TransactionToApprove> transaction;
  std::optional<CodeMatching> codeMatching;
  // Where an app-to-app link may send the user back (origins, url::isWebOrigin); signed with the
  // rest, so a network in between cannot widen it. Empty: no return URL is allowed.
  std::vector<std::string> returnOrigins;
};

Bytes codeCommitment(const Bytes& sessionId, const std::string& code);
// What the account key signs to approve a transaction: its id, its relying-party session and its
// text, so a signature can't be moved to another transaction or another user's session.
Bytes transactionSigningInput(const std::string& transactionId, const Bytes& rpSession, const std::string& transactionText);

enum class VerifyOutcome { Success, PinFail, PinBlocked, SecondFactorRequired, BiometricFail };

struct VerifyResponse {
  VerifyOutcome outcome = VerifyOutcome::Success;
  int attemptsLeft = 0;
  std::int64_t accountId = 0;  // enrol only
  std::string userId;          // enrol only (may be empty)
  json sessionInfo;            // shown once logged in
  std::int64_t pingTime = 0;
  std::int64_t lastLogin = 0;  // login: the server's time of this login (its Account lastlogin); 0: not given
};

struct Exchange {
  std::string path;  // appended to the server's device API URL
  std::string body;  // exact bytes sent, hashed into the transcript
};

Exchange startRequest(const Bytes& qrPayload, const Bytes& deviceNonce);
// bioPk / sigBio empty unless the user set a biometric too.
// The PIN proof a later enrolment carries when the app has an account at the same server (§5.2):
// that account's keys sign enrolPinCheckProofMessage, so no separate PIN check is needed.
struct EnrolPinCheck {
  std::int64_t accountId = 0;
  Bytes sigAccount;
  Bytes sigPin;
};
Exchange enrolRequest(const Bytes& sessionId, const Bytes& accountPk, const Bytes& boxPk, const Bytes& pinPk,
                      const Bytes& sigAccount, const Bytes& sigPin, const std::string& pushToken,
                      const Bytes& bioPk = {}, const Bytes& sigBio = {},
                      const std::optional<EnrolPinCheck>& pinCheck = std::nullopt, const std::string& userInput = "");
// sigPin empty: a login without the second factor, which the server grants only within its pinTimeout.
enum class LoginFactor : std::uint8_t { None = 0, Pin = 1, Biometric = 2 };
struct LoginExtras {
  Bytes sigBio;               // the second factor is the biometric (then sigPin is empty)
  std::string code;           // code matching: the code the user picked
  Bytes sigTransaction;       // transaction: the account key's signature over the transaction
};
Exchange loginRequest(const Bytes& sessionId, std::int64_t accountId, const std::string& userInput,
                      const Bytes& sigAccount, const Bytes& sigPin, const LoginExtras& extras = {});
// Cancel (§5.4) proves the sender started the session: H("tapgate/v1/cancel" ‖ T1), T1 being the
// transcript once the session was started, which whoever merely saw the QR cannot know.
Exchange cancelRequest(const Bytes& sessionId, const Bytes& t1);
Bytes cancelProof(const Bytes& t1);
// AppLogin (§5.9): the app logs in to its own backend. The server opens a relying-party session
// (its nonce is the web nonce the app's backend checks) and a login session on it. `time` is the
// server's clock as the device estimates it; with the nonce, it makes a replay open nothing.
Exchange appLoginRequest(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce, const Bytes& sigAccount);
Bytes appLoginProofMessage(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce);
struct AppLoginResponse {
  Bytes sessionId;      // the QR session id the login continues on
  std::string webNonce;
  ServerParams server;
  std::int64_t serverTime = 0;
};
Result<AppLoginResponse> parseAppLoginResponse(const std::string& body);

// A transaction the app starts (§5.12): the account key signs the app's clientAdditionalData and
// the second factor it requires, with a fresh time and nonce (a replay creates nothing). The
// server answers with a login session on which the device approves it like any transaction.
enum class RequiredFactor : std::uint8_t { Any = 0, Pin = 1, Biometric = 2 };
const char* requiredFactorName(RequiredFactor f);  // ANY | PIN | BIOMETRIC
std::optional<RequiredFactor> requiredFactorFromName(const std::string& name);
Exchange appTransactionRequest(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce, RequiredFactor factor,
                               const std::string& clientAdditionalData, const Bytes& sigAccount);
Bytes appTransactionProofMessage(std::int64_t accountId, std::int64_t time, const Bytes& deviceNonce, RequiredFactor factor,
                                 const std::string& clientAdditionalData);
struct AppTransactionResponse {
  Bytes sessionId;  // the login session the approval continues on
  std::string tid;
  Bytes rpSession;
  std::string text;  // must be the app's clientAdditionalData, byte for byte
  ServerParams server;
  std::int64_t serverTime = 0;
};
Result<AppTransactionResponse> parseAppTransactionResponse(const std::string& body);

// Keep-alive of a continuous login, signed over the current transcript (docs/protocol.md §5.8).
Exchange pingRequest(const Bytes& sessionId, std::int64_t accountId, const Bytes& sigAccount);
Bytes pingProofMessage(const Transcript& t);
enum class PingStatus { Active, LoggedOut };
Result<PingStatus> parsePingResponse(const std::string& body);

// PIN check against an existing account (the VERIFY at a later enrolment): a fresh server
// challenge (unsigned: the server answers the same for ids it does not know), then proofs over it,
// answered signed over T = begin(challenge).
Exchange pinChallengeRequest(std::int64_t accountId);
Exchange pinCheckRequest(std::int64_t accountId, const Bytes& challenge, const Bytes& sigAccount, const Bytes& sigPin);
Exchange logoutRequest(const Bytes& sessionId, std::int64_t accountId, const Bytes& sigAccount);

// Second-factor management (§5.10): change the PIN, add or remove the biometric, each over a fresh
// challenge (§5.6) and signed over T = begin(challenge). Every signature covers the challenge, the
// change and the new key, so none of them can be replayed or re-aimed at another key.
enum class FactorChange : std::uint8_t { Pin = 1, AddBiometric = 2, RemoveBiometric = 3 };
struct FactorProofs {
  Bytes sigAccount;  // the account key
  Bytes sigPin;      // authorisation by the current PIN …
  Bytes sigBio;      // … or by the biometric (a PIN change only)
  Bytes sigNew;      // possession of the new key (empty for a removal)
};
Exchange factorChangeRequest(std::int64_t accountId, const Bytes& challenge, FactorChange change, const Bytes& newPk,
                             const FactorProofs& proofs);
Bytes factorChangeProofMessage(const Bytes& challenge, FactorChange change, const Bytes& newPk);
// Makes a prepared PIN key the account's PIN key (the server also does so when the key is first used).
Exchange pinCommitRequest(std::int64_t accountId, const Bytes& pinPk, const Bytes& sigAccount);
Bytes pinCommitProofMessage(std::int64_t accountId, const Bytes& pinPk);

// What the device signs to prove its account key (and PIN key) in the current step.
// "tapgate/v1/enrol" ‖ T1 ‖ H(userInput): the new account's keys, bound to this session and to what the app passed.
Bytes enrolProofMessage(const Transcript& t, const std::string& userInput);
Bytes enrolPinCheckProofMessage(const Transcript& t);
// Covers the transcript and every login request field with meaning: the factor, the user input the
// relying party stores and the matched code (an attacker who rewrites them breaks the proof).
Bytes loginProofMessage(const Transcript& t, LoginFactor factor, const std::string& userInput, const std::string& code);
Bytes logoutProofMessage(const Bytes& t1);  // T1 of the session whose login ends (§5.5)
Bytes pinCheckProofMessage(const Bytes& challenge);

// Checks the envelope's signature against the pinned server key and the transcript, returns the
// body text. Signed server errors come back as their typed error.
Result<std::string> openResponse(const Bytes& serverPk, const Transcript& t, const std::string& request,
                                 int httpStatus, const std::string& response);

Result<StartResponse> parseStartResponse(const std::string& body);
Result<VerifyResponse> parseVerifyResponse(const std::string& body, bool enrol);
Result<Bytes> parsePinChallenge(int httpStatus, const std::string& body);  // the 32-byte challenge, unsigned
// What an answer that is not a signed envelope means: an unsigned 403 is the account proof not
// accepted (SERVER_AUTHENTICATION_FAILED), another non-2xx an unknown failure, a 2xx a bad response.
Error unsignedFailure(int httpStatus, const std::string& body = "");

// Server messages (docs/protocol.md §6): pushed sealed to an account's box key, or pulled.
enum class MessageKind { Login, Logout, Delete, Note, Rekey };
struct ServerMessage {
  std::string id;  // base64url of 16 random bytes: the dedup key
  MessageKind kind = MessageKind::Note;
  Bytes serverId;
  std::int64_t accountId = 0;
  std::int64_t time = 0;
  std::int64_t expires = 0;
  Bytes qr;       // Login: the login QR payload to start
  std::string start;  // Login: the start response (§5.1) the server made for it; the device skips /v1/start
  Bytes session;  // Logout: the QR session id of the login it ends
  json note;      // Note: {"text": …, "data": {…}}
  Bytes newKey;   // Rekey: the server's new public key (its proof of possession already checked)
};
// Verifies the server's signature over the message and parses it.
Result<ServerMessage> openServerMessage(const Bytes& signedMessage, const Bytes& serverPk);
// Tests: signs as a server does; with `previousSk`, also as `sigPrev` (a key rotation's overlap).
std::string signServerMessage(const SecretBytes& serverSk, const std::string& body, const SecretBytes* previousSk = nullptr);

Exchange messagesRequest(std::int64_t accountId, const Bytes& nonce, const Bytes& sigAccount);
Bytes messagesProofMessage(const Bytes& nonce);
Result<std::vector<Bytes>> parseMessagesResponse(const std::string& body);  // sealed messages
// Like an AppLogin, fresh by its signed time and nonce: a replay cannot put an older token back.
Exchange pushTokenRequest(std::int64_t accountId, const std::string& token, std::int64_t time, const Bytes& nonce,
                          const Bytes& sigAccount);
Bytes pushTokenProofMessage(std::int64_t accountId, std::int64_t time, const Bytes& nonce, const std::string& token);
Exchange deleteAccountRequest(std::int64_t accountId, const Bytes& nonce, const Bytes& sigAccount);
Bytes deleteAccountProofMessage(std::int64_t accountId, const Bytes& nonce);

// Builds a signed envelope; used by native tests that play the server. With `previousSk`, also
// signed as `sigPrev` (a key rotation's overlap).
std::string sealResponse(const SecretBytes& serverSk, const Transcript& t, const std::string& request,
                         const std::string& body, const SecretBytes* previousSk = nullptr);

}  // namespace tapgate::wire
