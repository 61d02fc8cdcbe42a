// The core owns its timers (src/timers.hpp): the per-session table, the one `deadline` output per
// session the host keeps, and onTimer, which runs what has expired.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

// The deadline outputs among `outs`.
std::vector<Output> deadlineOutputs(const std::vector<Output>& outs) {
  std::vector<Output> found;
  for (const auto& o : outs) {
    if (o.kind == Output::Kind::Deadline) found.push_back(o);
  }
  return found;
}

Config appLoginConfig() {
  Config c = test::testConfig();
  c.appLoginInactivityTimeout = 5 * 60'000;
  c.timeoutAppLogin = 60 * 60'000;
  return c;
}

// An ACTIVE AppLogin; the server's answers are delivered.
int activeAppLogin(Harness& h, std::int64_t pingTime) {
  h.enrol("1234");
  h.server.pingTime = pingTime;
  const int sid = h.engine->startAppLogin(h.now).session;
  h.pump();
  EXPECT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Active);
  return sid;
}

}  // namespace

TEST(TimerTable, SetStopAndNext) {
  TimerTable t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.next(), std::nullopt);
  t.set(TimerKind::Session, 500);
  t.set(TimerKind::KeepAlive, 300);
  t.set(TimerKind::Input, 400);
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.next(), 300);
  EXPECT_EQ(t.get(TimerKind::Input), 400);
  t.set(TimerKind::KeepAlive, 900);  // set again: replaces
  EXPECT_EQ(t.next(), 400);
  t.stop(TimerKind::Input);
  EXPECT_FALSE(t.isSet(TimerKind::Input));
  EXPECT_EQ(t.next(), 500);
  t.stop(TimerKind::Input);  // stopping a stopped timer: nothing
  EXPECT_EQ(t.next(), 500);
  t.stopAll();
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.next(), std::nullopt);
}

TEST(TimerTable, TakeExpiredEarliestFirstTiesInKindOrder) {
  TimerTable t;
  t.set(TimerKind::KeepAlive, 100);
  t.set(TimerKind::AppLogin, 200);
  t.set(TimerKind::Inactivity, 200);
  t.set(TimerKind::Session, 300);
  EXPECT_EQ(t.takeExpired(99), std::nullopt);
  EXPECT_EQ(t.takeExpired(250), TimerKind::KeepAlive);
  EXPECT_FALSE(t.isSet(TimerKind::KeepAlive)) << "taken is stopped";
  EXPECT_EQ(t.takeExpired(250), TimerKind::Inactivity);
  EXPECT_EQ(t.takeExpired(250), TimerKind::AppLogin);
  EXPECT_EQ(t.takeExpired(250), std::nullopt);
  EXPECT_EQ(t.next(), 300);
  EXPECT_EQ(t.takeExpired(300), TimerKind::Session);  // due at its deadline
  EXPECT_TRUE(t.empty());
}

TEST(TimerTable, EveryKindHasANameAndARow) {
  for (int i = 0; i < kTimerKindCount; ++i) {
    const TimerSpec& spec = kTimerSpecs[i];
    EXPECT_EQ(static_cast<int>(spec.kind), i);
    EXPECT_STRNE(timerName(spec.kind), "?");
    bool hasRow = false;
    for (const auto& t : kTransitions) hasRow |= t.input == spec.input;
    EXPECT_TRUE(hasRow) << timerName(spec.kind) << ": its input is in no row";
  }
}

TEST(Deadline, OneOutputPerSessionAndEntryPointBeforeItsEvents) {
  Harness h(appLoginConfig());
  h.enrol("1234");
  h.server.pingTime = 60;
  const int sid = h.engine->startAppLogin(h.now).session;
  h.pump();
  h.deliver = false;
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  const std::int64_t sessionDeadline = *h.nextDeadline(sid);
  // The verdict stops the session timeout and sets the ping and both AppLogin timers: one output.
  const Output login = h.held.back();
  h.engine->onResponse(login.request, 200, h.server.respond(login), h.now);
  const auto outs = h.engine->takeOutputs();
  const auto deadlines = deadlineOutputs(outs);
  ASSERT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(deadlines[0].session, sid);
  EXPECT_EQ(deadlines[0].at, h.now + 20'000);  // the first ping, pingTime / 3
  EXPECT_NE(deadlines[0].at, sessionDeadline);
  EXPECT_EQ(outs.front().kind, Output::Kind::Deadline) << "before the statechange and login events";
}

TEST(Deadline, EmittedOnlyWhenTheNextDeadlineMoves) {
  Harness h(appLoginConfig());
  const int sid = activeAppLogin(h, 60);  // pings every 20 s; inactivity after 5 min
  const auto before = h.deadlinesOf(sid).size();
  // Activity moves the inactivity timer, not the next deadline (the ping's).
  h.engine->noteUserActivity(h.now + 1'000);
  EXPECT_TRUE(deadlineOutputs(h.engine->takeOutputs()).empty());
  // A call that changes no timer: none either.
  EXPECT_FALSE(h.engine->setPinBiometric(sid, "1234", h.now).ok());
  EXPECT_TRUE(h.engine->takeOutputs().empty());
  EXPECT_EQ(h.deadlinesOf(sid).size(), before);
  // A ping: the keep-alive timer moves, and the deadline with it.
  h.advance(20'000);
  EXPECT_EQ(h.deadlinesOf(sid).size(), before + 1);
  EXPECT_EQ(h.nextDeadline(sid), h.now + 20'000);
}

TEST(Deadline, NoneAnnouncedForASessionThatEndsInTheCallThatStartedIt) {
  Harness h;
  const auto r = h.engine->startSession(Bytes{1, 2, 3}, h.now);  // unreadable: ERROR at once
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(deadlineOutputs(h.engine->takeOutputs()).empty()) << "set and stopped within one entry point";
  EXPECT_TRUE(h.session(r.session).timers.empty());
}

TEST(Deadline, NoneRemainsAtAFinalStep) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.nextDeadline(sid));
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(h.deadlinesOf(sid).back(), std::nullopt);
  EXPECT_EQ(h.nextDeadline(sid), std::nullopt);
  EXPECT_TRUE(h.session(sid).timers.empty());
  EXPECT_TRUE(h.due.empty()) << "the host holds no timer for any session";
}

TEST(OnTimer, BeforeTheDeadlineDoesNothing) {
  Config c = test::testConfig();
  c.secondFactorUserInputTimeout = 30'000;
  Harness h(c);
  h.enrol("1234");
  const int sid = h.start(h.server.loginQr());
  ASSERT_EQ(h.session(sid).step, Step::SecondFactor);
  const std::int64_t at = *h.nextDeadline(sid);
  h.engine->onTimer(sid, at - 1);
  EXPECT_TRUE(h.engine->takeOutputs().empty());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.session(sid).timers.get(TimerKind::Input), at);
  h.engine->onTimer(999, at);  // an unknown session: nothing either
  EXPECT_TRUE(h.engine->takeOutputs().empty());
  h.engine->onTimer(sid, at);
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Done);
}

TEST(OnTimer, RunsEveryExpiredTimerEarliestFirst) {
  // The host slept through both the inactivity timeout (5 min) and the next ping (20 min): the
  // inactivity, due first, logs the session out (with a logout notice); the ping then never runs.
  Harness h(appLoginConfig());
  const int sid = activeAppLogin(h, 3600);
  const auto pings = h.server.pings;
  h.now += 30 * 60'000;
  h.engine->onTimer(sid, h.now);
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_TRUE(h.sent.back().url.ends_with("/v1/logout"));
  EXPECT_EQ(h.server.pings, pings);
  EXPECT_EQ(h.nextDeadline(sid), std::nullopt);
}

TEST(OnTimer, AKeepAliveThatFiresSetsTheNextOne) {
  Harness h(appLoginConfig());
  const int sid = activeAppLogin(h, 60);
  const std::int64_t first = *h.session(sid).timers.get(TimerKind::KeepAlive);
  h.engine->onTimer(sid, first);
  h.pump();
  EXPECT_EQ(h.session(sid).timers.get(TimerKind::KeepAlive), first + 20'000);
  EXPECT_EQ(h.nextDeadline(sid), first + 20'000);
}

TEST(Timers, OnlyThoseWithARowFromTheStepSurviveATransition) {
  Config c = test::testConfig();
  c.secondFactorUserInputTimeout = 30'000;
  Harness h(c);
  h.enrol("1234");
  const int sid = h.start(h.server.loginQr());
  EXPECT_TRUE(h.session(sid).timers.isSet(TimerKind::Input));
  EXPECT_TRUE(h.session(sid).timers.isSet(TimerKind::Session));
  h.deliver = false;
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());  // VERIFYING: no input timeout there
  EXPECT_FALSE(h.session(sid).timers.isSet(TimerKind::Input));
  EXPECT_TRUE(h.session(sid).timers.isSet(TimerKind::Session));
}
