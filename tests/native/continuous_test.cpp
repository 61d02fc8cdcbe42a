// Continuous logins (server pingTime > 0): signed pings keep the session ACTIVE until a logout.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

int activeLogin(Harness& h, Bytes& qr) {
  h.enrol("1234");
  h.server.pingTime = 30;
  qr = h.server.loginQr();
  int sid = h.start(qr);
  EXPECT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Active);
  return sid;
}

}  // namespace

TEST(Continuous, PingsKeepTheSessionActive) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  EXPECT_EQ(h.session(sid).timers.get(TimerKind::KeepAlive), h.now + 10'000);  // pingTime / 3
  EXPECT_FALSE(h.session(sid).timers.isSet(TimerKind::Session)) << "an ACTIVE session does not time out";
  EXPECT_EQ(h.nextDeadline(sid), h.now + 10'000);
  h.advance(50'000);
  EXPECT_EQ(h.server.pings, 5);
  EXPECT_EQ(h.nextDeadline(sid), h.now + 10'000);
  EXPECT_EQ(h.session(sid).step, Step::Active);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedIn);
}

TEST(Continuous, LogoutByTheRelyingPartyEndsItAsLoggedOut) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  h.server.sessionOf(qr).loggedIn = false;  // the relying party logged the session out
  const auto sentBefore = h.sent.size();
  h.fire(sid, TimerKind::KeepAlive);
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_EQ(h.sent.size(), sentBefore + 1);  // the ping only: no logout notice back to the server
}

TEST(Continuous, UnreachableServerForAWholePingTimeEndsIt) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  h.deliver = false;
  for (int i = 0; i < 2; ++i) {
    h.fire(sid, TimerKind::KeepAlive);
    h.engine->onNetworkError(h.held.back().request, "offline", h.now);
    h.pump();
    EXPECT_EQ(h.session(sid).step, Step::Active) << "one lost ping is tolerated";
  }
  h.fire(sid, TimerKind::KeepAlive);  // 30 s without a confirmation: the server has logged it out
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
}

TEST(Continuous, TamperedPingResponseIsAnError) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  h.deliver = false;
  h.fire(sid, TimerKind::KeepAlive);
  std::string answer = h.server.respond(h.held.back());
  answer[answer.find("ACTIVE")] = 'X';
  h.engine->onResponse(h.held.back().request, 200, answer, h.now);
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(errorKind(h.session(sid).error->code), ErrorKind::Security);
}

TEST(Continuous, StopSessionLogsOutAtTheServer) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_NE(h.sent.back().url.find("/v1/logout"), std::string::npos);
  EXPECT_EQ(h.nextDeadline(sid), std::nullopt) << "no ping timer outlives the session";
  EXPECT_EQ(h.deadlinesOf(sid).back(), std::nullopt);
  const auto pings = h.server.pings;
  h.engine->onTimer(sid, h.now + 60'000);  // a host timer that fires anyway changes nothing
  EXPECT_TRUE(h.engine->takeOutputs().empty());
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.server.pings, pings);
}
