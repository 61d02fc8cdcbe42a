// Second-factor management: changing the PIN, adding and removing the biometric, across every
// account, with the old PIN valid everywhere until every server holds the new one.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;
using tapgate::test::bioConfig;
using tapgate::test::kFinger;

namespace {

// The "requestdone" that ended operation `op`.
json outcome(const Harness& h, int op) {
  for (const auto& e : h.events) {
    if (e.session == 0 && e.name == "requestdone" && e.detail["request"] == op) return e.detail;
  }
  return nullptr;
}

// A login of `accountId` with `pin` (or the biometric); returns the verdict.
std::string loginWith(Harness& h, std::int64_t accountId, const std::string& pin, const SecretBytes& bio = {}) {
  int sid = h.start(h.server.loginQr());
  if (h.session(sid).step == Step::Confirming) {
    EXPECT_TRUE(h.confirm(sid, AccountRef{h.server.id, accountId}).ok());
  }
  if (!h.engine->setPinBiometric(sid, pin, h.now, bio).ok()) return "refused";
  h.pump();
  const std::string result = h.lastEvent(sid, "secondfactor")->detail.value("result", "");
  if (h.session(sid).step == Step::SecondFactor) h.engine->inputCancel(sid, h.now);
  h.pump();
  return result;
}

// How the network treats held requests: `lose` drops one before it reaches the server (a network
// error for the device); `tamper` alters the server's answer on its way back.
struct Network {
  std::function<bool(const Output&)> lose = [](const Output&) { return false; };
  std::function<void(const Output&, std::string&)> tamper = [](const Output&, std::string&) {};
};

// Delivers the held requests, and those they lead to, one by one through `network`.
void deliverHeld(Harness& h, const Network& network) {
  while (!h.held.empty()) {
    Output o = h.held.front();
    h.held.erase(h.held.begin());
    if (network.lose(o)) {
      h.engine->onNetworkError(o.request, "connection reset", h.now);
    } else {
      std::string answer = h.server.respond(o);
      network.tamper(o, answer);
      h.engine->onResponse(o.request, 200, answer, h.now);
    }
    h.pump();
  }
}

// Loses the `n`-th request (0-based) to `path`.
std::function<bool(const Output&)> loseNth(std::string path, int n) {
  return [path = std::move(path), n, seen = 0](const Output& o) mutable { return o.url.ends_with(path) && seen++ == n; };
}

}  // namespace

TEST(ChangePin, EveryAccountTakesTheNewPinAndTheOldOneStopsWorking) {
  Harness h;
  const auto first = h.enrol("1234"), second = h.enrol("1234");
  const int op = h.engine->changePin("1234", {}, "5678", h.now).value();
  h.pump();
  EXPECT_EQ(outcome(h, op)["result"], "SUCCESS");
  EXPECT_TRUE(h.server.accounts.at(first).pendingPinPk.empty());  // committed
  EXPECT_EQ(loginWith(h, first, "5678"), "SUCCESS");
  EXPECT_EQ(loginWith(h, second, "5678"), "SUCCESS");
  EXPECT_EQ(loginWith(h, second, "1234"), "PIN_FAIL");
}

TEST(ChangePin, AWrongCurrentPinChangesNothing) {
  Harness h;
  const auto aid = h.enrol("1234");
  const auto saltBefore = h.engine->state().accounts[0].pinSalt;
  const int op = h.engine->changePin("0000", {}, "5678", h.now).value();
  h.pump();
  EXPECT_EQ(outcome(h, op)["result"], "PIN_FAIL");
  EXPECT_EQ(outcome(h, op)["attemptsLeft"], 2);
  EXPECT_EQ(h.engine->state().accounts[0].pinSalt, saltBefore);
  EXPECT_EQ(loginWith(h, aid, "1234"), "SUCCESS");
}

TEST(ChangePin, AServerFailingPartWayLeavesTheOldPinValidEverywhere) {
  Harness h;
  const auto first = h.enrol("1234"), second = h.enrol("1234");
  h.deliver = false;
  const int op = h.engine->changePin("1234", {}, "5678", h.now).value();
  h.pump();
  deliverHeld(h, {.lose = loseNth("/v1/factors", 1)});  // the second account's server goes away
  h.deliver = true;
  EXPECT_FALSE(outcome(h, op)["ok"].get<bool>());
  EXPECT_EQ(outcome(h, op)["error"]["code"], "NETWORK_ERROR");
  EXPECT_FALSE(h.server.accounts.at(first).pendingPinPk.empty());  // prepared, never committed
  EXPECT_EQ(loginWith(h, first, "1234"), "SUCCESS");
  EXPECT_EQ(loginWith(h, second, "1234"), "SUCCESS");
  EXPECT_EQ(loginWith(h, first, "5678"), "PIN_FAIL");
}

TEST(ChangePin, ALostCommitIsMadeGoodByTheFirstUseOfTheNewPin) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.deliver = false;
  const int op = h.engine->changePin("1234", {}, "5678", h.now).value();
  h.pump();
  deliverHeld(h, {.lose = loseNth("/v1/factors/commit", 0)});
  h.deliver = true;
  EXPECT_EQ(outcome(h, op)["result"], "SUCCESS");
  EXPECT_FALSE(h.server.accounts.at(aid).pendingPinPk.empty());
  EXPECT_EQ(loginWith(h, aid, "5678"), "SUCCESS");
  EXPECT_TRUE(h.server.accounts.at(aid).pendingPinPk.empty());
  EXPECT_EQ(loginWith(h, aid, "1234"), "PIN_FAIL");
}

TEST(ChangePin, TheNewPinSurvivesARestart) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.engine->changePin("1234", {}, "5678", h.now);
  h.pump();
  Harness restarted(test::testConfig(), h.persisted.back().body);
  restarted.server = h.server;
  EXPECT_EQ(loginWith(restarted, aid, "5678"), "SUCCESS");
}

TEST(ChangePin, MayBeAuthorisedByTheBiometricUnlessDisallowed) {
  Harness h(bioConfig());
  int sid = h.start(h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  ASSERT_TRUE(h.engine->setPinBiometric(sid, "1234", h.now, kFinger).ok());
  h.pump();
  const auto aid = h.session(sid).chosen->accountId;

  const int op = h.engine->changePin("", kFinger, "5678", h.now).value();
  h.pump();
  EXPECT_EQ(outcome(h, op)["result"], "SUCCESS");
  EXPECT_EQ(loginWith(h, aid, "5678"), "SUCCESS");
  EXPECT_EQ(loginWith(h, aid, "", kFinger), "SUCCESS");  // the biometric key did not change with the PIN

  const int wrong = h.engine->changePin("", SecretBytes(Bytes(32, 0x01)), "9999", h.now).value();
  h.pump();
  EXPECT_EQ(outcome(h, wrong)["result"], "BIOMETRIC_FAIL");

  Config strict = bioConfig();
  strict.disallowPinChangeWithBiometric = true;
  Harness s(strict, h.persisted.back().body);
  EXPECT_EQ(s.engine->changePin("", kFinger, "9999", s.now).error().code, ErrorCode::INVALID_ARGUMENT);
}

TEST(ChangePin, RefusesBadArgumentsAndASecondOperationAtOnce) {
  Harness h;
  EXPECT_EQ(h.engine->changePin("1234", {}, "5678", h.now).error().code, ErrorCode::INVALID_ARGUMENT);  // no account
  h.enrol("1234");
  EXPECT_EQ(h.engine->changePin("1234", {}, "12", h.now).error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.engine->changePin("", {}, "5678", h.now).error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.engine->changePin("", kFinger, "5678", h.now).error().code, ErrorCode::INVALID_ARGUMENT);  // no provider
  h.deliver = false;
  ASSERT_TRUE(h.engine->changePin("1234", {}, "5678", h.now).ok());
  EXPECT_EQ(h.engine->changePin("1234", {}, "5678", h.now).error().code, ErrorCode::WRONG_STATE);
  EXPECT_EQ(h.engine->removeBiometric(h.now).error().code, ErrorCode::WRONG_STATE);
}

TEST(ChangePin, AForgedVerdictEndsTheOperationWithASecurityError) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.deliver = false;
  const int op = h.engine->changePin("1234", {}, "5678", h.now).value();
  h.pump();
  deliverHeld(h, {.tamper = [](const Output& o, std::string& answer) {
                    if (o.url.ends_with("/v1/factors")) answer[answer.find("SUCCESS")] = 'X';
                  }});
  h.deliver = true;
  EXPECT_EQ(outcome(h, op)["error"]["kind"], "security");
  EXPECT_EQ(loginWith(h, aid, "1234"), "SUCCESS");
}

TEST(AddBiometric, AuthorisedByThePinThenTheBiometricLogsIn) {
  Harness h(bioConfig());
  const auto aid = h.enrol("1234");
  EXPECT_EQ(loginWith(h, aid, "", kFinger), "refused");  // none yet
  const int op = h.engine->addBiometric("1234", kFinger, h.now).value();
  h.pump();
  EXPECT_EQ(outcome(h, op)["result"], "SUCCESS");
  EXPECT_TRUE(h.engine->state().accounts[0].biometric);
  EXPECT_EQ(h.lastEvent(0, "accountupdate")->detail["account"]["biometric"], true);
  EXPECT_EQ(loginWith(h, aid, "", kFinger), "SUCCESS");
}

TEST(AddBiometric, AWrongPinAddsNothing) {
  Harness h(bioConfig());
  const auto aid = h.enrol("1234");
  const int op = h.engine->addBiometric("9999", kFinger, h.now).value();
  h.pump();
  EXPECT_EQ(outcome(h, op)["result"], "PIN_FAIL");
  EXPECT_FALSE(h.engine->state().accounts[0].biometric);
  EXPECT_TRUE(h.server.accounts.at(aid).bioPk.empty());
}

TEST(AddBiometric, NeedsAProviderAndAnAccount) {
  Harness none(bioConfig());
  EXPECT_EQ(none.engine->addBiometric("1234", kFinger, none.now).error().code, ErrorCode::INVALID_ARGUMENT);
  Harness h;  // no BiometricProvider
  h.enrol("1234");
  EXPECT_EQ(h.engine->addBiometric("1234", kFinger, h.now).error().code, ErrorCode::INVALID_ARGUMENT);
}

TEST(RemoveBiometric, OffOnTheDeviceAtOnceAndForgottenByTheServer) {
  Harness h(bioConfig());
  const auto aid = h.enrol("1234");
  h.engine->addBiometric("1234", kFinger, h.now);
  h.pump();
  h.deliver = false;
  const int op = h.engine->removeBiometric(h.now).value();
  h.pump();
  EXPECT_FALSE(h.engine->state().accounts[0].biometric);  // before any server answered
  EXPECT_FALSE(h.server.accounts.at(aid).bioPk.empty());
  deliverHeld(h, {});
  h.deliver = true;
  EXPECT_EQ(outcome(h, op)["result"], "SUCCESS");
  EXPECT_TRUE(h.server.accounts.at(aid).bioPk.empty());
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"PIN"}));
}
