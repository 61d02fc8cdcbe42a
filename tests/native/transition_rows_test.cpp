// One test per row of the transition table (src/transitions.hpp): drive a fresh session into the
// row's step, apply its input, and check the step it lands in. A last test fails if a row of the
// table has no case here.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

// The end notice the device sent the server (pinned here until the table names it).
enum class Notice { None, Cancel, Logout };

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
};

Config rowConfig() {
  Config c = test::testConfig();
  c.automaticallySelectSingleAccountWhenSecondFactorNeeded = true;
  c.appLoginInactivityTimeout = 60'000;
  return c;
}

// A fresh session in `step`; the harness holds (does not deliver) requests where that matters.
int sessionIn(Harness& h, Step step) {
  h.enrol("1234");
  switch (step) {
    case Step::Starting:
      h.deliver = false;
      return h.start(h.server.loginQr());
    case Step::Confirming:
      return h.start(h.server.enrolQr());
    case Step::SecondFactor:
      return h.start(h.server.loginQr());
    case Step::Verifying: {
      int sid = h.start(h.server.loginQr());
      h.deliver = false;
      EXPECT_TRUE(h.engine->setPinBiometric(sid, "1234", h.now).ok());
      h.pump();
      return sid;
    }
    case Step::Active: {
      h.server.pingTime = 60;
      auto r = h.engine->startAppLogin(h.now);
      h.pump();
      EXPECT_TRUE(h.engine->setPinBiometric(r.session, "1234", h.now).ok());
      h.pump();
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
  EXPECT_TRUE(h.engine->stopSession(sid, h.now).ok());
  h.pump();
  return sid;
}

int timeout(Harness& h, int sid) {
  h.fireTimer(sid, "session");
  return sid;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> all = {
      {"StartingStartResponseToSecondFactor", Step::Starting, Input::StartResponse, Step::SecondFactor, HistoryStatus::None, Notice::None,
       [](Harness& h, int sid) { deliverHeld(h); return sid; }},
      {"StartingStartResponseToConfirming", Step::Starting, Input::StartResponse, Step::Confirming, HistoryStatus::None, Notice::None,
       [](Harness& h, int) {
         h.deliver = true;
         h.enrol("1234");  // a second candidate: the user must choose
         h.deliver = false;
         int other = h.start(h.server.loginQr());
         deliverHeld(h);
         return other;
       }},
      {"StartingStartResponseToFailed", Step::Starting, Input::StartResponse, Step::Failed, HistoryStatus::Error, Notice::None,
       [](Harness& h, int sid) {
         deliverHeld(h, [](std::string a) { a[a.find("login")] = 'X'; return a; });
         return sid;
       }},
      {"StartingStopSession", Step::Starting, Input::StopSession, Step::Done, HistoryStatus::Aborted, Notice::None, stop},
      {"StartingFault", Step::Starting, Input::Fault, Step::Failed, HistoryStatus::Error, Notice::None, [](Harness& h, int sid) { failHeld(h); return sid; }},
      {"StartingTimeout", Step::Starting, Input::Timeout, Step::Done, HistoryStatus::Aborted, Notice::None, timeout},
      {"ConfirmingSetAccountToSecondFactor", Step::Confirming, Input::SetAccount, Step::SecondFactor, HistoryStatus::None, Notice::None,
       [](Harness& h, int sid) {
         EXPECT_TRUE(h.engine->setAccount(sid, std::nullopt, "", h.now).ok());
         h.pump();
         return sid;
       }},
      {"ConfirmingSetAccountToFailed", Step::Confirming, Input::SetAccount, Step::Failed, HistoryStatus::Error, Notice::Cancel,
       [](Harness& h, int) {
         Bytes qr = h.server.loginQr();
         h.server.sessionOf(qr).matchCode = "42";
         int other = h.start(qr);  // code matching: a confirmation with a wrong pick
         EXPECT_TRUE(h.engine->setAccount(other, h.session(other).candidates[0], "", h.now, "11").ok());
         h.pump();
         return other;
       }},
      {"ConfirmingSetAccountToVerifying", Step::Confirming, Input::SetAccount, Step::Verifying, HistoryStatus::None, Notice::None,
       [](Harness& h, int) {
         h.server.pinTimeout = 5;  // the enrolment verified the PIN just now: no second factor
         int other = h.start(h.server.loginQr());
         h.deliver = false;
         EXPECT_TRUE(h.engine->setAccount(other, h.session(other).candidates[0], "", h.now).ok());
         h.pump();
         return other;
       }},
      {"ConfirmingStopSession", Step::Confirming, Input::StopSession, Step::Done, HistoryStatus::Aborted, Notice::Cancel, stop},
      {"ConfirmingTimeout", Step::Confirming, Input::Timeout, Step::Done, HistoryStatus::Aborted, Notice::Cancel, timeout},
      {"SecondFactorSetPinBiometric", Step::SecondFactor, Input::SetPinBiometric, Step::Verifying, HistoryStatus::None, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         EXPECT_TRUE(h.engine->setPinBiometric(sid, "1234", h.now).ok());
         h.pump();
         return sid;
       }},
      {"SecondFactorInputCancel", Step::SecondFactor, Input::InputCancel, Step::Done, HistoryStatus::Aborted, Notice::Cancel,
       [](Harness& h, int sid) {
         EXPECT_TRUE(h.engine->inputCancel(sid, h.now).ok());
         h.pump();
         return sid;
       }},
      {"SecondFactorStopSession", Step::SecondFactor, Input::StopSession, Step::Done, HistoryStatus::Aborted, Notice::Cancel, stop},
      {"SecondFactorTimeout", Step::SecondFactor, Input::Timeout, Step::Done, HistoryStatus::Aborted, Notice::Cancel, timeout},
      {"VerifyingVerifyResponseToDone", Step::Verifying, Input::VerifyResponse, Step::Done, HistoryStatus::LoggedInOneShot, Notice::None,
       [](Harness& h, int sid) { deliverHeld(h); return sid; }},
      {"VerifyingVerifyResponseToActive", Step::Verifying, Input::VerifyResponse, Step::Active, HistoryStatus::LoggedIn, Notice::None,
       [](Harness& h, int sid) {
         h.server.pingTime = 60;
         deliverHeld(h);
         return sid;
       }},
      {"VerifyingVerifyResponseToSecondFactor", Step::Verifying, Input::VerifyResponse, Step::SecondFactor, HistoryStatus::None, Notice::None,
       [](Harness& h, int) {
         h.deliver = true;
         int other = h.start(h.server.loginQr());
         h.deliver = false;
         EXPECT_TRUE(h.engine->setPinBiometric(other, "0000", h.now).ok());  // a wrong PIN
         h.pump();
         deliverHeld(h);
         return other;
       }},
      {"VerifyingVerifyResponseToFailed", Step::Verifying, Input::VerifyResponse, Step::Failed, HistoryStatus::Error, Notice::None,
       [](Harness& h, int) {
         h.server.pinAttemptLimit = 1;
         h.deliver = true;
         int other = h.start(h.server.loginQr());
         h.deliver = false;
         EXPECT_TRUE(h.engine->setPinBiometric(other, "0000", h.now).ok());  // blocked at once
         h.pump();
         deliverHeld(h);
         return other;
       }},
      {"VerifyingStopSession", Step::Verifying, Input::StopSession, Step::Done, HistoryStatus::Aborted, Notice::Cancel, stop},
      {"VerifyingFault", Step::Verifying, Input::Fault, Step::Failed, HistoryStatus::Error, Notice::None, [](Harness& h, int sid) { failHeld(h); return sid; }},
      {"VerifyingTimeout", Step::Verifying, Input::Timeout, Step::Done, HistoryStatus::Aborted, Notice::Cancel, timeout},
      {"ActiveStopSession", Step::Active, Input::StopSession, Step::Done, HistoryStatus::LoggedOut, Notice::Logout, stop},
      {"ActiveKeepAliveStaysActive", Step::Active, Input::KeepAlive, Step::Active, HistoryStatus::LoggedIn, Notice::None,
       [](Harness& h, int sid) { h.fireTimer(sid, "ping"); return sid; }},
      {"ActiveKeepAliveLost", Step::Active, Input::KeepAlive, Step::Done, HistoryStatus::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         for (int i = 0; i < 3; ++i) {
           h.fireTimer(sid, "ping");
           if (!h.held.empty()) failHeld(h);
         }
         return sid;
       }},
      {"ActiveKeepAliveResponseLoggedOut", Step::Active, Input::KeepAliveResponse, Step::Done, HistoryStatus::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         for (auto& [k, s] : h.server.sessions) s.loggedIn = false;
         h.fireTimer(sid, "ping");
         return sid;
       }},
      {"ActiveServerLogout", Step::Active, Input::ServerLogout, Step::Done, HistoryStatus::LoggedOut, Notice::None,
       [](Harness& h, int sid) {
         const Session& s = h.session(sid);
         auto r = h.engine->processPush(
             h.server.message(s.chosen->accountId, {{"kind", "logout"}, {"session", base64url(s.qr.sessionId)}}), h.now);
         EXPECT_TRUE(r.ok());
         h.pump();
         return sid;
       }},
      {"ActiveAppLoginExpired", Step::Active, Input::AppLoginExpired, Step::Done, HistoryStatus::LoggedOut, Notice::Logout,
       [](Harness& h, int sid) { h.fireTimer(sid, "inactivity"); return sid; }},
      {"ActiveFault", Step::Active, Input::Fault, Step::Failed, HistoryStatus::Error, Notice::None,
       [](Harness& h, int sid) {
         h.deliver = false;
         h.fireTimer(sid, "ping");
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
  Harness h(rowConfig());
  const int sid = sessionIn(h, row.from);
  ASSERT_EQ(h.session(sid).step, row.from);
  const Transition* t = findTransition(row.from, row.input);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(allowsTarget(*t, row.expected));
  const std::size_t sentBefore = h.sent.size();
  const int landed = row.apply(h, sid);
  EXPECT_EQ(h.session(landed).step, row.expected);
  EXPECT_EQ(h.session(landed).history, row.history) << historyStatusName(h.session(landed).history);
  EXPECT_EQ(noticeSent(h, landed, sentBefore), row.notice);
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
