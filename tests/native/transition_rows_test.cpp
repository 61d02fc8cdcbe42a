// One test per row of the transition table (src/transitions.hpp): drive a fresh session into the
// row's step, make its input happen, and check the step, history status and end notice it leaves,
// both in the table and in the engine. A last test fails if a row of the table has no case here.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

struct Row {
  const char* name;
  Step from;
  Input input;
  Step expected;
  HistoryStatus history;
  Notice notice;
  // Applies `input` to session `sid` (in step `from`); returns the session that must now be in
  // `expected` (a few rows need a second session to reach their target).
  std::function<int(Harness&, int)> apply;
  // A change to rowConfig() the row needs, if any.
  std::function<void(Config&)> configure = nullptr;
};

Config rowConfig() {
  Config c = test::testConfig();
  c.automaticallySelectSingleAccountWhenSecondFactorNeeded = true;
  c.appLoginInactivityTimeout = 60'000;
  c.secondFactorUserInputTimeout = 30'000;
  c.blockSecondFactorOnPINBlocked = true;
  return c;
}

// A fresh session in `step`; the harness holds (does not deliver) requests where that matters.
int sessionIn(Harness& h, Step step) {
  h.enrol("1234");
  switch (step) {
    case Step::Starting:
      h.deliver = false;
      return h.start(h.server.loginQr());
    case Step::Ready:  // with manuallyStartUserInteraction (the rows' configure)
      return h.start(h.server.loginQr());
    case Step::Confirming:
      return h.start(h.server.enrolQr());
    case Step::SecondFactor:
      return h.start(h.server.loginQr());
    case Step::Verifying: {
      int sid = h.start(h.server.loginQr());
      h.deliver = false;
      EXPECT_TRUE(h.enterPin(sid, "1234").ok());
      return sid;
    }
    case Step::Active: {
      h.server.pingTime = 60;
      auto r = h.engine->startAppLogin(h.now);
      h.pump();
      EXPECT_TRUE(h.enterPin(r.session, "1234").ok());
      return r.session;
    }
    default:
      ADD_FAILURE() << "no way into a final step";
      return 0;
  }
}

// The cancel or logout the session sent since the first `since` requests (at most one is sent).
Notice noticeSent(const Harness& h, int sid, std::size_t since) {
  Notice sent = Notice::None;
  for (std::size_t i = since; i < h.sent.size(); ++i) {
    const Output& o = h.sent[i];
    if (o.session != sid) continue;
    const bool cancel = o.url.ends_with("/v1/cancel"), logout = o.url.ends_with("/v1/logout");
    if (!cancel && !logout) continue;
    EXPECT_EQ(sent, Notice::None) << "a second end notice";
    sent = cancel ? Notice::Cancel : Notice::Logout;
  }
  return sent;
}

void deliverHeld(Harness& h, const std::function<std::string(const std::string&)>& tamper = nullptr) {
  Output req = h.held.back();
  std::string answer = h.server.respond(req);
  if (tamper) answer = tamper(answer);
  h.engine->onResponse(req.request, 200, answer, h.now);
  h.pump();
}

void failHeld(Harness& h) {
  h.engine->onNetworkError(h.held.back().request, "offline", h.now);
  h.pump();
}

int stop(Harness& h, int sid) {
  EXPECT_TRUE(h.stop(sid).ok());
  return sid;
}

int deleteAccount(Harness& h, int sid) {
  EXPECT_TRUE(h.engine->deleteAccount(*h.session(sid).chosen, h.now).ok());
  h.pump();
  return sid;
}

// Wrong PINs in fresh logins until the server blocks the PIN (the device then knows it is).
void blockPin(Harness& h) {
  const bool deliver = std::exchange(h.deliver, true);
  for (int i = 0; i < 5 && !h.engine->state().pinBlocked; ++i) {
    const int other = h.start(h.server.loginQr());
    if (h.session(other).step == Step::Ready) EXPECT_TRUE(h.startInteraction(other).ok());
    EXPECT_TRUE(h.enterPin(other, "0000").ok());
  }
  EXPECT_TRUE(h.engine->state().pinBlocked);
  h.deliver = deliver;
}

// A second login, its PIN sent and the answer not yet delivered.
int verifyingLogin(Harness& h, const std::string& pin) {
  h.deliver = true;
  const int other = h.start(h.server.loginQr());
  h.deliver = false;
  EXPECT_TRUE(h.enterPin(other, pin).ok());
  return other;
}

// The clock runs to the session's timeout (nothing else is due before it in these steps).
int timeout(Harness& h, int sid) {
  h.fire(sid, TimerKind::Session);
  EXPECT_EQ(h.session(sid).error ? h.session(sid).error->message : "", "session timed out");
  return sid;
}

void manualStart(Config& c) { c.manuallyStartUserInteraction = true; }

const std::vector<Row>& rows() {
  using H = HistoryStatus;
  static const std::vector<Row> all = {
      {"StartingStartNeedsConfirmation", Step::Starting, Input::StartNeedsConfirmation, Step::Confirming, H::None, Notice::None,
       [](Harness& h, int) {
         h.deliver = true;
         h.enrol("1234");  // a second candidate: the user must choose
         h.deliver = false;
         int other = h.start(h.server.loginQr());
         deliverHeld(h);
         return other;
       }},
      {"StartingStartPromptsFactor", Step::Starting, Input::StartPromptsFactor, Step::SecondFactor, H::None, Notice::None,
       [](Harness& h, int sid) { deliverHeld(h); return sid; }},
      {"StartingFactorBlocked", Step::Starting, Input::FactorBlocked, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int sid) {
         const Output start = h.held.back();
         blockPin(h);
         h.held.push_back(start);
         deliverHeld(h);
         return sid;
       }},
      {"StartingStopSession", Step::Starting, Input::StopSession, Step::Done, H::Aborted, Notice::None, stop},
      {"StartingSessionTimeout", Step::Starting, Input::SessionTimeout, Step::Done, H::Aborted, Notice::None, timeout},
      {"StartingAccountDeleted", Step::Starting, Input::AccountDeleted, Step::Done, H::Aborted, Notice::None,
       [](Harness& h, int) {
         const int appLogin = h.engine->startAppLogin(h.now).session;  // the one start naming its account
         h.pump();
         return deleteAccount(h, appLogin);
       }},
      {"StartingFault", Step::Starting, Input::Fault, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int sid) {
         deliverHeld(h, [](std::string a) { a[a.find("login")] = 'X'; return a; });
         return sid;
       }},
      {"StartingReturnRefused", Step::Starting, Input::ReturnRefused, Step::Failed, H::Error, Notice::Cancel,
       [](Harness& h, int) {
         // An app-to-app link back to an origin the server does not list (it lists none).
         h.deliver = true;
         const Bytes qr = h.server.loginQr();
         const auto r = h.engine->startSessionFromLink("tapgate:" + base64url(qr) + "?return=https%3A%2F%2Fevil.example%2F", h.now);
         h.pump();
         return r.session;
       }},
      {"StartingStartHeld", Step::Starting, Input::StartHeld, Step::Ready, H::None, Notice::None,
       [](Harness& h, int sid) { deliverHeld(h); return sid; }, manualStart},
      {"ReadyInteractionNeedsConfirmation", Step::Ready, Input::InteractionNeedsConfirmation, Step::Confirming, H::None, Notice::None,
       [](Harness& h, int) {
         const int other = h.start(h.server.enrolQr());  // an enrolment is always confirmed
         EXPECT_TRUE(h.startInteraction(other).ok());
         return other;
       }, manualStart},
      {"ReadyInteractionPromptsFactor", Step::Ready, Input::InteractionPromptsFactor, Step::SecondFactor, H::None, Notice::None,
       [](Harness& h, int sid) {
         EXPECT_TRUE(h.startInteraction(sid).ok());
         return sid;
       }, manualStart},
      {"ReadyFactorBlocked", Step::Ready, Input::FactorBlocked, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int sid) {
         blockPin(h);
         EXPECT_TRUE(h.startInteraction(sid).ok());
         return sid;
       }, manualStart},
      {"ReadyStopSession", Step::Ready, Input::StopSession, Step::Done, H::Aborted, Notice::Cancel, stop, manualStart},
      {"ReadySessionTimeout", Step::Ready, Input::SessionTimeout, Step::Done, H::Aborted, Notice::Cancel, timeout, manualStart},
      {"ConfirmingConfirmedPromptsFactor", Step::Confirming, Input::ConfirmedPromptsFactor, Step::SecondFactor, H::None, Notice::None,
       [](Harness& h, int sid) {
         EXPECT_TRUE(h.confirm(sid).ok());
         return sid;
       }},
      {"ConfirmingConfirmedSkipsFactor", Step::Confirming, Input::ConfirmedSkipsFactor, Step::Verifying, H::None, Notice::None,
       [](Harness& h, int) {
         h.server.pinTimeout = 5;  // the enrolment verified the PIN just now: no second factor
         int other = h.start(h.server.loginQr());
         h.deliver = false;
         EXPECT_TRUE(h.confirm(other, h.session(other).candidates[0]).ok());
         return other;
       }},
      {"ConfirmingCodeMismatch", Step::Confirming, Input::CodeMismatch, Step::Failed, H::Error, Notice::Cancel,
       [](Harness& h, int) {
         Bytes qr = h.server.loginQr();
         h.server.sessionOf(qr).matchCode = "42";
         int other = h.start(qr);  // code matching: a confirmation with a wrong pick
         EXPECT_TRUE(h.confirm(other, h.session(other).candidates[0], "", "11").ok());
         return other;
       }},
      {"ConfirmingFactorBlocked", Step::Confirming, Input::FactorBlocked, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int sid) {
         blockPin(h);  // a later enrolment proves the PIN, and that is blocked
         EXPECT_TRUE(h.confirm(sid).ok());
         return sid;
       }},
      {"ConfirmingStopSession", Step::Confirming, Input::StopSession, Step::Done, H::Aborted, Notice::Cancel, stop},
      {"ConfirmingSessionTimeout", Step::Confirming, Input::SessionTimeout, Step::Done, H::Aborted, Notice::Cancel, timeout},
      {"SecondFactorFactorSupplied", Step::SecondFactor, Input::FactorSupplied, Step::Verifying, H::None, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         EXPECT_TRUE(h.enterPin(sid, "1234").ok());
         return sid;
       }},
      {"SecondFactorInputCancel", Step::SecondFactor, Input::InputCancel, Step::Done, H::Aborted, Notice::Cancel,
       [](Harness& h, int sid) {
         EXPECT_TRUE(h.engine->inputCancel(sid, h.now).ok());
         h.pump();
         return sid;
       }},
      {"SecondFactorInputTimeout", Step::SecondFactor, Input::InputTimeout, Step::Done, H::Aborted, Notice::Cancel,
       [](Harness& h, int sid) {
         h.fire(sid, TimerKind::Input);
         EXPECT_EQ(h.session(sid).error->message, "the second factor was not supplied in time");
         return sid;
       }},
      {"SecondFactorStopSession", Step::SecondFactor, Input::StopSession, Step::Done, H::Aborted, Notice::Cancel, stop},
      // Without an input timeout: it would come first.
      {"SecondFactorSessionTimeout", Step::SecondFactor, Input::SessionTimeout, Step::Done, H::Aborted, Notice::Cancel, timeout,
       [](Config& c) { c.secondFactorUserInputTimeout = 0; }},
      {"SecondFactorAccountDeleted", Step::SecondFactor, Input::AccountDeleted, Step::Done, H::Aborted, Notice::Cancel, deleteAccount},
      {"VerifyingVerifiedOneShot", Step::Verifying, Input::VerifiedOneShot, Step::Done, H::LoggedInOneShot, Notice::None,
       [](Harness& h, int sid) { deliverHeld(h); return sid; }},
      {"VerifyingVerifiedContinuous", Step::Verifying, Input::VerifiedContinuous, Step::Active, H::LoggedIn, Notice::None,
       [](Harness& h, int sid) {
         h.server.pingTime = 60;
         deliverHeld(h);
         return sid;
       }},
      {"VerifyingFactorRejected", Step::Verifying, Input::FactorRejected, Step::SecondFactor, H::None, Notice::None,
       [](Harness& h, int) {
         const int other = verifyingLogin(h, "0000");  // a wrong PIN
         deliverHeld(h);
         return other;
       }},
      {"VerifyingFactorBlocked", Step::Verifying, Input::FactorBlocked, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int) {
         const int other = verifyingLogin(h, "0000");
         const Output login = h.held.back();
         const std::string pinFail = h.server.respond(login);  // answered before the PIN is blocked …
         blockPin(h);
         h.engine->onResponse(login.request, 200, pinFail, h.now);  // … and arriving after
         h.pump();
         return other;
       }},
      {"VerifyingPinBlocked", Step::Verifying, Input::PinBlocked, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int) {
         h.server.pinAttemptLimit = 1;
         const int other = verifyingLogin(h, "0000");  // blocked at once
         deliverHeld(h);
         return other;
       }},
      {"VerifyingStopSession", Step::Verifying, Input::StopSession, Step::Done, H::Aborted, Notice::Cancel, stop},
      {"VerifyingSessionTimeout", Step::Verifying, Input::SessionTimeout, Step::Done, H::Aborted, Notice::Cancel, timeout},
      {"VerifyingAccountDeleted", Step::Verifying, Input::AccountDeleted, Step::Done, H::Aborted, Notice::Cancel, deleteAccount},
      {"VerifyingFault", Step::Verifying, Input::Fault, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int sid) { failHeld(h); return sid; }},
      {"ActiveStopSession", Step::Active, Input::StopSession, Step::Done, H::LoggedOut, Notice::Logout, stop},
      {"ActiveAppLoginExpired", Step::Active, Input::AppLoginExpired, Step::Done, H::LoggedOut, Notice::Logout,
       [](Harness& h, int sid) { h.fire(sid, TimerKind::Inactivity); return sid; }},
      {"ActivePingLost", Step::Active, Input::PingLost, Step::Done, H::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         for (int i = 0; i < 3; ++i) {
           h.fire(sid, TimerKind::KeepAlive);
           if (!h.held.empty()) failHeld(h);
           h.engine->noteUserActivity(h.now);  // the user is there: the inactivity timeout stays away
           h.pump();
         }
         return sid;
       }},
      {"ActivePingLoggedOut", Step::Active, Input::PingLoggedOut, Step::Done, H::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         for (auto& [k, s] : h.server.sessions) s.loggedIn = false;
         h.fire(sid, TimerKind::KeepAlive);
         return sid;
       }},
      {"ActivePingRefused", Step::Active, Input::PingRefused, Step::Done, H::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         h.fire(sid, TimerKind::KeepAlive);
         h.engine->onResponse(h.held.back().request, 403, "{}", h.now);  // the account's proof not accepted
         h.pump();
         return sid;
       }},
      {"ActiveServerLogout", Step::Active, Input::ServerLogout, Step::Done, H::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         const Session& s = h.session(sid);
         auto r = h.engine->processPush(
             h.server.message(s.chosen->accountId, {{"kind", "logout"}, {"session", base64url(s.qr.sessionId)}}), h.now);
         EXPECT_TRUE(r.ok());
         h.pump();
         return sid;
       }},
      {"ActiveAccountDeleted", Step::Active, Input::AccountDeleted, Step::Done, H::LoggedOut, Notice::None, deleteAccount},
      {"ActiveFault", Step::Active, Input::Fault, Step::Failed, H::Error, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         h.fire(sid, TimerKind::KeepAlive);
         deliverHeld(h, [](std::string a) { a[a.find("ACTIVE")] = 'X'; return a; });
         return sid;
       }},
  };
  return all;
}

class TransitionRow : public ::testing::TestWithParam<Row> {};

}  // namespace

TEST_P(TransitionRow, LandsWhereTheTableSays) {
  const Row& row = GetParam();
  Config config = rowConfig();
  if (row.configure) row.configure(config);
  Harness h(config);
  const int sid = sessionIn(h, row.from);
  ASSERT_EQ(h.session(sid).step, row.from);
  const Transition* t = findTransition(row.from, row.input);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->to, row.expected);
  EXPECT_EQ(t->history, row.history);
  EXPECT_EQ(t->notice, row.notice);
  const std::size_t sentBefore = h.sent.size();
  const int landed = row.apply(h, sid);
  EXPECT_EQ(h.session(landed).step, row.expected);
  EXPECT_EQ(h.session(landed).history, row.history) << historyStatusName(h.session(landed).history);
  EXPECT_EQ(noticeSent(h, landed, sentBefore), row.notice);
  // The timers: only those whose input has a row from the step are left (none at a final step),
  // and the host holds the deadline the core has.
  const Session& s = h.session(landed);
  for (const auto& spec : kTimerSpecs) {
    EXPECT_TRUE(!s.timers.isSet(spec.kind) || findTransition(s.step, spec.input)) << timerName(spec.kind) << " left set";
  }
  if (isFinal(row.expected)) {
    EXPECT_TRUE(s.timers.empty());
    ASSERT_FALSE(h.deadlinesOf(landed).empty());
    EXPECT_EQ(h.deadlinesOf(landed).back(), std::nullopt) << "a final session's last deadline output is null";
  }
  EXPECT_EQ(h.nextDeadline(landed), s.timers.next());
}

INSTANTIATE_TEST_SUITE_P(Table, TransitionRow, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

TEST(TransitionRows, EveryRowOfTheTableHasACase) {
  for (const auto& t : kTransitions) {
    bool covered = false;
    for (const auto& r : rows()) covered |= (r.from == t.from && r.input == t.input);
    EXPECT_TRUE(covered) << stepStateName(t.from) << "/" << stepPseudoStateName(t.from) << " + " << inputName(t.input);
  }
}
