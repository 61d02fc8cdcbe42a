#include "model.hpp"
#include "json_writer.hpp"
#include "json_reader.hpp"
#include "limits.hpp"
#include "url.hpp"

#include <climits>
#include <cstdint>

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
  std::string text(const json& j, const char* key, std::size_t maxBytes = SIZE_MAX) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().size() > maxBytes) { ok = false; return {}; }
    return it->get<std::string>();
  }
  // Server-sent values keep the bounds they were accepted under (limits.hpp): a state written by
  // an older core, or edited, can't bring in what no server answer could.
  std::int64_t number(const json& j, const char* key, std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) { ok = false; return 0; }
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) { ok = false; return 0; }
    const auto v = it->get<std::int64_t>();
    if (v < min || v > max) { ok = false; return 0; }
    return v;
  }
};

Result<AppState> parseStateOrThrow(const std::string& blob);

// The server's links, owner and flags (absent in states written before them: none). They are held
// to the bounds a start response is (wire.cpp): a stored link that is not one is a corrupt state.
void readServerExtras(Reader& r, const json& s, wire::ServerParams& p) {
  std::string* links[] = {&p.appUrl, &p.siteUrl, &p.appAndroid, &p.appIos};
  const char* keys[] = {"appUrl", "siteUrl", "appAndroid", "appIos"};
  for (int i = 0; i < 4; ++i) {
    if (!s.contains(keys[i])) continue;
    *links[i] = r.text(s, keys[i], limits::kMaxLinkBytes);
    if (!links[i]->empty() && !wire::isLink(*links[i])) r.ok = false;
  }
  if (s.contains("owner")) p.owner = r.text(s, "owner", limits::kMaxOwnerBytes);
  auto flags = s.find("serverFlags");
  if (flags == s.end()) return;
  if (!flags->is_array() || flags->size() > limits::kMaxServerFlags) { r.ok = false; return; }
  for (const char* known : wire::kServerFlags) {
    for (const auto& f : *flags) {
      if (!f.is_string()) { r.ok = false; return; }
      if (f.get_ref<const std::string&>() == known) { p.flags.emplace_back(known); break; }
    }
  }
}

}  // namespace

const ServerRecord* AppState::server(const Bytes& id) const {
  for (const auto& s : servers) if (s.id == id) return &s;
  return nullptr;
}

const Account* AppState::account(const Bytes& serverId, std::int64_t accountId) const {
  for (const auto& a : accounts) if (a.serverId == serverId && a.accountId == accountId) return &a;
  return nullptr;
}

std::string serializeState(const AppState& st) {
  // Room for everything up front (a string escapes to at most 6 bytes per byte). The history
  // keeps its own text up to date (history.hpp): a save copies it.
  const std::string& history = st.history.text();
  std::size_t size = 1024 + 6 * st.pushToken.size() + history.size();
  for (const auto& s : st.servers) size += 256 + 6 * (s.url.size() + s.params.name.size());
  for (const auto& a : st.accounts) size += 512 + 6 * (a.name.size() + a.userId.size());
  for (const auto& m : st.seenMessages) size += 64 + 6 * m.id.size();
  JsonWriter w;
  w.out.reserve(size);  // no reallocation: no stray copy of the secret keys in a freed block
  w.open('{');
  w.number("v", kStateVersion);
  w.boolean("pinSet", st.pinSet);
  w.text("pushToken", st.pushToken);
  w.number("lastSecondFactorAt", st.lastSecondFactorAt);
  w.number("lastPinAt", st.lastPinAt);
  w.number("biometricsSinceLastPin", st.biometricsSinceLastPin);
  w.boolean("pinBlocked", st.pinBlocked);
  w.key("servers");
  w.open('[');
  for (const auto& s : st.servers) {
    w.element();
    w.open('{');
    w.b64("id", s.id);
    w.b64("pk", s.publicKey);
    w.text("url", s.url);
    w.text("name", s.params.name);
    w.number("pingTime", s.params.pingTime);
    w.number("pinTimeout", s.params.pinTimeout);
    w.number("pinTransTimeout", s.params.pinTransTimeout);
    w.number("pinAttemptLimit", s.params.pinAttemptLimit);
    w.text("logo", s.params.logo);
    w.text("appUrl", s.params.appUrl);
    w.text("siteUrl", s.params.siteUrl);
    w.text("appAndroid", s.params.appAndroid);
    w.text("appIos", s.params.appIos);
    w.text("owner", s.params.owner);
    w.key("serverFlags");
    w.open('[');
    for (const auto& f : s.params.flags) {
      w.element();
      w.out += json(f).dump();
    }
    w.close(']');
    w.number("clockOffset", s.clockOffset);
    w.close('}');
  }
  w.close(']');
  w.key("accounts");
  w.open('[');
  for (const auto& a : st.accounts) {
    w.element();
    w.open('{');
    w.b64("serverId", a.serverId);
    w.number("accountId", a.accountId);
    w.text("name", a.name);
    w.text("userId", a.userId);
    w.secret("signSk", a.signSecretKey);
    w.b64("signPk", a.signPublicKey);
    w.secret("boxSk", a.boxSecretKey);
    w.b64("boxPk", a.boxPublicKey);
    w.b64("pinSalt", a.pinSalt);
    w.b64("bioSalt", a.bioSalt);
    w.boolean("biometric", a.biometric);
    w.number("created", a.created);
    w.number("lastLogin", a.lastLogin);
    w.close('}');
  }
  w.close(']');
  w.key("seenMessages");
  w.open('[');
  for (const auto& m : st.seenMessages) {
    w.element();
    w.open('{');
    w.text("id", m.id);
    w.number("expires", m.expires);
    w.close('}');
  }
  w.close(']');
  w.key("history");
  w.open('[');
  if (!history.empty()) {
    w.element();
    w.out += history;
  }
  w.close(']');
  w.close('}');
  return std::move(w.out);
}

Result<AppState> parseState(const std::string& blob) {
  try {
    return parseStateOrThrow(blob);
  } catch (const JsonTypeError&) {  // a field of the wrong type
    return makeError(ErrorCode::STATE_CORRUPT, "persisted state has a malformed field");
  }
}

namespace {

Result<AppState> parseStateOrThrow(const std::string& blob) {
  AppState st;
  if (blob.empty()) return st;
  const Json j = parseJson(blob);
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
  // A list is absent, null (both empty) or an array; anything else is a malformed field.
  auto list = [&](const char* key) -> const Json& {
    const Json& v = j[key];
    if (!v.is_null() && !v.is_array()) throw JsonTypeError();
    return v;
  };
  for (const auto& m : list("seenMessages")) {
    st.seenMessages.push_back({r.text(m, "id"), r.number(m, "expires", limits::kMinTime, limits::kMaxTime)});
  }
  for (const auto& s : list("servers")) {
    ServerRecord rec;
    rec.id = r.bytes(s, "id", 16);
    rec.publicKey = r.bytes(s, "pk", 32);
    rec.url = r.text(s, "url", limits::kMaxUrlBytes);
    if (!url::isWebUrl(rec.url)) r.ok = false;
    const auto logo = s.find("logo");  // absent in states written before servers had logos
    rec.params = {r.text(s, "name", limits::kMaxNameBytes), r.number(s, "pingTime", 0, limits::kMaxPingTimeSeconds),
                  r.number(s, "pinTimeout", limits::kPinTimeoutNever, limits::kMaxPinTimeoutMinutes),
                  r.number(s, "pinAttemptLimit", limits::kMinPinAttemptLimit, limits::kMaxPinAttemptLimit),
                  logo != s.end() && logo->is_string() ? logo->get<std::string>() : std::string(),
                  // absent in states written before transaction windows: 0, always asked
                  s.contains("pinTransTimeout") ? r.number(s, "pinTransTimeout", 0, limits::kMaxPinTimeoutMinutes) : 0};
    // A logo outside today's rules (servers used to allow http: logos) is only shown, and the next
    // login brings the server's current one: it is dropped, not a reason to refuse the whole state.
    std::string& l = rec.params.logo;
    if (l.size() > limits::kMaxLogoBytes || !(url::isWebUrl(l, url::Schemes::HttpsOnly) || url::isImageDataUrl(l))) l.clear();
    readServerExtras(r, s, rec.params);
    rec.clockOffset = s.value("clockOffset", std::int64_t{0});
    st.servers.push_back(std::move(rec));
  }
  for (const auto& a : list("accounts")) {
    Account acc;
    acc.serverId = r.bytes(a, "serverId", 16);
    acc.accountId = r.number(a, "accountId", limits::kMinAccountId, limits::kMaxAccountId);
    acc.name = r.text(a, "name", limits::kMaxNameBytes);
    acc.userId = r.text(a, "userId", limits::kMaxNameBytes);
    acc.signSecretKey = SecretBytes(r.bytes(a, "signSk", 64));
    acc.signPublicKey = r.bytes(a, "signPk", 32);
    acc.boxSecretKey = SecretBytes(r.bytes(a, "boxSk", 32));
    acc.boxPublicKey = r.bytes(a, "boxPk", 32);
    acc.pinSalt = r.bytes(a, "pinSalt", 16);
    acc.bioSalt = a.contains("bioSalt") ? r.bytes(a, "bioSalt", 16) : acc.pinSalt;
    acc.created = r.number(a, "created");
    acc.biometric = a.value("biometric", false);
    // absent in states written before accounts kept their last login
    if (a.contains("lastLogin")) acc.lastLogin = r.number(a, "lastLogin", limits::kMinTime, limits::kMaxTime);
    st.accounts.push_back(std::move(acc));
  }
  for (const auto& h : list("history")) {
    HistoryItem item;
    item.sessionRef = r.text(h, "session");
    item.kind = r.text(h, "kind");
    auto status = historyStatusFromName(r.text(h, "status"));
    if (!status) r.ok = false;
    item.status = status.value_or(HistoryStatus::None);
    item.serverId = r.bytes(h, "serverId");
    item.accountId = r.number(h, "accountId", 0, limits::kMaxAccountId);  // 0: no account was chosen
    item.accountName = h.value("accountName", "");
    if (item.accountName.size() > limits::kMaxNameBytes) r.ok = false;
    item.started = r.number(h, "started");
    item.ended = r.number(h, "ended");
    if (h.contains("t1")) item.t1 = r.bytes(h, "t1", 32);  // absent in states written before it existed
    st.history.append(std::move(item));
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
          {"serverLogo", s && !s->params.logo.empty() ? json(s->params.logo) : json(nullptr)},
          {"name", a.name},
          {"userId", a.userId.empty() ? json(nullptr) : json(a.userId)},
          {"publicKey", b64(a.signPublicKey)},
          {"biometric", a.biometric},
          {"created", a.created},
          {"lastLogin", a.lastLogin ? json(a.lastLogin) : json(nullptr)},
          {"server", s ? serverJson(*s) : json(nullptr)}};
}

json serverJson(const ServerRecord& s) {
  auto orNull = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  json flags = json::array();
  for (const auto& f : s.params.flags) flags.push_back(f);
  return {{"id", b64(s.id)},
          {"name", s.params.name},
          {"logo", orNull(s.params.logo)},
          {"appUrl", orNull(s.params.appUrl)},
          {"siteUrl", orNull(s.params.siteUrl)},
          {"appAndroid", orNull(s.params.appAndroid)},
          {"appIos", orNull(s.params.appIos)},
          {"owner", orNull(s.params.owner)},
          {"serverFlags", flags}};
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
