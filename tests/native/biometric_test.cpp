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

TEST(Biometric, AnotherSecretIsABiometricFailAndThePinStillWorks) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.engine->setPinBiometric(sid, "", h.now, SecretBytes(Bytes(32, 0x01))).ok());
  h.pump();
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "BIOMETRIC_FAIL");
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
}

TEST(Biometric, ProviderRefusalIsReportedAsAnotherPrompt) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.engine->reportBiometricFailure(sid).ok());
  h.pump();
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["result"], "BIOMETRIC_FAIL");
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
