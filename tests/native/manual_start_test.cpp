// manuallyStartUserInteraction: a started session waits at READY_FOR_USER_INTERACTION until the
// app calls startUserInteraction; its timeout keeps running meanwhile.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

Config manual() {
  Config c = test::testConfig();
  c.manuallyStartUserInteraction = true;
  return c;
}

}  // namespace

TEST(ManualStart, ALoginWaitsUntilTheAppStartsIt) {
  Harness h(manual());
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  const int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Ready);
  EXPECT_NE(h.lastEvent(sid, "readyforuserinteraction"), nullptr);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor"), nullptr);
  EXPECT_EQ(h.lastEvent(sid, "statechange")->detail["state"], "READY_FOR_USER_INTERACTION");
  EXPECT_EQ(h.lastEvent(sid, "statechange")->detail["pseudoState"], "NONE");
  // Nothing of the user's is accepted yet, and nothing changes.
  const auto before = h.events.size();
  EXPECT_EQ(h.engine->setPinBiometric(sid, "1234", h.now).error().code, ErrorCode::WRONG_STATE);
  EXPECT_EQ(h.engine->setAccount(sid, h.session(sid).candidates[0], "", h.now).error().code, ErrorCode::WRONG_STATE);
  EXPECT_EQ(h.engine->inputCancel(sid, h.now).error().code, ErrorCode::WRONG_STATE);
  h.pump();
  EXPECT_EQ(h.events.size(), before);
  EXPECT_EQ(h.session(sid).step, Step::Ready);

  ASSERT_TRUE(h.startInteraction(sid).ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_NE(h.lastEvent(sid, "secondfactor"), nullptr);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  EXPECT_TRUE(h.server.sessionOf(qr).loggedIn);
}

TEST(ManualStart, AnEnrolmentWaitsAndThenAsksForConfirmation) {
  Harness h(manual());
  const int sid = h.start(h.server.enrolQr());
  EXPECT_EQ(h.session(sid).step, Step::Ready);
  EXPECT_EQ(h.lastEvent(sid, "confirmenrol"), nullptr);
  ASSERT_TRUE(h.startInteraction(sid).ok());
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  const Output* confirm = h.lastEvent(sid, "confirmenrol");
  ASSERT_NE(confirm, nullptr);
  EXPECT_EQ(confirm->detail["server"]["name"], "Example Bank");
  EXPECT_FALSE(confirm->detail["visualHash"].get<std::string>().empty());
}

TEST(ManualStart, StartingTwiceOrTooEarlyIsWrongState) {
  Harness h(manual());
  h.enrol("1234");
  h.deliver = false;
  const int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.engine->startUserInteraction(sid, h.now).error().code, ErrorCode::WRONG_STATE);  // still STARTING
  h.engine->onResponse(h.held.back().request, 200, h.server.respond(h.held.back()), h.now);
  h.pump();
  ASSERT_TRUE(h.startInteraction(sid).ok());
  EXPECT_EQ(h.engine->startUserInteraction(sid, h.now).error().code, ErrorCode::WRONG_STATE);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.engine->startUserInteraction(999, h.now).error().code, ErrorCode::UNKNOWN_SESSION);
}

TEST(ManualStart, WithoutTheOptionTheSessionGoesOnByItself) {
  Harness h;
  h.enrol("1234");
  const int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.lastEvent(sid, "readyforuserinteraction"), nullptr);
  EXPECT_EQ(h.engine->startUserInteraction(sid, h.now).error().code, ErrorCode::WRONG_STATE);
}

TEST(ManualStart, AHeldSessionStillTimesOutAndTellsTheServer) {
  Harness h(manual());
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  const int sid = h.start(qr);
  ASSERT_EQ(h.session(sid).step, Step::Ready);
  h.advance(test::testConfig().sessionTimeout);
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
  EXPECT_TRUE(h.server.sessionOf(qr).cancelled);
  EXPECT_EQ(h.engine->startUserInteraction(sid, h.now).error().code, ErrorCode::WRONG_STATE);
}

TEST(ManualStart, ThePinWindowIsJudgedWhenTheAppStarts) {
  Harness h(manual());
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = 5;
  const int sid = h.start(h.server.loginQr());
  h.now += 6 * 60'000;  // held past the window: the PIN is asked after all
  h.server.time += 6 * 60'000;
  ASSERT_TRUE(h.startInteraction(sid).ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  (void)aid;
}

TEST(ManualStart, AnAppLoginIsNotHeld) {
  Harness h(manual());
  h.enrol("1234");
  h.server.pingTime = 60;
  const int sid = h.engine->startAppLogin(h.now).session;
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(ManualStart, ConfigOptionIsParsed) {
  auto c = parseConfig(R"({"manuallyStartUserInteraction":true})");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.value().manuallyStartUserInteraction);
  EXPECT_FALSE(parseConfig(R"({"manuallyStartUserInteraction":"yes"})").ok());
}

TEST(EnrolUserInput, ReachesTheServerUnderTheProof) {
  Harness h;
  h.enrol("1234", "laptop at home");
  bool found = false;
  for (const auto& [id, s] : h.server.sessions) found |= s.userInput == "laptop at home";
  EXPECT_TRUE(found);
  const Output* enrol = nullptr;
  for (const auto& o : h.sent) if (o.url.ends_with("/v1/enrol")) enrol = &o;
  ASSERT_NE(enrol, nullptr);
  auto req = nlohmann::json::parse(enrol->body);
  EXPECT_EQ(req["userInput"], "laptop at home");
}

TEST(EnrolUserInput, TooLongIsInvalidAndChangesNothing) {
  Harness h;
  const int sid = h.start(h.server.enrolQr());
  EXPECT_EQ(h.engine->setAccount(sid, std::nullopt, std::string(1025, 'x'), h.now).error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  EXPECT_TRUE(h.confirm(sid, std::nullopt, std::string(1024, 'x')).ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(EnrolUserInput, ARewrittenUserInputFailsTheServersCheck) {
  Harness h;
  h.deliver = false;
  const int sid = h.start(h.server.enrolQr());
  h.engine->onResponse(h.held.back().request, 200, h.server.respond(h.held.back()), h.now);
  h.pump();
  ASSERT_TRUE(h.confirm(sid, std::nullopt, "mine").ok());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  Output enrol = h.held.back();
  auto req = nlohmann::json::parse(enrol.body);
  req["userInput"] = "theirs";  // a relay rewrites it
  enrol.body = req.dump();
  h.server.respond(enrol);
  EXPECT_TRUE(h.server.accounts.empty());  // the proof covers H(userInput): the server refuses it
}
