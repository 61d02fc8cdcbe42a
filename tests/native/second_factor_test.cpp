// Second-factor rules: when it may be skipped (server pinTimeout, time since the last input, SDK
// configuration, the session's own settings) and secondFactorUserInputTimeout.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

// Logs in once, with the PIN if asked (the enrolment itself verified one "just now").
void loginWithPin(Harness& h) {
  int sid = h.start(h.server.loginQr());
  if (h.session(sid).step == Step::Confirming) {
    ASSERT_TRUE(h.engine->setAccount(sid, h.session(sid).candidates[0], "", h.now).ok());
    h.pump();
  }
  if (h.session(sid).step == Step::SecondFactor) {
    ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  }
  ASSERT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
}

}  // namespace

TEST(SecondFactor, SkippedWithinTheServersPinTimeoutAfterAConfirmation) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = 5;
  loginWithPin(h);
  h.now += 60'000;
  h.server.time += 60'000;
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  // No second factor to come: the single candidate must still be confirmed.
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  ASSERT_TRUE(h.confirm(sid, AccountRef{h.server.id, aid}).ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor"), nullptr);
  EXPECT_TRUE(h.server.sessionOf(qr).loggedIn);
}

TEST(SecondFactor, AskedAgainOnceThePinTimeoutHasPassed) {
  Harness h;
  h.enrol("1234");
  h.server.pinTimeout = 5;
  loginWithPin(h);
  h.now += 6 * 60'000;
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(SecondFactor, NeverSkippedWhenTheServerSaysZero) {
  Harness h;
  h.enrol("1234");
  loginWithPin(h);  // pinTimeout 0
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(SecondFactor, NeverSkippedWhenTheSdkSaysAlways) {
  Config c = test::testConfig();
  c.alwaysRequireSecondFactor = true;
  Harness h(c);
  h.enrol("1234");
  h.server.pinTimeout = 5;
  loginWithPin(h);
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(SecondFactor, NeverSkippedWhenTheSessionRequiresIt) {
  Harness h;
  h.enrol("1234");
  h.server.pinTimeout = 5;
  loginWithPin(h);
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).requireSecondFactor = true;
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(SecondFactor, TheServersWindowWinsWhenItDisagrees) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = 5;
  loginWithPin(h);
  h.server.time += 10 * 60'000;  // the server's clock says the window closed; ours says it is open
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.confirm(sid, AccountRef{h.server.id, aid}).ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
}

TEST(SecondFactor, UserInputTimeoutAbortsAnUnansweredPrompt) {
  Config c = test::testConfig();
  c.secondFactorUserInputTimeout = 30'000;
  Harness h(c);
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  ASSERT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.nextDeadline(sid), h.now + 30'000);
  h.advance(30'000);
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
  EXPECT_EQ(h.session(sid).error->message, "the second factor was not supplied in time");
  EXPECT_EQ(h.nextDeadline(sid), std::nullopt);
}

TEST(SecondFactor, UserInputTimeoutRestartsAfterAWrongPin) {
  Config c = test::testConfig();
  c.secondFactorUserInputTimeout = 30'000;
  Harness h(c);
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  h.advance(20'000);
  ASSERT_TRUE(h.enterPin(sid, "0000").ok());  // PIN_FAIL: asked again, with a fresh 30 s
  EXPECT_EQ(h.nextDeadline(sid), h.now + 30'000);
  h.advance(10'000);  // the first deadline
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  h.advance(20'000);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
}
