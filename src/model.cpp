#include "model.hpp"
#include "json_reader.hpp"

#include <climits>

namespace tapgate {
namespace {

constexpr int kStateVersion = 1;

std::string b64(const Bytes& b) { return base64url(b); }

// Reads a base64url field; a missing or malformed field poisons the whole load (no silent loss).
struct Reader {
  bool ok = true;
  Bytes bytes(const json& j, const char* key, std::size_t size = 0) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) { ok = false; return {}; }
    auto b = fromBase64url(it->get<std::string>());
    if (!b || (size && b->size() != size)) { ok = false; return {}; }
    return std::move(*b);  // no copy: the decoded bytes may be a secret key
  }
  std::string text(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) { ok = false; return {}; }
    return it->get<std::string>();
  }
  std::int64_t number(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) { ok = false; return 0; }
    return it->get<std::int64_t>();
  }
};

Result<AppState> parseStateOrThrow(const std::string& blob);

}  // namespace

const char* historyStatusName(HistoryStatus s) {
  switch (s) {
    case HistoryStatus::None: return "NONE";
    case HistoryStatus::LoggedIn: return "LOGGED_IN";
    case HistoryStatus::LoggedInOneShot: return "LOGGED_IN_ONE_SHOT";
    case HistoryStatus::LoggedOut: return "LOGGED_OUT";
    case HistoryStatus::Aborted: return "ABORTED";
    case HistoryStatus::Error: return "ERROR";
    case HistoryStatus::Deleted: return "DELETED";
  }
  return "NONE";
}

std::optional<HistoryStatus> historyStatusFromName(const std::string& name) {
  for (auto s : {HistoryStatus::None, HistoryStatus::LoggedIn, HistoryStatus::LoggedInOneShot, HistoryStatus::LoggedOut,
                 HistoryStatus::Aborted, HistoryStatus::Error, HistoryStatus::Deleted}) {
    if (name == historyStatusName(s)) return s;
  }
  return std::nullopt;
}

const ServerRecord* AppState::server(const Bytes& id) const {
  for (const auto& s : servers) if (s.id == id) return &s;
  return nullptr;
}

const Account* AppState::account(const Bytes& serverId, std::int64_t accountId) const {
  for (const auto& a : accounts) if (a.serverId == serverId && a.accountId == accountId) return &a;
  return nullptr;
}

namespace {

const std::string& historyFragment(const HistoryItem& h) {
  const HistoryFields& fields = h;
  if (!h.serialized || !(h.serialized->of == fields)) {
    json item = {{"session", h.sessionRef}, {"kind", h.kind}, {"status", historyStatusName(h.status)},
                 {"serverId", b64(h.serverId)}, {"accountId", h.accountId}, {"accountName", h.accountName},
                 {"started", h.started}, {"ended", h.ended}};
    h.serialized = std::make_shared<const HistoryItem::Serialized>(
        HistoryItem::Serialized{fields, item.dump(-1, ' ', false, json::error_handler_t::replace)});
  }
  return h.serialized->json;
}

}  // namespace

std::string serializeState(const AppState& st) {
  json servers = json::array(), accounts = json::array();
  for (const auto& s : st.servers) {
    servers.push_back({{"id", b64(s.id)}, {"pk", b64(s.publicKey)}, {"url", s.url}, {"name", s.params.name},
                       {"pingTime", s.params.pingTime}, {"pinTimeout", s.params.pinTimeout},
                       {"pinAttemptLimit", s.params.pinAttemptLimit}, {"clockOffset", s.clockOffset}});
  }
  for (const auto& a : st.accounts) {
    accounts.push_back({{"serverId", b64(a.serverId)}, {"accountId", a.accountId}, {"name", a.name},
                        {"userId", a.userId}, {"signSk", b64(a.signSecretKey.bytes())}, {"signPk", b64(a.signPublicKey)},
                        {"boxSk", b64(a.boxSecretKey.bytes())}, {"boxPk", b64(a.boxPublicKey)},
                        {"pinSalt", b64(a.pinSalt)}, {"bioSalt", b64(a.bioSalt)}, {"biometric", a.biometric}, {"created", a.created}});
  }
  json seen = json::array();
  for (const auto& m : st.seenMessages) seen.push_back({{"id", m.id}, {"expires", m.expires}});
  json j = {{"v", kStateVersion}, {"pinSet", st.pinSet}, {"pushToken", st.pushToken},
            {"lastSecondFactorAt", st.lastSecondFactorAt}, {"lastPinAt", st.lastPinAt},
            {"biometricsSinceLastPin", st.biometricsSinceLastPin}, {"pinBlocked", st.pinBlocked}, {"servers", servers},
            {"accounts", accounts}, {"seenMessages", seen}};
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  // The json tree held secret keys as text: overwrite what we can before it is freed.
  for (auto& a : j["accounts"]) {
    for (const char* k : {"signSk", "boxSk"}) {
      auto& s = a[k].get_ref<std::string&>();
      std::fill(s.begin(), s.end(), '\0');
    }
  }
  // The history goes last, spliced in from each item's cached text (same format as before: a
  // "history" array of objects; key order means nothing to the parser, so old blobs load as ever).
  std::size_t size = out.size() + 16;
  for (const auto& h : st.history) size += historyFragment(h).size() + 1;
  std::string blob;
  blob.reserve(size);
  blob.append(out, 0, out.size() - 1);  // without the closing brace
  blob += ",\"history\":[";
  for (std::size_t i = 0; i < st.history.size(); ++i) {
    if (i) blob += ',';
    blob += historyFragment(st.history[i]);
  }
  blob += "]}";
  // `out` held the secret keys too (so does the blob, which the host encrypts and stores).
  std::fill(out.begin(), out.end(), '\0');
  return blob;
}

Result<AppState> parseState(const std::string& blob) {
  try {
    return parseStateOrThrow(blob);
  } catch (const json::exception&) {  // a field of the wrong type
    return makeError(ErrorCode::STATE_CORRUPT, "persisted state has a malformed field");
  }
}

namespace {

Result<AppState> parseStateOrThrow(const std::string& blob) {
  AppState st;
  if (blob.empty()) return st;
  json j = parseJson(blob);
  auto corrupt = [](const char* what) { return makeError(ErrorCode::STATE_CORRUPT, what); };
  if (j.is_discarded() || !j.is_object()) return corrupt("persisted state is not JSON");
  // Top-level integers must be integers: json::value() would convert a float such as 1e34 to an
  // integer with undefined behaviour (found by the fuzz_state target).
  auto optionalInt = [&](const char* key) -> std::optional<std::int64_t> {
    auto it = j.find(key);
    if (it == j.end()) return std::int64_t{0};
    if (!it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  if (optionalInt("v").value_or(0) != kStateVersion) return corrupt("persisted state has an unknown version");
  Reader r;
  st.pinSet = j.value("pinSet", false);
  st.pushToken = j.value("pushToken", "");
  const auto lastSecondFactorAt = optionalInt("lastSecondFactorAt");
  const auto lastPinAt = optionalInt("lastPinAt");
  const auto biometrics = optionalInt("biometricsSinceLastPin");
  if (!lastSecondFactorAt || !lastPinAt || !biometrics || *biometrics < 0 || *biometrics > INT_MAX) {
    return corrupt("persisted state has a malformed counter");
  }
  st.lastSecondFactorAt = *lastSecondFactorAt;
  st.lastPinAt = *lastPinAt;
  st.biometricsSinceLastPin = static_cast<int>(*biometrics);
  st.pinBlocked = j.value("pinBlocked", false);
  for (const auto& m : j.value("seenMessages", json::array())) {
    st.seenMessages.push_back({r.text(m, "id"), r.number(m, "expires")});
  }
  for (const auto& s : j.value("servers", json::array())) {
    ServerRecord rec;
    rec.id = r.bytes(s, "id", 16);
    rec.publicKey = r.bytes(s, "pk", 32);
    rec.url = r.text(s, "url");
    rec.params = {r.text(s, "name"), r.number(s, "pingTime"), r.number(s, "pinTimeout"), r.number(s, "pinAttemptLimit")};
    rec.clockOffset = s.value("clockOffset", std::int64_t{0});
    st.servers.push_back(std::move(rec));
  }
  for (const auto& a : j.value("accounts", json::array())) {
    Account acc;
    acc.serverId = r.bytes(a, "serverId", 16);
    acc.accountId = r.number(a, "accountId");
    acc.name = r.text(a, "name");
    acc.userId = r.text(a, "userId");
    acc.signSecretKey = SecretBytes(r.bytes(a, "signSk", 64));
    acc.signPublicKey = r.bytes(a, "signPk", 32);
    acc.boxSecretKey = SecretBytes(r.bytes(a, "boxSk", 32));
    acc.boxPublicKey = r.bytes(a, "boxPk", 32);
    acc.pinSalt = r.bytes(a, "pinSalt", 16);
    acc.bioSalt = a.contains("bioSalt") ? r.bytes(a, "bioSalt", 16) : acc.pinSalt;
    acc.created = r.number(a, "created");
    acc.biometric = a.value("biometric", false);
    st.accounts.push_back(std::move(acc));
  }
  for (const auto& h : j.value("history", json::array())) {
    HistoryItem item;
    item.sessionRef = r.text(h, "session");
    item.kind = r.text(h, "kind");
    auto status = historyStatusFromName(r.text(h, "status"));
    if (!status) r.ok = false;
    item.status = status.value_or(HistoryStatus::None);
    item.serverId = r.bytes(h, "serverId");
    item.accountId = r.number(h, "accountId");
    item.accountName = h.value("accountName", "");
    item.started = r.number(h, "started");
    item.ended = r.number(h, "ended");
    st.history.push_back(std::move(item));
  }
  if (!r.ok) return corrupt("persisted state has a malformed record");
  return st;
}

}  // namespace

json errorJson(const Error& e) {
  return {{"code", errorCodeName(e.code)},
          {"numericCode", errorNumericCode(e.code)},
          {"kind", errorKindName(errorKind(e.code))},
          {"message", e.message}};
}

json accountJson(const Account& a, const AppState& state) {
  const ServerRecord* s = state.server(a.serverId);
  return {{"accountId", a.accountId},
          {"serverId", b64(a.serverId)},
          {"serverName", s ? s->params.name : ""},
          {"name", a.name},
          {"userId", a.userId.empty() ? json(nullptr) : json(a.userId)},
          {"publicKey", b64(a.signPublicKey)},
          {"biometric", a.biometric},
          {"created", a.created}};
}

json historyJson(const HistoryItem& h, const AppState& state) {
  const Account* a = h.accountId ? state.account(h.serverId, h.accountId) : nullptr;
  const ServerRecord* s = state.server(h.serverId);
  return {{"session", h.sessionRef},
          {"kind", h.kind},
          {"historyStatus", historyStatusName(h.status)},
          {"serverId", b64(h.serverId)},
          {"serverName", s ? s->params.name : ""},
          {"account", a ? accountJson(*a, state) : json(nullptr)},
          {"accountId", h.accountId ? json(h.accountId) : json(nullptr)},
          {"accountName", h.accountName},
          {"started", h.started},
          {"ended", h.ended}};
}

}  // namespace tapgate
