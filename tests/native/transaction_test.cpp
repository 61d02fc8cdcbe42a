// Transactions (read, confirm, always a second factor, signed) and code matching.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

const std::string kTransfer = R"({"amount":"EUR 120.00","beneficiary":"BE71 0961 2345 6769","description":"Rent May"})";

}  // namespace

TEST(Transaction, IsShownConfirmedAndSignedWithTheSecondFactorAlways) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = 60;  // would skip the PIN for a plain login
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).transactionText = kTransfer;
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Confirming);  // one candidate, yet the user reads and confirms
  const Output* confirm = h.lastEvent(sid, "confirmlogin");
  EXPECT_EQ(confirm->detail["transaction"]["amount"], "EUR 120.00");
  EXPECT_EQ(confirm->detail["transaction"]["beneficiary"], "BE71 0961 2345 6769");
  ASSERT_TRUE(h.confirm(sid, AccountRef{h.server.id, aid}).ok());
  EXPECT_EQ(h.session(sid).step, Step::SecondFactor);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  const Bytes& sig = h.server.sessionOf(qr).transactionSig;
  const Bytes rpSession = h.server.sessionOf(qr).transactionRpSession;
  EXPECT_TRUE(crypto::verify(h.server.accounts.at(aid).pk, wire::transactionSigningInput("T-1", rpSession, kTransfer), sig));
  // The signature names this transaction and this relying-party session: it verifies for no other.
  EXPECT_FALSE(crypto::verify(h.server.accounts.at(aid).pk, wire::transactionSigningInput("T-2", rpSession, kTransfer), sig));
  EXPECT_FALSE(crypto::verify(h.server.accounts.at(aid).pk, wire::transactionSigningInput("T-1", Bytes(32, 1), kTransfer), sig));
}

TEST(Transaction, WithoutItsRelyingPartySessionIsABadResponse) {
  Harness h;
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).transactionText = kTransfer;
  h.server.sessionOf(qr).transactionRpSession = Bytes(31, 1);  // not a 32-byte binding
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::BAD_RESPONSE);
}

TEST(Transaction, MalformedDetailsEndTheSession) {
  Harness h;
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).transactionText = R"({"amount":"EUR 1"})";
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::BAD_RESPONSE);
}

TEST(CodeMatching, TheRightCodeContinues) {
  Harness h;
  const auto aid = h.enrol("1234");
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).matchCode = "42";
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  EXPECT_EQ(h.lastEvent(sid, "confirmlogin")->detail["codeLength"], 2);
  EXPECT_FALSE(h.lastEvent(sid, "confirmlogin")->detail.contains("codeChoices"));  // typed, not picked
  for (const char* malformed : {"", "4", "421", "4a", " 42"}) {
    EXPECT_EQ(h.engine->setAccount(sid, AccountRef{h.server.id, aid}, "", h.now, malformed).error().code,
              ErrorCode::INVALID_ARGUMENT);  // not a 2-digit code: misuse, nothing changes, no try spent
  }
  EXPECT_EQ(h.session(sid).step, Step::Confirming);
  ASSERT_TRUE(h.engine->setAccount(sid, AccountRef{h.server.id, aid}, "", h.now, "42").ok());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
}

TEST(CodeMatching, AShortCodeLengthIsABadResponse) {
  Harness h;
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).matchCode = "7";  // one digit: a guess would win one time in ten
  int sid = h.start(qr);
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::BAD_RESPONSE);
}

TEST(CodeMatching, AWrongPickEndsTheSessionAndTellsTheServer) {
  Harness h;
  const auto aid = h.enrol("1234");
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).matchCode = "42";
  int sid = h.start(qr);
  ASSERT_TRUE(h.engine->setAccount(sid, AccountRef{h.server.id, aid}, "", h.now, "11").ok());
  h.pump();
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::CODE_MISMATCH);
  EXPECT_TRUE(h.server.sessionOf(qr).cancelled);
  EXPECT_FALSE(h.server.sessionOf(qr).loggedIn);
}
