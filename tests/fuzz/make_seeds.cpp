// Writes the seed corpora of tests/fuzz/corpus/<target>/ (checked in; rerun after a wire-format
// change): build/fuzz/fuzz/fuzz_make_seeds tests/fuzz/corpus. Deterministic: same key, nonces and
// ids every time, so a rerun changes no file unless the formats changed.
#include <filesystem>
#include <fstream>
#include <tuple>
#include <vector>

#include "config.hpp"
#include "fuzz_common.hpp"
#include "model.hpp"
#include "qr_payload.hpp"

using namespace tapgate;
namespace fs = std::filesystem;

namespace {

fs::path root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(root / target);
  std::ofstream(root / target / ("seed-" + name), std::ios::binary) << bytes;
}
void put(const std::string& target, const std::string& name, const Bytes& bytes) { put(target, name, toString(bytes)); }

Bytes filled(std::size_t n, std::uint8_t start) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}

// crypto_box_seal with an ephemeral key from a seed instead of a random one (libsodium's
// construction: epk ‖ box(m, nonce = BLAKE2b-24(epk ‖ pk), pk, esk)), so sealed seeds are the same
// on every run. Checked against crypto_box_seal_open.
Bytes sealDeterministic(const Bytes& message, const Bytes& pk, const SecretBytes& sk, std::uint8_t seedByte) {
  Bytes seed = filled(crypto_box_SEEDBYTES, seedByte), epk(crypto_box_PUBLICKEYBYTES);
  SecretBytes esk(crypto_box_SECRETKEYBYTES);
  crypto_box_seed_keypair(epk.data(), esk.data(), seed.data());
  Bytes nonce(crypto_box_NONCEBYTES);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, nonce.size());
  crypto_generichash_update(&st, epk.data(), epk.size());
  crypto_generichash_update(&st, pk.data(), pk.size());
  crypto_generichash_final(&st, nonce.data(), nonce.size());
  Bytes out(epk);
  out.resize(epk.size() + crypto_box_MACBYTES + message.size());
  if (crypto_box_easy(out.data() + epk.size(), message.data(), message.size(), nonce.data(), pk.data(), esk.data()) != 0 ||
      (!sk.empty() && crypto::boxSealOpen(out, pk, sk) != message)) {
    std::abort();
  }
  return out;
}

// Response target input: a selector byte (bit 0: sealed by the harness; bits 1-3: HTTP status index).
std::string sel(int sealed, int status, const std::string& text) { return std::string(1, char(sealed | status << 1)) + text; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  root = argv[1];
  const auto& f = fuzz::fixture();

  // QR payloads and links
  QrPayload login{QrType::Login, filled(16, 0x10), filled(16, 0x20), {}, {}};
  QrPayload enrol{QrType::Enrol, filled(16, 0x10), filled(16, 0x30), f.server.publicKey, "http://localhost:8080/device"};
  QrPayload enrolTls{QrType::Enrol, filled(16, 0x11), filled(16, 0x31), f.server.publicKey, "https://auth.example.com/device"};
  const Bytes loginRaw = buildQrPayload(login), enrolRaw = buildQrPayload(enrol), tlsRaw = buildQrPayload(enrolTls);
  put("qr_payload", "login", loginRaw);
  put("qr_payload", "enrol", enrolRaw);
  put("qr_payload", "enrol-https", tlsRaw);
  Bytes v2 = loginRaw;
  v2[0] = 2;
  put("qr_payload", "version-2", v2);
  put("link", "tapgate-enrol", "tapgate:" + base64url(enrolRaw));
  put("link", "tapgate-login", "tapgate:" + base64url(loginRaw));
  put("link", "https-fragment", "https://rp.example/enrol?x=1#" + base64url(tlsRaw));
  put("link", "bare", base64url(loginRaw));

  // Bodies the server signs (docs/protocol.md §5)
  const std::string startLogin =
      R"({"kind":"login","server":{"name":"Example Bank","pingTime":0,"pinTimeout":0,"pinAttemptLimit":3},"time":1764240000000,"announceInfo":{"info":{"origin":"https://shop.example","action":"Sign in"}}})";
  const std::string startEnrol =
      R"({"kind":"enrol","server":{"name":"Example Bank","pingTime":30,"pinTimeout":5,"pinAttemptLimit":3},"time":1764240000000,"announceInfo":null,"userId":"alice","name":"alice@example"})";
  const std::string enrolOk = R"({"result":"SUCCESS","accountId":7,"userId":"alice","pingTime":0})";
  const std::string loginOk = R"({"result":"SUCCESS","pingTime":0,"sessionInfo":{"info":{"welcome":"Hello"}}})";
  const std::string pinFail = R"({"result":"PIN_FAIL","attemptsLeft":2})";
  const std::string pinBlocked = R"({"result":"PIN_BLOCKED"})";
  const std::string challenge = R"({"challenge":")" + base64url(filled(32, 0x40)) + R"("})";
  const std::string pingActive = R"({"status":"ACTIVE"})";
  const std::string pingOut = R"({"status":"LOGGED_OUT"})";
  const std::string error53 = R"({"error":{"code":53,"message":"session not found"}})";
  const std::string error41 = R"({"error":{"code":41,"message":"enrol QR expired or already used"}})";

  const std::string startTransaction = R"({"kind":"login","server":{"name":"Example Bank","pingTime":0,"pinTimeout":5,"pinAttemptLimit":3},"time":1764240000000,"announceInfo":null,"secondFactor":"required","transaction":{"tid":"t-1","rpSession":")" + base64url(filled(32, 0x60)) + R"(","text":"{\"amount\":\"10.00 EUR\",\"beneficiary\":\"Bob\",\"description\":\"rent\"}"},"codeLength":2,"codeCommitment":")" +
      base64url(filled(32, 0x80)) + R"("})";
  const std::string appLogin = R"({"session":")" + base64url(filled(16, 0x30)) + R"(","webNonce":"d2Vibm9uY2U","server":{"name":"App","pingTime":300,"pinTimeout":0,"pinAttemptLimit":3},"time":1764240000000})";
  put("start_response", "login", startLogin);
  put("start_response", "transaction-codes", startTransaction);
  put("start_response", "applogin", appLogin);
  put("start_response", "enrol", startEnrol);
  put("verify_response", "enrol-success", enrolOk);
  put("verify_response", "login-success", loginOk);
  put("verify_response", "pin-fail", pinFail);
  put("verify_response", "pin-blocked", pinBlocked);
  put("verify_response", "ping-active", pingActive);
  put("verify_response", "ping-logged-out", pingOut);
  put("pin_challenge", "challenge", challenge);

  int n = 0;
  for (const std::string* body : {&startLogin, &startEnrol, &enrolOk, &loginOk, &pinFail, &pinBlocked, &challenge,
                                  &pingActive, &error53, &error41}) {
    ++n;
    // sealed mode: the harness signs the body
    put("response", "sealed-" + std::to_string(n), sel(1, 0, *body));
    // raw mode: a whole envelope signed by the fixture's key for its transcript and request
    put("response", "envelope-" + std::to_string(n), sel(0, 0, wire::sealResponse(f.server.secretKey, f.t, f.request, *body)));
  }
  put("response", "unsigned-502", sel(0, 7, "<html><body>Bad gateway</body></html>"));
  put("response", "unsigned-json-200", sel(0, 0, loginOk));

  // Persisted state: a server, two accounts, history, as the engine writes it.
  AppState st;
  st.pinSet = true;
  st.servers.push_back({filled(16, 0x10), f.server.publicKey, "http://localhost:8080/device", {"Example Bank", 0, 0, 3}});
  for (int i = 0; i < 2; ++i) {
    Account a;
    a.serverId = filled(16, 0x10);
    a.accountId = 7 + i;
    a.name = i ? "bob@example" : "alice@example";
    a.userId = i ? "bob" : "alice";
    a.signSecretKey = SecretBytes(filled(64, 0x50 + i));
    a.signPublicKey = filled(32, 0x90 + i);
    a.boxSecretKey = SecretBytes(filled(32, 0x60 + i));
    a.boxPublicKey = filled(32, 0xa0 + i);
    a.pinSalt = filled(16, 0x70 + i);
    a.bioSalt = a.pinSalt;
    a.created = 1764240000000 + i;
    st.accounts.push_back(std::move(a));
  }
  HistoryItem h;
  h.sessionRef = base64url(filled(16, 0x30));
  h.kind = "enrol";
  h.status = HistoryStatus::LoggedInOneShot;
  h.serverId = filled(16, 0x10);
  h.accountId = 7;
  h.started = 1764240000000;
  h.ended = 1764240001000;
  st.history.append(h);
  h.kind = "login";
  h.status = HistoryStatus::Error;
  h.accountId = 0;
  st.history.append(h);
  put("state", "two-accounts", serializeState(st));
  put("state", "empty-app", serializeState(AppState{}));

  // Push messages (fuzz_push: selector bits 0-1 mode, bit 2 account; clock and offset 0 = the
  // fixture's) and pulled lists (fuzz_messages_response: bit 0 = through the engine).
  const fuzz::PushFixture push;
  auto message = [&](int idByte, const std::string& kind, std::int64_t accountId, std::int64_t expires,
                     const std::string& extra) {
    return R"({"id":")" + base64url(filled(16, static_cast<std::uint8_t>(idByte))) + R"(","kind":")" + kind +
           R"(","serverId":")" + base64url(push.serverId) + R"(","accountId":)" + std::to_string(accountId) +
           R"(,"time":)" + std::to_string(fuzz::kPushNow) + R"(,"expires":)" + std::to_string(expires) + extra + "}";
  };
  const std::int64_t live = fuzz::kPushNow + 600'000;
  const Bytes pushLoginQr = buildQrPayload(QrPayload{QrType::Login, push.serverId, filled(16, 0x20), {}, {}});
  const std::string noteBody = message(0xc0, "message", 7, live, R"(,"text":"Your statement is ready","data":{"k":"v"})");
  const std::string loginBody = message(0xc1, "login", 8, live, R"(,"qr":")" + base64url(pushLoginQr) + R"(")");
  const std::string logoutBody = message(0xc2, "logout", 7, live, R"(,"session":")" + base64url(filled(16, 0x20)) + R"(")");
  const std::string deleteBody = message(0xc3, "delete", 7, live, "");
  const std::string expiredBody = message(0xc4, "message", 7, fuzz::kPushNow - 1, R"(,"text":"late")");
  const std::string otherAccountBody = message(0xc5, "delete", 8, live, "");  // sealed to 7 below
  const std::string enrolQrLoginBody = message(0xc6, "login", 7, live, R"(,"qr":")" + base64url(enrolRaw) + R"(")");
  auto mode = [](int m, int account) { return std::string(1, char(m | account << 2)); };
  std::uint8_t ephemeral = 0;
  auto seal = [&](int account, const std::string& body, const SecretBytes& signer) {
    return sealDeterministic(toBytes(wire::signServerMessage(signer, body)), push.box[account].publicKey,
                             push.box[account].secretKey, ++ephemeral);
  };
  for (const auto& [name, body, account] : std::vector<std::tuple<std::string, std::string, int>>{
           {"note", noteBody, 0}, {"login", loginBody, 1}, {"logout", logoutBody, 0}, {"delete", deleteBody, 0},
           {"expired", expiredBody, 0}, {"other-account", otherAccountBody, 0}, {"login-enrol-qr", enrolQrLoginBody, 0},
           {"unknown-kind", message(0xc7, "reboot", 7, live, ""), 0}}) {
    put("push", "signed-" + name, mode(1, account) + body);
    put("push", "envelope-" + name, mode(2, account) + wire::signServerMessage(f.server.secretKey, body));
    put("push", "sealed-" + name, mode(0, 0) + toString(seal(account, body, f.server.secretKey)));
  }
  const crypto::SignKeyPair mallory = crypto::signKeyPairFromSeed(SecretBytes(filled(32, 0xe0)));
  put("push", "envelope-forged", mode(2, 0) + wire::signServerMessage(mallory.secretKey, noteBody));
  put("push", "sealed-forged", mode(0, 0) + toString(seal(0, noteBody, mallory.secretKey)));
  put("push", "sealed-to-stranger", mode(0, 0) + toString(sealDeterministic(toBytes(wire::signServerMessage(f.server.secretKey, noteBody)),
                                                                           filled(32, 0xf0), SecretBytes{}, ++ephemeral)));
  const Bytes sealedNote = seal(0, noteBody, f.server.secretKey), sealedLogin = seal(1, loginBody, f.server.secretKey);
  put("push", "sealed-truncated", mode(0, 0) + toString(Bytes(sealedNote.begin(), sealedNote.end() - 1)));

  const std::string list = R"({"messages":[")" + base64url(sealedNote) + R"(",")" + base64url(sealedLogin) + R"(",")" +
                           base64url(seal(0, expiredBody, f.server.secretKey)) + R"("]})";
  for (int through : {0, 1}) {
    const std::string sel(1, char(through));
    put("messages_response", "list-" + std::to_string(through), sel + list);
    put("messages_response", "empty-" + std::to_string(through), sel + R"({"messages":[]})");
    put("messages_response", "not-base64-" + std::to_string(through), sel + R"({"messages":["a+b/"]})");
    put("messages_response", "not-a-list-" + std::to_string(through), sel + R"({"messages":{"0":"AAAA"}})");
  }

  // Configuration
  put("config", "durations", R"({"sessionTimeout":"1h30m","expiryHistoryItems":"2160h"})");
  put("config", "numbers", R"({"sessionTimeout":30000,"singleAccount":true,"automaticallySelectSingleAccountWhenSecondFactorNeeded":false})");
  put("config", "duration-ms", "250ms");
  put("config", "duration-mixed", "1h2m3s4ms");
  return 0;
}
