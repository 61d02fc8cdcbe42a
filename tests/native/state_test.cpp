#include <gtest/gtest.h>

#include "config.hpp"
#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

TEST(State, AccountsAndHistorySurviveARestart) {
  Harness h;
  h.enrol("1234");
  const std::string blob = h.persisted.back().body;
  Harness restarted(test::testConfig(), blob);
  restarted.server = h.server;
  ASSERT_EQ(restarted.engine->state().accounts.size(), 1u);
  EXPECT_EQ(restarted.engine->historyJson(h.now).size(), 1u);
  int sid = restarted.start(restarted.server.loginQr());
  ASSERT_TRUE(restarted.engine->setPinBiometric(sid, "1234", restarted.now).ok());
  restarted.pump();
  EXPECT_EQ(restarted.session(sid).history, HistoryStatus::LoggedInOneShot);
}

TEST(State, TheServerLogoIsShownAndKeptAndOldStatesWithoutOneLoad) {
  Harness h;
  h.server.logo = "https://rp.example/logo.png";
  int sid = h.start(h.server.enrolQr());
  EXPECT_EQ(h.lastEvent(sid, "confirmenrol")->detail["server"]["logo"], h.server.logo);
  ASSERT_TRUE(h.engine->setAccount(sid, std::nullopt, "", h.now).ok());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.engine->accountsJson()[0]["serverLogo"], h.server.logo);
  Harness restarted(test::testConfig(), h.persisted.back().body);
  EXPECT_EQ(restarted.engine->accountsJson()[0]["serverLogo"], h.server.logo);

  // A blob written before servers had logos: no "logo" key at all.
  auto old = nlohmann::json::parse(h.persisted.back().body);
  for (auto& s : old["servers"]) s.erase("logo");
  Harness before(test::testConfig(), old.dump());
  EXPECT_EQ(before.engine->accountsJson()[0]["serverLogo"], nullptr);
}

TEST(State, CorruptBlobIsATypedErrorNotAnEmptyApp) {
  for (std::string blob : {"{", "[]", R"({"v":9})", R"({"v":1,"accounts":[{"serverId":"!!"}]})"}) {
    auto e = Engine::create(test::testConfig(), blob);
    ASSERT_FALSE(e.ok()) << blob;
    EXPECT_EQ(e.error().code, ErrorCode::STATE_CORRUPT);
  }
}

TEST(State, HistoryExpires) {
  Config c = test::testConfig();
  c.expiryHistoryItems = 1000;
  Harness h(c);
  h.enrol("1234");
  EXPECT_EQ(h.engine->historyJson(h.now).size(), 1u);
  EXPECT_EQ(h.engine->historyJson(h.now + 5000).size(), 0u);
}

TEST(Config, Durations) {
  EXPECT_EQ(parseDuration("30s"), 30000);
  EXPECT_EQ(parseDuration("5m"), 300000);
  EXPECT_EQ(parseDuration("2160h"), 2160LL * 3600 * 1000);
  EXPECT_EQ(parseDuration("1h30m"), 5400000);
  EXPECT_EQ(parseDuration("250ms"), 250);
  EXPECT_FALSE(parseDuration("5"));
  EXPECT_FALSE(parseDuration("m"));
  EXPECT_FALSE(parseDuration("-5s"));
  auto c = parseConfig(R"({"sessionTimeout":"30s","singleAccount":true})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sessionTimeout, 30000);
  EXPECT_TRUE(c->singleAccount);
  EXPECT_FALSE(parseConfig(R"({"sessionTimeout":"soon"})").ok());
}

TEST(State, ASessionCutByARestartEndsAbortedAndTheServerIsTold) {
  Harness h;
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  h.start(qr);  // waiting for the PIN when the app dies
  const std::string blob = h.persisted.back().body;
  Harness restarted(test::testConfig(), blob);
  restarted.server = h.server;
  restarted.engine->recoverInterruptedSessions(restarted.now);
  restarted.pump();
  auto history = restarted.engine->historyJson(restarted.now);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1]["historyStatus"], "ABORTED");
  EXPECT_TRUE(restarted.server.sessionOf(qr).cancelled);
}

TEST(State, AnActiveLoginCutByARestartEndsLoggedOutAtTheServerToo) {
  Harness h;
  h.enrol("1234");
  h.server.pingTime = 60;
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  ASSERT_EQ(h.session(sid).step, Step::Active);
  EXPECT_EQ(h.engine->historyJson(h.now)[1]["historyStatus"], "LOGGED_IN");
  const std::string blob = h.persisted.back().body;
  Harness restarted(test::testConfig(), blob);
  restarted.server = h.server;
  restarted.engine->recoverInterruptedSessions(restarted.now);
  restarted.pump();
  EXPECT_EQ(restarted.engine->historyJson(restarted.now)[1]["historyStatus"], "LOGGED_OUT");
  ASSERT_FALSE(restarted.sent.empty());
  EXPECT_NE(restarted.sent.back().url.find("/v1/logout"), std::string::npos);
}

// The history re-serialises only from its first changed item (history.hpp): every save must still
// carry each change (a new item, a status moving on, an account deleted), and equal what a
// serialisation of a freshly built history gives.
TEST(State, EverySaveCarriesTheHistoryAsItIsNow) {
  Harness h;
  h.enrol("1234");
  auto check = [&](const char* when) {
    const std::string blob = h.persisted.back().body;
    AppState fresh = h.engine->state();
    fresh.history = History{};
    for (const auto& item : h.engine->state().history) fresh.history.append(item);
    EXPECT_EQ(blob, serializeState(fresh)) << when;
    Harness restarted(test::testConfig(), blob);
    EXPECT_EQ(restarted.engine->historyJson(h.now), h.engine->historyJson(h.now)) << when;
  };
  check("after enrolment");
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  check("login started: item NONE");
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  check("logged in");
  EXPECT_EQ(h.engine->historyJson(h.now)[1]["historyStatus"], "LOGGED_IN_ONE_SHOT");
  int sid2 = h.start(h.server.loginQr());
  ASSERT_TRUE(h.stop(sid2).ok());
  check("stopped");
  EXPECT_EQ(h.engine->historyJson(h.now)[2]["historyStatus"], "ABORTED");
  const AccountRef ref = *h.session(sid).chosen;
  ASSERT_TRUE(h.engine->deleteAccount(ref, h.now).ok());
  h.pump();
  check("account deleted");
  EXPECT_EQ(h.engine->historyJson(h.now)[1]["historyStatus"], "DELETED");
}

TEST(State, ABlobWithHistoryBeforeTheOtherKeysStillLoads) {
  // Blobs written before the history was spliced in last kept nlohmann's key order.
  const std::string old = R"({"accounts":[],"biometricsSinceLastPin":0,"history":[{"accountId":0,"accountName":"",)"
                          R"("ended":5,"kind":"login","serverId":"AAAAAAAAAAAAAAAAAAAAAA","session":"c2Vzcw","started":1,)"
                          R"("status":"ABORTED"}],"lastPinAt":0,"lastSecondFactorAt":0,"pinBlocked":false,"pinSet":false,)"
                          R"("pushToken":"","seenMessages":[],"servers":[],"v":1})";
  auto st = parseState(old);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->history.size(), 1u);
  EXPECT_EQ(st->history[0].status, HistoryStatus::Aborted);
  auto again = parseState(serializeState(st.value()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->history[0], st->history[0]);
}
