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
  EXPECT_TRUE(h.engine->setPinBiometric(sid, "1234", h.now).ok());
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Active);
  return sid;
}

}  // namespace

TEST(Continuous, PingsKeepTheSessionActive) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  EXPECT_EQ(h.timers.back().name, "ping");
  EXPECT_EQ(h.timers.back().at, h.now + 10'000);  // pingTime / 3
  for (int i = 0; i < 5; ++i) h.fireTimer(sid, "ping");
  EXPECT_EQ(h.server.pings, 5);
  EXPECT_EQ(h.session(sid).step, Step::Active);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedIn);
}

TEST(Continuous, LogoutByTheRelyingPartyEndsItAsLoggedOut) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  h.server.sessionOf(qr).loggedIn = false;  // the relying party logged the session out
  const auto sentBefore = h.sent.size();
  h.fireTimer(sid, "ping");
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
    h.fireTimer(sid, "ping");
    h.engine->onNetworkError(h.held.back().request, "offline", h.now);
    h.pump();
    EXPECT_EQ(h.session(sid).step, Step::Active) << "one lost ping is tolerated";
  }
  h.fireTimer(sid, "ping");  // 30 s without a confirmation: the server has logged it out
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
}

TEST(Continuous, TamperedPingResponseIsAnError) {
  Harness h;
  Bytes qr;
  int sid = activeLogin(h, qr);
  h.deliver = false;
  h.fireTimer(sid, "ping");
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
  ASSERT_TRUE(h.engine->stopSession(sid, h.now).ok());
  h.pump();
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_NE(h.sent.back().url.find("/v1/logout"), std::string::npos);
  h.engine->onTimer(sid, "ping", h.now + 60'000);  // a stale timer changes nothing
  EXPECT_EQ(h.session(sid).step, Step::Done);
}
