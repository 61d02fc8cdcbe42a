// The biometric as second factor and the rules that send the user back to the PIN.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;
using tapgate::test::bioConfig;
using tapgate::test::kFinger;

namespace {

std::int64_t enrolWithBiometric(Harness& h) {
  int sid = h.start(h.server.enrolQr());
  EXPECT_TRUE(h.confirm(sid).ok());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"PIN", "BIOMETRIC"}));
  EXPECT_TRUE(h.engine->setPinBiometric(sid, "1234", h.now, kFinger).ok());
  h.pump();
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  return h.session(sid).chosen->accountId;
}

// A login answered with the biometric; returns the verdict.
std::string bioLogin(Harness& h, const SecretBytes& secret = kFinger) {
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  auto st = h.engine->setPinBiometric(sid, "", h.now, secret);
  if (!st) return "refused";
  h.pump();
  return h.lastEvent(sid, "secondfactor")->detail["result"].get<std::string>();
}

}  // namespace

TEST(Biometric, SetAtTheFirstEnrolmentThenLogsIn) {
  Harness h(bioConfig());
  const auto aid = enrolWithBiometric(h);
  EXPECT_FALSE(h.server.accounts.at(aid).bioPk.empty());
  EXPECT_EQ(bioLogin(h), "SUCCESS");
}

// A changed biometric set: the provider releases another secret, whose key the server refuses.
TEST(Biometric, AnotherSecretRemovesTheBiometricSilentlyAndThePinStillWorks) {
  Harness h(bioConfig());
  const auto aid = enrolWithBiometric(h);
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.engine->setPinBiometric(sid, "", h.now, SecretBytes(Bytes(32, 0x01))).ok());
  h.pump();
  const Output* verdict = h.lastEvent(sid, "secondfactor");
  EXPECT_EQ(verdict->detail["result"], "BIOMETRICS_REMOVED");
  EXPECT_EQ(verdict->detail["allowed"], json::array({"PIN"}));  // the new prompt: the PIN only
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_FALSE(h.engine->state().accounts.front().biometric);
  const Output* update = h.lastEvent(0, "accountupdate");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->detail["account"]["biometric"], false);
  // Off for good: the biometric is refused at this prompt, not offered at the next, and stays off
  // after a restart; the server counted no PIN failure.
  EXPECT_EQ(h.engine->setPinBiometric(sid, "", h.now, kFinger).error().code, ErrorCode::INVALID_ARGUMENT);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  EXPECT_EQ(h.server.accounts.at(aid).failures, 0);
  const int next = h.start(h.server.loginQr());
  EXPECT_EQ(h.lastEvent(next, "secondfactor")->detail["allowed"], json::array({"PIN"}));
  auto reloaded = parseState(serializeState(h.engine->state()));
  ASSERT_TRUE(reloaded.ok());
  EXPECT_FALSE(reloaded.value().accounts.front().biometric);
}

TEST(Biometric, AddBiometricAfterARemovalWorksAgain) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  EXPECT_EQ(bioLogin(h, SecretBytes(Bytes(32, 0x01))), "BIOMETRICS_REMOVED");
  const SecretBytes newFinger(Bytes(32, 0x01));
  auto op = h.engine->addBiometric("1234", newFinger, h.now);
  ASSERT_TRUE(op.ok());
  h.pump();
  EXPECT_TRUE(h.engine->state().accounts.front().biometric);
  EXPECT_EQ(bioLogin(h, SecretBytes(Bytes(32, 0x01))), "SUCCESS");
}

TEST(Biometric, ProviderRefusalIsReportedAsAnotherPrompt) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.engine->reportBiometricFailure(sid).ok());
  h.pump();
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "BIOMETRIC_FAIL");
  EXPECT_TRUE(h.engine->state().accounts.front().biometric);  // a refusal is no changed set: it stays on
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(Biometric, DisabledByConfiguration) {
  Config c = bioConfig();
  c.biometricsDisabled = true;
  Harness h(c);
  int sid = h.start(h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"PIN"}));
  EXPECT_EQ(h.engine->setPinBiometric(sid, "1234", h.now, kFinger).error().code, ErrorCode::INVALID_ARGUMENT);
}

TEST(Biometric, MaxNumberWithoutPinSendsTheUserBackToThePin) {
  Config c = bioConfig();
  c.maxNumberSecondFactorWithoutPIN = 2;
  Harness h(c);
  enrolWithBiometric(h);
  EXPECT_EQ(bioLogin(h), "SUCCESS");
  EXPECT_EQ(bioLogin(h), "SUCCESS");
  int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"PIN"}));
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(bioLogin(h), "SUCCESS");  // the count starts again after a PIN
}

TEST(Biometric, MaxTimeWithoutPinSendsTheUserBackToThePin) {
  Config c = bioConfig();
  c.maxTimeSecondFactorWithoutPIN = 3600'000;
  Harness h(c);
  enrolWithBiometric(h);
  EXPECT_EQ(bioLogin(h), "SUCCESS");
  h.now += 3600'000;
  EXPECT_EQ(bioLogin(h), "refused");
}

TEST(Biometric, BlockSecondFactorOnPinBlocked) {
  Config c = bioConfig();
  c.blockSecondFactorOnPINBlocked = true;
  Harness h(c);
  enrolWithBiometric(h);
  int sid = h.start(h.server.loginQr());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.enterPin(sid, "0000").ok());
  }
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::PIN_BLOCKED);
  int next = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(next).step, Step::Failed);  // no second factor can be entered any more
  EXPECT_EQ(h.session(next).error->code, ErrorCode::PIN_BLOCKED);
}

TEST(Biometric, WithoutTheBlockRuleTheBiometricOutlivesABlockedPin) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = h.start(h.server.loginQr());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.enterPin(sid, "0000").ok());
  }
  EXPECT_EQ(bioLogin(h), "SUCCESS");
}
