// AppLogin: the app logs itself in, always with the second factor, on a continuous server.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

Config appConfig() {
  Config c = test::testConfig();
  c.appLoginInactivityTimeout = 5 * 60'000;
  c.timeoutAppLogin = 60 * 60'000;
  return c;
}

int appLogin(Harness& h) {
  auto r = h.engine->startAppLogin(h.now);
  EXPECT_FALSE(r.error);
  h.pump();
  return r.session;
}

}  // namespace

TEST(AppLogin, GoesStraightToTheSecondFactorAndEndsActiveWithAWebNonce) {
  Harness h(appConfig());
  h.enrol("1234");
  h.server.pingTime = 300;
  int sid = appLogin(h);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.eventNames(sid), (std::vector<std::string>{"statechange", "statechange", "secondfactor"}));
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["context"], "VERIFY");
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Active);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedIn);
  EXPECT_EQ(h.engine->sessionJson(sid)["appLogin"]["webNonce"], h.server.lastWebNonce);
  EXPECT_EQ(h.engine->sessionJson(sid)["appLogin"]["serverUrl"], h.server.url);
  EXPECT_TRUE(h.engine->sessionJson(sid)["isAppLogin"].get<bool>());
}

TEST(AppLogin, RefusesOneShotServers) {
  Harness h(appConfig());
  h.enrol("1234");
  int sid = appLogin(h);  // pingTime 0
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::APPLOGIN_NOT_CONTINUOUS);
}

TEST(AppLogin, NeedsExactlyOneAccount) {
  Harness h(appConfig());
  auto none = h.engine->startAppLogin(h.now);
  ASSERT_TRUE(none.error);
  EXPECT_EQ(none.error->code, ErrorCode::NO_ACCOUNTS_FOR_SERVER);
  h.enrol("1234");
  h.enrol("1234");
  auto two = h.engine->startAppLogin(h.now);
  ASSERT_TRUE(two.error);
  EXPECT_EQ(errorNumericCode(two.error->code), 40);
}

TEST(AppLogin, InactivityLogsItOutAndActivityPostponesThat) {
  Harness h(appConfig());
  h.enrol("1234");
  h.server.pingTime = 3600;  // pings every 20 min: out of the way
  int sid = appLogin(h);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  const std::int64_t loggedIn = h.now;
  EXPECT_EQ(h.session(sid).timers.get(TimerKind::Inactivity), loggedIn + 5 * 60'000);
  h.advance(4 * 60'000);
  h.engine->noteUserActivity(h.now);  // the user lists accounts, say
  h.pump();
  EXPECT_EQ(h.session(sid).timers.get(TimerKind::Inactivity), loggedIn + 9 * 60'000);
  h.advance(4 * 60'000);  // past the first inactivity deadline, which the activity moved
  EXPECT_EQ(h.session(sid).step, Step::Active);
  h.fire(sid, TimerKind::Inactivity);
  EXPECT_EQ(h.now, loggedIn + 9 * 60'000);
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_NE(h.sent.back().url.find("/v1/logout"), std::string::npos);
}

TEST(AppLogin, AbsoluteTimeoutLogsItOutDespiteActivity) {
  Config c = appConfig();
  c.appLoginInactivityTimeout = 0;
  c.timeoutAppLogin = 10 * 60'000;
  Harness h(c);
  h.enrol("1234");
  h.server.pingTime = 3600;
  int sid = appLogin(h);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_FALSE(h.session(sid).timers.isSet(TimerKind::Inactivity));
  h.advance(9 * 60'000);
  h.engine->noteUserActivity(h.now);
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Active);
  h.advance(60'000);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_EQ(h.nextDeadline(sid), std::nullopt);
}
