// The bounds of src/limits.hpp (docs/protocol.md "Limits"): each server field just inside its
// bound is accepted and just outside is BAD_RESPONSE; the state loader refuses the same values as
// STATE_CORRUPT. Issue 12, item 8: a malicious enrol server must not plant state the app can't
// manage (an account id above 2^53 - 1, a 20 MB server name).
#include "limits.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "crypto.hpp"
#include "model.hpp"
#include "sim_server.hpp"
#include "wire.hpp"

using namespace tapgate;
// Server answers are built as the server would, with nlohmann::json.
using njson = nlohmann::json;

namespace {

constexpr std::int64_t kMax53 = limits::kMaxSafeInteger;

njson startBody() {
  return {{"kind", "enrol"},
          {"server", {{"name", "Bank"}, {"pingTime", 0}, {"pinTimeout", 0}, {"pinAttemptLimit", 3}}},
          {"time", 1'700'000'000'000},
          {"announceInfo", {{"origin", "https://rp.example"}}},
          {"userId", "alice"},
          {"name", "alice@example"}};
}

bool startOk(const njson& j) {
  auto r = wire::parseStartResponse(j.dump());
  if (!r) EXPECT_EQ(r.error().code, ErrorCode::BAD_RESPONSE) << r.error().message;
  return r.ok();
}

// A JSON value `depth` levels deep: {"k":{"k":…"v"}}.
njson nested(int depth) {
  njson j = "v";
  for (int i = 0; i < depth; ++i) j = njson{{"k", j}};
  return j;
}

// A text of `bytes` UTF-8 bytes (multi-byte characters: limits count bytes, not characters).
std::string utf8Text(std::size_t bytes) {
  std::string s;
  while (s.size() + 2 <= bytes) s += "\xc3\xa9";  // é
  if (s.size() < bytes) s += 'x';
  return s;
}

}  // namespace

TEST(Limits, ServerParameters) {
  const std::pair<const char*, std::pair<std::int64_t, std::int64_t>> ranges[] = {
      {"pingTime", {0, limits::kMaxPingTimeSeconds}},
      {"pinTimeout", {limits::kPinTimeoutNever, limits::kMaxPinTimeoutMinutes}},  // -1: never asked again
      {"pinTransTimeout", {0, limits::kMaxPinTimeoutMinutes}},
      {"pinAttemptLimit", {limits::kMinPinAttemptLimit, limits::kMaxPinAttemptLimit}}};
  for (const auto& [key, range] : ranges) {
    for (const auto& [value, ok] : {std::pair{range.first, true}, {range.second, true}, {range.first - 1, false},
                                    {range.second + 1, false}, {INT64_MAX, false}}) {
      njson j = startBody();
      j["server"][key] = value;
      EXPECT_EQ(startOk(j), ok) << key << " = " << value;
    }
    njson j = startBody();
    j["server"][key] = std::uint64_t{1} << 63;  // above int64: must not wrap to a negative number
    EXPECT_FALSE(startOk(j)) << key;
  }
}

TEST(Limits, NamesAndUserIds) {
  for (const char* key : {"userId", "name"}) {
    njson j = startBody();
    j[key] = utf8Text(limits::kMaxNameBytes);
    EXPECT_TRUE(startOk(j)) << key;
    j[key] = utf8Text(limits::kMaxNameBytes + 1);
    EXPECT_FALSE(startOk(j)) << key;
    j[key] = 42;
    EXPECT_FALSE(startOk(j)) << key;
  }
  njson j = startBody();
  j["server"]["name"] = utf8Text(limits::kMaxNameBytes);
  EXPECT_TRUE(startOk(j));
  j["server"]["name"] = std::string(20 * 1024 * 1024, 'x');  // the report's 20 MB server name
  EXPECT_FALSE(startOk(j));
}

TEST(Limits, ServerTime) {
  for (const auto& [value, ok] : {std::pair<std::int64_t, bool>{0, true}, {kMax53, true}, {-1, false}, {kMax53 + 1, false},
                                  {INT64_MIN, false}}) {
    njson j = startBody();
    j["time"] = value;
    EXPECT_EQ(startOk(j), ok) << value;
  }
}

TEST(Limits, InfoBlocksBySizeAndDepth) {
  njson j = startBody();
  j["announceInfo"] = nested(limits::kMaxInfoDepth);
  EXPECT_TRUE(startOk(j));
  j["announceInfo"] = nested(limits::kMaxInfoDepth + 1);
  EXPECT_FALSE(startOk(j));
  // {"a":"…"} is 8 bytes of JSON around the text.
  j["announceInfo"] = {{"a", std::string(limits::kMaxInfoBytes - 8, 'x')}};
  EXPECT_TRUE(startOk(j));
  j["announceInfo"] = {{"a", std::string(limits::kMaxInfoBytes - 7, 'x')}};
  EXPECT_FALSE(startOk(j));

  const auto verify = [](const njson& info) {
    return wire::parseVerifyResponse(njson{{"result", "SUCCESS"}, {"pingTime", 0}, {"sessionInfo", info}}.dump(), false);
  };
  EXPECT_TRUE(verify(nested(limits::kMaxInfoDepth)).ok());
  EXPECT_EQ(verify(nested(limits::kMaxInfoDepth + 1)).error().code, ErrorCode::BAD_RESPONSE);
  EXPECT_EQ(verify({{"a", std::string(limits::kMaxInfoBytes, 'x')}}).error().code, ErrorCode::BAD_RESPONSE);
}

TEST(Limits, Transaction) {
  const std::string details = R"({"amount":"1","beneficiary":"b","description":")";
  for (const auto& [bytes, ok] : {std::pair<std::size_t, bool>{limits::kMaxTransactionTextBytes, true},
                                  {limits::kMaxTransactionTextBytes + 1, false}}) {
    njson j = startBody();
    j["kind"] = "login";
    j["transaction"] = {{"tid", "t1"}, {"rpSession", base64url(Bytes(32, 7))}, {"text", details + std::string(bytes - details.size() - 2, 'x') + "\"}"}};
    EXPECT_EQ(startOk(j), ok) << bytes;
  }
  njson j = startBody();
  j["kind"] = "login";
  j["transaction"] = {{"tid", std::string(limits::kMaxTransactionIdBytes + 1, 't')}, {"rpSession", base64url(Bytes(32, 7))}, {"text", details + "d\"}"}};
  EXPECT_FALSE(startOk(j));
  j["transaction"]["tid"] = "";
  EXPECT_FALSE(startOk(j));
}

TEST(Limits, CodeLength) {
  for (const auto& [digits, ok] : {std::pair<int, bool>{limits::kMinCodeLength - 1, false}, {limits::kMinCodeLength, true},
                                   {limits::kMaxCodeLength, true}, {limits::kMaxCodeLength + 1, false}}) {
    njson j = startBody();
    j["kind"] = "login";
    j["codeLength"] = digits;
    j["codeCommitment"] = base64url(Bytes(32, 9));
    EXPECT_EQ(startOk(j), ok) << digits;
  }
}

TEST(Limits, EnrolAnswerAccountIdUserIdAndPingTime) {
  const auto enrol = [](const njson& fields) {
    njson j = {{"result", "SUCCESS"}, {"accountId", 7}, {"userId", "alice"}, {"pingTime", 0}};
    if (fields.is_object()) j.update(fields);
    return wire::parseVerifyResponse(j.dump(), true);
  };
  EXPECT_TRUE(enrol({{"accountId", 1}}).ok());
  EXPECT_TRUE(enrol({{"accountId", kMax53}}).ok());
  for (const njson& bad : {njson(0), njson(-1), njson(kMax53 + 1), njson(std::uint64_t{1} << 63), njson(1.5), njson("7")}) {
    auto r = enrol({{"accountId", bad}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::BAD_RESPONSE);
  }
  EXPECT_TRUE(enrol({{"userId", utf8Text(limits::kMaxNameBytes)}}).ok());
  EXPECT_FALSE(enrol({{"userId", utf8Text(limits::kMaxNameBytes + 1)}}).ok());
  EXPECT_TRUE(enrol({{"userId", nullptr}}).ok());
  EXPECT_TRUE(enrol({{"pingTime", limits::kMaxPingTimeSeconds}}).ok());
  EXPECT_FALSE(enrol({{"pingTime", limits::kMaxPingTimeSeconds + 1}}).ok());
  EXPECT_FALSE(enrol({{"pingTime", -1}}).ok());
}

TEST(Limits, AttemptsLeft) {
  const auto fail = [](std::int64_t left) {
    return wire::parseVerifyResponse(njson{{"result", "PIN_FAIL"}, {"attemptsLeft", left}}.dump(), false);
  };
  EXPECT_TRUE(fail(1).ok());
  EXPECT_TRUE(fail(limits::kMaxPinAttemptLimit).ok());
  EXPECT_FALSE(fail(0).ok());
  EXPECT_FALSE(fail(limits::kMaxPinAttemptLimit + 1).ok());
}

TEST(Limits, AppLoginAnswer) {
  const auto applogin = [](const njson& fields) {
    njson j = {{"session", base64url(Bytes(16, 1))}, {"webNonce", "w"}, {"time", 5},
              {"server", {{"name", "Bank"}, {"pingTime", 30}, {"pinTimeout", 0}, {"pinAttemptLimit", 3}}}};
    if (fields.is_object()) j.update(fields);
    return wire::parseAppLoginResponse(j.dump());
  };
  EXPECT_TRUE(applogin({}).ok());
  EXPECT_FALSE(applogin({{"webNonce", std::string(limits::kMaxWebNonceBytes + 1, 'w')}}).ok());
  EXPECT_FALSE(applogin({{"time", kMax53 + 1}}).ok());
  EXPECT_FALSE(applogin({{"server", {{"name", "Bank"}, {"pingTime", limits::kMaxPingTimeSeconds + 1}, {"pinTimeout", 0},
                                     {"pinAttemptLimit", 3}}}}).ok());
}

TEST(Limits, ServerMessages) {
  const auto server = crypto::signKeyPair();
  const auto open = [&](const njson& fields) {
    njson j = {{"id", base64url(Bytes(16, 9))}, {"kind", "message"}, {"serverId", base64url(Bytes(16, 1))},
              {"accountId", 7}, {"time", 1000}, {"expires", 1000 + 600'000}, {"text", "hi"}, {"data", {{"k", "v"}}}};
    if (fields.is_object()) j.update(fields);
    return wire::openServerMessage(toBytes(wire::signServerMessage(server.secretKey, j.dump())), server.publicKey);
  };
  EXPECT_TRUE(open({}).ok());
  EXPECT_FALSE(open({{"accountId", 0}}).ok());
  EXPECT_FALSE(open({{"accountId", kMax53 + 1}}).ok());
  EXPECT_FALSE(open({{"time", -1}}).ok());
  EXPECT_TRUE(open({{"expires", 1000 + limits::kMaxMessageLifetimeMs}}).ok());
  EXPECT_FALSE(open({{"expires", 1001 + limits::kMaxMessageLifetimeMs}}).ok());  // kept in the state for ever
  EXPECT_FALSE(open({{"expires", kMax53 + 1}}).ok());
  EXPECT_TRUE(open({{"expires", 999}}).ok());  // merely expired: the engine says PUSH_EXPIRED
  EXPECT_TRUE(open({{"text", utf8Text(limits::kMaxMessageTextBytes)}}).ok());
  EXPECT_FALSE(open({{"text", utf8Text(limits::kMaxMessageTextBytes + 1)}}).ok());
  EXPECT_FALSE(open({{"data", nested(limits::kMaxInfoDepth + 1)}}).ok());
  EXPECT_EQ(open({{"data", {{"a", std::string(limits::kMaxInfoBytes, 'x')}}}}).error().code, ErrorCode::BAD_RESPONSE);

  njson list = njson::array();
  for (std::size_t i = 0; i <= limits::kMaxPulledMessages; ++i) list.push_back("AAAA");
  EXPECT_EQ(wire::parseMessagesResponse(njson{{"messages", list}}.dump()).error().code, ErrorCode::BAD_RESPONSE);
  list.erase(list.begin());
  EXPECT_TRUE(wire::parseMessagesResponse(njson{{"messages", list}}.dump()).ok());
}

// The engine end to end: an enrol answer with an account id JavaScript can't hold ends the session
// in ERROR with nothing stored, and the server the QR named is not kept either.
TEST(Limits, AnEnrolAnswerWithAnUnmanageableAccountIdStoresNothing) {
  tapgate::test::Harness h;
  h.server.nextAccountId = kMax53 + 1;
  const int sid = h.start(h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  const Session* s = h.engine->session(sid);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->step, Step::Failed);
  ASSERT_TRUE(s->error.has_value());
  EXPECT_EQ(s->error->code, ErrorCode::BAD_RESPONSE);
  EXPECT_TRUE(h.engine->state().accounts.empty());
  EXPECT_TRUE(h.engine->state().servers.empty());
}

namespace {

njson storedState() {
  AppState st;
  st.pinSet = true;
  st.servers.push_back({Bytes(16, 1), Bytes(32, 2), "https://rp.example/device", {"Bank", 30, 5, 3, ""}, 0});
  Account a;
  a.serverId = Bytes(16, 1);
  a.accountId = 7;
  a.name = "alice@example";
  a.userId = "alice";
  a.signSecretKey = SecretBytes(Bytes(64, 3));
  a.signPublicKey = Bytes(32, 4);
  a.boxSecretKey = SecretBytes(Bytes(32, 5));
  a.boxPublicKey = Bytes(32, 6);
  a.pinSalt = Bytes(16, 7);
  a.bioSalt = Bytes(16, 7);
  st.accounts.push_back(std::move(a));
  HistoryItem item;
  item.sessionRef = "s";
  item.kind = "login";
  item.status = HistoryStatus::LoggedInOneShot;
  item.serverId = Bytes(16, 1);
  item.accountId = 7;
  item.accountName = "alice@example";
  st.history.append(item);
  return njson::parse(serializeState(st));
}

}  // namespace

TEST(Limits, TheStateLoaderAppliesTheSameBounds) {
  ASSERT_TRUE(parseState(storedState().dump()).ok());
  const auto corrupt = [](const std::function<void(njson&)>& edit) {
    njson j = storedState();
    edit(j);
    auto r = parseState(j.dump());
    return !r.ok() && r.error().code == ErrorCode::STATE_CORRUPT;
  };
  EXPECT_TRUE(corrupt([](njson& j) { j["accounts"][0]["accountId"] = kMax53 + 1; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["accounts"][0]["accountId"] = 0; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["accounts"][0]["accountId"] = std::uint64_t{1} << 63; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["accounts"][0]["name"] = std::string(limits::kMaxNameBytes + 1, 'n'); }));
  EXPECT_TRUE(corrupt([](njson& j) { j["accounts"][0]["userId"] = std::string(limits::kMaxNameBytes + 1, 'u'); }));
  EXPECT_TRUE(corrupt([](njson& j) { j["servers"][0]["name"] = std::string(20 * 1024 * 1024, 'x'); }));
  EXPECT_TRUE(corrupt([](njson& j) { j["servers"][0]["pingTime"] = limits::kMaxPingTimeSeconds + 1; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["servers"][0]["pinTimeout"] = -2; }));
  EXPECT_FALSE(corrupt([](njson& j) { j["servers"][0]["pinTimeout"] = -1; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["servers"][0]["pinTransTimeout"] = -1; }));
  EXPECT_FALSE(corrupt([](njson& j) { j["servers"][0].erase("pinTransTimeout"); }));  // states written before it
  EXPECT_TRUE(corrupt([](njson& j) { j["servers"][0]["pinAttemptLimit"] = limits::kMaxPinAttemptLimit + 1; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["servers"][0]["url"] = "http://127.0.0.1:99999"; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["history"][0]["accountId"] = kMax53 + 1; }));
  EXPECT_TRUE(corrupt([](njson& j) { j["history"][0]["accountName"] = std::string(limits::kMaxNameBytes + 1, 'n'); }));
  EXPECT_FALSE(corrupt([](njson& j) { j["history"][0]["accountId"] = 0; }));  // no account chosen
  EXPECT_FALSE(corrupt([](njson& j) { j["servers"][0]["logo"] = "data:image/png;base64,iVBORw0KGgo="; }));
  // A stored logo outside the rules (an http: one from before) is dropped, not a corrupt state.
  for (const char* logo : {"http://rp.example/logo.png", "javascript:alert(1)"}) {
    njson j = storedState();
    j["servers"][0]["logo"] = logo;
    auto st = parseState(j.dump());
    ASSERT_TRUE(st.ok()) << logo;
    EXPECT_EQ(st->servers[0].params.logo, "") << logo;
  }
  njson j = storedState();
  j["servers"][0]["logo"] = "https://rp.example/logo.png";
  EXPECT_EQ(parseState(j.dump())->servers[0].params.logo, "https://rp.example/logo.png");
}
