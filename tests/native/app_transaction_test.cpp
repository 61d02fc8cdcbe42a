// Transactions the app starts (docs/protocol.md §5.12): the required second factor on both ends,
// the account key over exactly the app's clientAdditionalData, bad arguments as typed errors.
#include <gtest/gtest.h>

#include "limits.hpp"
#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;
using tapgate::test::bioConfig;
using tapgate::test::kFinger;

namespace {

AccountRef only(Harness& h) { return {h.server.id, h.session(1).chosen->accountId}; }

int startTx(Harness& h, const std::string& data, wire::RequiredFactor factor) {
  auto r = h.engine->startTransaction(only(h), data, factor, h.now);
  EXPECT_FALSE(r.error) << (r.error ? r.error->message : "");
  h.pump();
  return r.session;
}

// The first enrolment, with the biometric beside the PIN.
void enrolWithBiometric(Harness& h) {
  int sid = h.start(h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  ASSERT_TRUE(h.engine->setPinBiometric(sid, "1234", h.now, kFinger).ok());
  h.pump();
}

}  // namespace

TEST(AppTransaction, PinRequiredGoesStraightToThePinAndSignsTheData) {
  Harness h;
  h.enrol("1234");
  int sid = startTx(h, R"({"order":42})", wire::RequiredFactor::Pin);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"PIN"}));
  EXPECT_EQ(h.engine->sessionJson(sid)["transaction"]["clientAdditionalData"], R"({"order":42})");
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  auto& s = h.server.sessionOf(h.server.lastAppTransactionQr);
  EXPECT_TRUE(crypto::verify(h.server.accounts.at(only(h).accountId).pk,
                             wire::transactionSigningInput("T-1", s.transactionRpSession, R"({"order":42})"), s.transactionSig));
}

TEST(AppTransaction, NeverSkipsTheSecondFactorEvenWithinPinTransTimeout) {
  Harness h;
  h.server.pinTransTimeout = 60;
  h.enrol("1234");
  int sid = startTx(h, "x", wire::RequiredFactor::Any);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(AppTransaction, PinRequiredRefusesTheBiometricOnTheDevice) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = startTx(h, "x", wire::RequiredFactor::Pin);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"PIN"}));
  auto st = h.engine->setPinBiometric(sid, "", h.now, kFinger);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);  // nothing changed: the PIN may still come
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).step, Step::Done);
}

TEST(AppTransaction, BiometricRequiredOffersOnlyTheBiometricAndRefusesThePin) {
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = startTx(h, "x", wire::RequiredFactor::Biometric);
  EXPECT_EQ(h.lastEvent(sid, "secondfactor")->detail["allowed"], json::array({"BIOMETRIC"}));
  auto st = h.engine->setPinBiometric(sid, "1234", h.now);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::INVALID_ARGUMENT);
  ASSERT_TRUE(h.engine->setPinBiometric(sid, "", h.now, kFinger).ok());
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Done);
  EXPECT_EQ(h.server.weakerFactorsRefused, 0);
}

TEST(AppTransaction, BiometricRequiredWithoutABiometricEndsInErrorAtOnce) {
  Harness h;
  h.enrol("1234");
  auto r = h.engine->startTransaction(only(h), "x", wire::RequiredFactor::Biometric, h.now);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.session(r.session).step, Step::Failed);
  for (const auto& o : h.sent) EXPECT_EQ(o.url.find("/v1/transaction"), std::string::npos);  // nothing sent
}

TEST(AppTransaction, OversizedDataAndUnknownAccountsAreTypedErrors) {
  Harness h;
  h.enrol("1234");
  auto big = h.engine->startTransaction(only(h), std::string(limits::kMaxClientAdditionalDataBytes + 1, 'a'), wire::RequiredFactor::Any, h.now);
  ASSERT_TRUE(big.error);
  EXPECT_EQ(big.error->code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.session(big.session).step, Step::Failed);
  auto unknown = h.engine->startTransaction({h.server.id, 999}, "x", wire::RequiredFactor::Any, h.now);
  ASSERT_TRUE(unknown.error);
  EXPECT_EQ(unknown.error->code, ErrorCode::UNKNOWN_ACCOUNT);
  // At the limit it goes through.
  int sid = startTx(h, std::string(limits::kMaxClientAdditionalDataBytes, 'a'), wire::RequiredFactor::Any);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(AppTransaction, AServerThatRewritesTheDataGetsNoSignature) {
  Harness h;
  h.enrol("1234");
  h.server.rewriteClientData = true;
  auto r = h.engine->startTransaction(only(h), "pay 5", wire::RequiredFactor::Pin, h.now);
  h.pump();
  EXPECT_EQ(h.session(r.session).step, Step::Failed);
  EXPECT_EQ(h.session(r.session).error->code, ErrorCode::BAD_RESPONSE);
}

TEST(AppTransaction, TheServerRefusesAProofOfAnotherFactor) {
  // A device that ignores the requirement (here: the rule bypassed by asking for ANY on the device
  // while the server recorded PIN) gets SECOND_FACTOR_REQUIRED and is asked again.
  Harness h(bioConfig());
  enrolWithBiometric(h);
  int sid = startTx(h, "x", wire::RequiredFactor::Any);
  h.server.sessionOf(h.server.lastAppTransactionQr).requiredFactor = "PIN";
  ASSERT_TRUE(h.engine->setPinBiometric(sid, "", h.now, kFinger).ok());
  h.pump();
  EXPECT_EQ(h.server.weakerFactorsRefused, 1);
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
}

TEST(AppTransaction, StoppedBeforeTheFactorIsAbortedAndCancelledAtTheServer) {
  Harness h;
  h.enrol("1234");
  int sid = startTx(h, "x", wire::RequiredFactor::Pin);
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
  EXPECT_TRUE(h.server.sessionOf(h.server.lastAppTransactionQr).cancelled);
  int transactions = 0;
  for (const auto& item : h.engine->historyJson(h.now)) transactions += item["kind"] == "transaction";
  EXPECT_EQ(transactions, 1);
}
