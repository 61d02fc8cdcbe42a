// The enrol and login flows of the engine against a simulated server, on a simulated clock.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

std::string state(const Session& s) { return stepStateName(s.step); }

}  // namespace

TEST(Enrol, FirstEnrolmentSetsThePin) {
  Harness h;
  int sid = h.start(h.server.enrolQr());
  EXPECT_EQ(state(h.session(sid)), "USER_INTERACTION");
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  const Output* confirm = h.lastEvent(sid, "confirmenrol");
  ASSERT_NE(confirm, nullptr);
  EXPECT_EQ(confirm->detail["server"]["name"], "Example Bank");
  EXPECT_EQ(confirm->detail["visualHash"], crypto::visualHash(h.server.id, h.server.key.publicKey));
  EXPECT_TRUE(confirm->detail["existingAccounts"].empty());

  ASSERT_TRUE(h.confirm(sid).ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["context"], "FIRST_SET");

  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "SUCCESS");
  ASSERT_EQ(h.engine->state().accounts.size(), 1u);
  EXPECT_EQ(h.engine->state().accounts[0].userId, "alice");
  EXPECT_TRUE(h.engine->state().pinSet);
  EXPECT_EQ(h.server.accounts.size(), 1u);
  EXPECT_FALSE(h.persisted.empty());
}

TEST(Enrol, SecondEnrolmentVerifiesInsteadOfSetting) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.enrolQr());
  EXPECT_EQ(h.lastEvent(sid, "confirmenrol")->detail["existingAccounts"].size(), 1u);
  ASSERT_TRUE(h.confirm(sid).ok());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["context"], "VERIFY");
}

TEST(Enrol, SecondEnrolmentChecksThePinWithAnExistingAccount) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  // A different PIN is refused by the server that knows the app's PIN, and counted there.
  ASSERT_TRUE(h.enterPin(sid, "9999").ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "PIN_FAIL");
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["attemptsLeft"], 2);
  EXPECT_EQ(h.engine->state().accounts.size(), 1u);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "SUCCESS");
  ASSERT_EQ(h.engine->state().accounts.size(), 2u);
  EXPECT_EQ(h.server.accounts.at(1).failures, 0);
  // At the same server the PIN proof rode inside enrol: start, then one enrol per attempt.
  std::vector<std::string> paths;
  for (const auto& o : h.sent) if (o.session == sid) paths.push_back(o.url.substr(o.url.rfind("/v1/")));
  EXPECT_EQ(paths, (std::vector<std::string>{"/v1/start", "/v1/enrol", "/v1/enrol"}));
  EXPECT_EQ(h.server.enrolPinChecks, 2);
  // The new account answers to the same app PIN. Two candidates: the user picks at confirmation.
  int login = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(login).step, Step::Confirming);
  EXPECT_EQ(h.lastEvent(login, "confirmlogin")->detail["accounts"].size(), 2u);
  ASSERT_TRUE(h.engine->setAccount(login, AccountRef{h.server.id, 2}, "", h.now).ok());
  ASSERT_TRUE(h.enterPin(login, "1234").ok());
  EXPECT_EQ(h.session(login).history, HistoryStatus::LoggedInOneShot);
}

TEST(Enrol, SingleAccountRefusesASecondEnrolment) {
  Config c = test::testConfig();
  c.singleAccount = true;
  Harness h(c);
  h.enrol("1234");
  auto r = h.engine->startSession(h.server.enrolQr(), h.now);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(errorNumericCode(r.error->code), 40);
  EXPECT_EQ(h.session(r.session).step, Step::Failed);
}

TEST(Enrol, KnownServerWithAnotherKeyIsRefused) {
  Harness h;
  h.enrol("1234");
  h.server.key = crypto::signKeyPair();  // same server id, new key: an impostor
  auto r = h.engine->startSession(h.server.enrolQr(), h.now);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
}

TEST(Enrol, NetworkFailureLeavesNoAccount) {
  Harness h;
  int sid = h.start(h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  h.deliver = false;
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  h.engine->onNetworkError(h.held.back().request, "connection refused", h.now);
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::NETWORK_ERROR);
  EXPECT_TRUE(h.engine->state().accounts.empty());
  EXPECT_FALSE(h.engine->state().pinSet);
}

TEST(Login, RightPinLogsInOneShot) {
  Harness h;
  const auto aid = h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  // One candidate and a second factor to come: confirmation is skipped by default.
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["context"], "VERIFY");
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  EXPECT_EQ(h.session(sid).sessionInfo["welcome"], "Hello");
  ASSERT_NE(h.lastEvent(sid, "login"), nullptr);
  EXPECT_EQ(h.server.sessions.size(), 2u);
  bool loggedIn = false;
  for (auto& [k, s] : h.server.sessions) loggedIn |= (s.loggedIn && s.accountId == aid && s.qr[1] == 1);
  EXPECT_TRUE(loggedIn);
}

TEST(Login, ContinuousServerGoesActiveAndStopLogsOut) {
  Harness h;
  h.enrol("1234");
  h.server.pingTime = 60;
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Active);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedIn);
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedOut);
  EXPECT_NE(h.sent.back().url.find("/v1/logout"), std::string::npos);
}

TEST(Login, WrongPinTwiceThenRight) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  for (int left : {2, 1}) {
    ASSERT_TRUE(h.enterPin(sid, "9999").ok());
    EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
    const Output* sf = h.lastEvent(sid, "secondfactor");
    EXPECT_EQ(sf->detail["result"], "PIN_FAIL");
    EXPECT_EQ(sf->detail["attemptsLeft"], left);
  }
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "SUCCESS");
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
}

TEST(Login, BlockedAtTheServersLimit) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.enterPin(sid, "0000").ok());
  }
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "PIN_BLOCKED");
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::PIN_BLOCKED);
  // The right PIN no longer helps: the server keeps the account blocked.
  int again = h.start(h.server.loginQr());
  ASSERT_TRUE(h.enterPin(again, "1234").ok());
  EXPECT_EQ(h.session(again).step, Step::Failed);
  EXPECT_EQ(h.lastEvent(again, "secondfactor")->detail["result"], "PIN_BLOCKED");
}

TEST(Login, StopAtConfirmationAbortsAndTellsTheServer) {
  Config c = test::testConfig();
  c.automaticallySelectSingleAccountWhenSecondFactorNeeded = false;
  Harness h(c);
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  ASSERT_NE(h.lastEvent(sid, "confirmlogin"), nullptr);
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
  EXPECT_TRUE(h.server.sessionOf(qr).cancelled);
  EXPECT_FALSE(h.server.sessionOf(qr).loggedIn);
}

TEST(Login, SetAccountForwardsUserInput) {
  Config c = test::testConfig();
  c.automaticallySelectSingleAccountWhenSecondFactorNeeded = false;
  Harness h(c);
  const auto aid = h.enrol("1234");
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  EXPECT_EQ(h.engine->setAccount(sid, AccountRef{h.server.id, aid + 7}, "", h.now).error().code,
            ErrorCode::UNKNOWN_ACCOUNT);
  ASSERT_TRUE(h.engine->setAccount(sid, AccountRef{h.server.id, aid}, "note to the RP", h.now).ok());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.server.sessionOf(qr).userInput, "note to the RP");
}

TEST(Login, UnknownServerIsNoAccounts34) {
  Harness h;
  auto r = h.engine->startSession(h.server.loginQr(), h.now);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(errorNumericCode(r.error->code), 34);
  EXPECT_EQ(h.session(r.session).step, Step::Failed);
}

TEST(Login, TamperedStartResponseEndsInError) {
  Harness h;
  h.enrol("1234");
  h.deliver = false;
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  std::string response = h.server.respond(h.held.back());
  response[response.find("Example") + 1] ^= 0x20;  // "Example" → "EXample"
  h.engine->onResponse(h.held.back().request, 200, response, h.now);
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Error);
}

TEST(Login, ResponseFromAnotherSessionIsRejected) {
  Harness h;
  h.enrol("1234");
  h.deliver = false;
  int first = h.start(h.server.loginQr());
  Output firstReq = h.held.back();
  int second = h.start(h.server.loginQr());
  Output secondReq = h.held.back();
  // Answer the second request with the server's (valid) answer to the first.
  h.engine->onResponse(secondReq.request, 200, h.server.respond(firstReq), h.now);
  h.pump();
  EXPECT_EQ(h.session(second).step, Step::Failed);
  EXPECT_EQ(h.session(second).error->code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
  EXPECT_EQ(h.session(first).step, Step::Starting);
}

TEST(Login, PinMustHaveFourToSixtyFourCharacters) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.engine->setPinBiometric(sid, "12", h.now).error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(Timeout, UnfinishedSessionIsAbortedAfterSessionTimeout) {
  Harness h;
  int sid = h.start(h.server.enrolQr());
  const std::int64_t timeout = test::testConfig().sessionTimeout;
  EXPECT_EQ(h.nextDeadline(sid), h.now + timeout);
  h.advance(timeout - 1);
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  h.advance(1);
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::SESSION_TIMEOUT);
  EXPECT_EQ(h.deadlinesOf(sid), (std::vector<std::optional<std::int64_t>>{h.now, std::nullopt}));
}

TEST(Timeout, FinishedSessionIgnoresItsTimer) {
  Harness h;
  h.enrol("1234");
  const int sid = 1;
  ASSERT_FALSE(h.deadlinesOf(sid).empty());
  EXPECT_EQ(h.deadlinesOf(sid).back(), std::nullopt) << "the session's deadline went with it";
  EXPECT_TRUE(h.session(sid).timers.empty());
  h.engine->onTimer(sid, h.now + test::testConfig().sessionTimeout);
  EXPECT_TRUE(h.engine->takeOutputs().empty());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
}

TEST(Misuse, CallsInTheWrongStateChangeNothing) {
  Harness h;
  int sid = h.start(h.server.enrolQr());
  const auto before = h.events.size();
  EXPECT_EQ(h.engine->setPinBiometric(sid, "1234", h.now).error().code, ErrorCode::WRONG_STATE);
  EXPECT_EQ(h.engine->inputCancel(sid, h.now).error().code, ErrorCode::WRONG_STATE);
  h.pump();
  EXPECT_EQ(h.events.size(), before);
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  EXPECT_EQ(h.engine->stopSession(999, h.now).error().code, ErrorCode::UNKNOWN_SESSION);
}

TEST(Misuse, FinalSessionsAcceptNothing) {
  Harness h;
  h.enrol("1234");
  const int sid = 1;
  EXPECT_EQ(h.engine->stopSession(sid, h.now).error().code, ErrorCode::WRONG_STATE);
  EXPECT_EQ(h.engine->setAccount(sid, std::nullopt, "", h.now).error().code, ErrorCode::WRONG_STATE);
}

TEST(SecondFactor, InputCancelAborts) {
  Harness h;
  h.enrol("1234");
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.engine->inputCancel(sid, h.now).ok());
  h.pump();
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
}
