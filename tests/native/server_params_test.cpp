// The server's links, owner and flags (docs/protocol.md §5.1): bounded and checked at the start
// response, kept in the server record across restarts, shown on every account; a change is told
// with accountupdate; uniqueDisplayNames refuses a second account of one name (DISPLAY_NAME_EXISTS).
#include <gtest/gtest.h>

#include "limits.hpp"
#include "model.hpp"
#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

Result<wire::StartResponse> startWith(const std::string& extra) {
  return wire::parseStartResponse(R"({"kind":"login","time":5,"server":{"name":"A","pingTime":0,"pinTimeout":0,"pinAttemptLimit":3)" +
                                  extra + "}}");
}

int countEvents(const Harness& h, const std::string& name) {
  int n = 0;
  for (const auto& e : h.events) n += e.name == name;
  return n;
}

}  // namespace

TEST(ServerParams, LinksOwnerAndFlagsAreParsedAndBounded) {
  auto ok = startWith(R"(,"appUrl":"https://rp.example/app","siteUrl":"http://localhost:3000/","appAndroid":"https://play.example/x",)"
                      R"("appIos":"https://apps.example/y","owner":"Example Bank plc","serverFlags":["uniqueDisplayNames","fromTheFuture"])");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->server.appUrl, "https://rp.example/app");
  EXPECT_EQ(ok->server.siteUrl, "http://localhost:3000/");
  EXPECT_EQ(ok->server.owner, "Example Bank plc");
  EXPECT_EQ(ok->server.flags, std::vector<std::string>{"uniqueDisplayNames"});  // an unknown flag is dropped
  auto none = startWith("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->server.appUrl.empty() && none->server.owner.empty() && none->server.flags.empty());
  EXPECT_TRUE(startWith(R"(,"appUrl":null,"serverFlags":null)").ok());

  // Each refusal is BAD_RESPONSE: nothing of it is stored.
  for (const std::string bad : {R"(,"siteUrl":"http://rp.example/")",  // http only on this machine
                                R"(,"siteUrl":"http://localhost.rp.example/")", R"x(,"appUrl":"javascript:alert(1)")x",
                                R"(,"appIos":"https://user@rp.example/")", R"(,"appAndroid":42)", R"(,"owner":["x"])",
                                R"(,"serverFlags":"uniqueDisplayNames")", R"(,"serverFlags":[1])"}) {
    auto r = startWith(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::BAD_RESPONSE) << bad;
  }
  const std::string longLink = "https://rp.example/" + std::string(limits::kMaxLinkBytes, 'a');
  EXPECT_FALSE(startWith(R"(,"siteUrl":")" + longLink + "\"").ok());
  EXPECT_FALSE(startWith(R"(,"owner":")" + std::string(limits::kMaxOwnerBytes + 1, 'o') + "\"").ok());
  std::string manyFlags = R"(,"serverFlags":[)";
  for (std::size_t i = 0; i <= limits::kMaxServerFlags; ++i) manyFlags += (i ? ",\"f\"" : "\"f\"");
  EXPECT_FALSE(startWith(manyFlags + "]").ok());
  EXPECT_FALSE(startWith(R"(,"serverFlags":[")" + std::string(limits::kMaxServerFlagBytes + 1, 'f') + "\"]").ok());
}

TEST(ServerParams, TheAccountShowsThemAndTheStateKeepsThem) {
  Harness h;
  h.server.extraParams = {{"siteUrl", "https://rp.example/"}, {"owner", "Example Bank plc"}, {"serverFlags", {"uniqueDisplayNames"}}};
  h.enrol("1234");
  json account = h.engine->accountsJson()[0];
  EXPECT_EQ(account["server"]["siteUrl"], "https://rp.example/");
  EXPECT_EQ(account["server"]["owner"], "Example Bank plc");
  EXPECT_TRUE(account["server"]["appUrl"].is_null());
  EXPECT_EQ(account["server"]["serverFlags"].size(), 1u);
  EXPECT_TRUE(account["lastLogin"].is_null());  // an enrolment is not a login

  const int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.engine->accountsJson()[0]["lastLogin"], h.server.time);

  auto restored = parseState(serializeState(h.engine->state()));
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->servers[0].params, h.engine->state().servers[0].params);
  EXPECT_EQ(restored->accounts[0].lastLogin, h.server.time);
}

TEST(ServerParams, AStoredLinkThatIsNoLinkIsACorruptState) {
  Harness h;
  h.server.extraParams = {{"appUrl", "https://rp.example/app"}};
  h.enrol("1234");
  std::string blob = serializeState(h.engine->state());
  const auto at = blob.find("https://rp.example/app");
  ASSERT_NE(at, std::string::npos);
  blob.replace(at, 5, "ftp:/");
  auto r = parseState(blob);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::STATE_CORRUPT);
}

TEST(ServerParams, AChangeUpdatesTheRecordAndTellsTheApp) {
  Harness h;
  h.enrol("1234");
  const int before = countEvents(h, "accountupdate");
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(countEvents(h, "accountupdate"), before);  // the same parameters: nothing to tell

  h.server.extraParams = {{"siteUrl", "https://new.rp.example/"}};
  const auto saves = h.persisted.size();
  sid = h.start(h.server.loginQr());
  EXPECT_EQ(countEvents(h, "accountupdate"), before + 1);
  EXPECT_GT(h.persisted.size(), saves);
  EXPECT_EQ(h.engine->state().servers[0].params.siteUrl, "https://new.rp.example/");
  const Output* update = nullptr;
  for (const auto& e : h.events) if (e.name == "accountupdate") update = &e;
  EXPECT_EQ(update->detail["account"]["server"]["siteUrl"], "https://new.rp.example/");
}

TEST(ServerParams, UniqueDisplayNamesRefusesASecondAccountOfOneName) {
  Harness h;
  h.enrol("1234");  // the sim proposes "alice@example"
  ASSERT_EQ(h.engine->state().accounts.size(), 1u);
  // Without the flag a second account of the same name is fine.
  h.enrol("1234");
  ASSERT_EQ(h.engine->state().accounts.size(), 2u);

  h.server.extraParams = {{"serverFlags", {"uniqueDisplayNames"}}};
  const int sid = h.start(h.server.enrolQr());
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  ASSERT_TRUE(h.session(sid).error.has_value());
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::DISPLAY_NAME_EXISTS);
  EXPECT_EQ(errorNumericCode(ErrorCode::DISPLAY_NAME_EXISTS), 35);
  EXPECT_EQ(h.engine->state().accounts.size(), 2u);
  EXPECT_EQ(h.lastEvent(sid, "confirmenrol"), nullptr);  // never asked to confirm
}

TEST(ServerParams, AStartForAServerTheHostDoesNotKnowIsNoResult) {
  EXPECT_EQ(wire::unsignedFailure(404, R"({"error":"unknown server","code":64})").code, ErrorCode::SERVER_PARAMETERS_NO_RESULT);
  EXPECT_EQ(errorNumericCode(ErrorCode::SERVER_PARAMETERS_NO_RESULT), 64);
  // Only that answer: another 404, or code 64 with another status, is an unknown server failure.
  EXPECT_EQ(wire::unsignedFailure(404, R"({"error":"unknown session"})").code, ErrorCode::SERVER_UNKNOWN_ERROR);
  EXPECT_EQ(wire::unsignedFailure(500, R"({"code":64})").code, ErrorCode::SERVER_UNKNOWN_ERROR);
  EXPECT_EQ(wire::unsignedFailure(404, "not json").code, ErrorCode::SERVER_UNKNOWN_ERROR);
}
