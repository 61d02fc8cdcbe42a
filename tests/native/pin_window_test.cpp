// The server's PIN windows (§5.1): pinTimeout -1 (a login never asks again once a second factor
// was verified) and pinTransTimeout, the separate window of a transaction's approval.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

const std::string kTransfer = R"({"amount":"EUR 5.00","beneficiary":"BE71 0961 2345 6769","description":"Coffee"})";
constexpr std::int64_t kYear = 365LL * 24 * 60 * 60'000;

// A login the user confirms (the PIN entered only if asked); true if it was asked.
bool loginAsksPin(Harness& h, std::int64_t aid, const Bytes& qr) {
  const int sid = h.start(qr);
  if (h.session(sid).step == Step::Confirming) EXPECT_TRUE(h.confirm(sid, AccountRef{h.server.id, aid}).ok());
  const bool asked = h.session(sid).step == Step::SecondFactor;
  if (asked) EXPECT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  return asked;
}

Bytes transactionQr(Harness& h) {
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).transactionText = kTransfer;
  return qr;
}

}  // namespace

TEST(PinWindow, MinusOneNeverAsksAgainForLogins) {
  Harness h;
  const auto aid = h.enrol("1234");  // the enrolment verified the PIN
  h.server.pinTimeout = -1;
  h.now += kYear;
  h.server.time += kYear;
  EXPECT_FALSE(loginAsksPin(h, aid, h.server.loginQr()));
  EXPECT_EQ(h.session(h.start(h.server.loginQr())).step, Step::Confirming);  // still confirmed, not asked
}

TEST(PinWindow, MinusOneStillAsksForATransaction) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = -1;
  EXPECT_TRUE(loginAsksPin(h, aid, transactionQr(h)));  // pinTransTimeout 0: always
}

TEST(PinWindow, MinusOneStillAsksWhenTheSessionRequiresIt) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = -1;
  Bytes qr = h.server.loginQr();
  h.server.sessionOf(qr).requireSecondFactor = true;
  EXPECT_TRUE(loginAsksPin(h, aid, qr));
}

TEST(PinWindow, MinusOneStillAsksWhenTheSdkSaysAlways) {
  Config c = test::testConfig();
  c.alwaysRequireSecondFactor = true;
  Harness h(c);
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = -1;
  EXPECT_TRUE(loginAsksPin(h, aid, h.server.loginQr()));
}

TEST(PinWindow, TransactionsUseTheirOwnWindow) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = 0;        // logins always ask …
  h.server.pinTransTimeout = 10;  // … transactions within 10 minutes do not
  h.now += 5 * 60'000;
  h.server.time += 5 * 60'000;
  Bytes qr = transactionQr(h);
  EXPECT_FALSE(loginAsksPin(h, aid, qr));
  // Skipped, yet signed: the transaction signature is the account key's, not the PIN's.
  EXPECT_TRUE(crypto::verify(h.server.accounts.at(aid).pk,
                             wire::transactionSigningInput("T-1", h.server.sessionOf(qr).transactionRpSession, kTransfer),
                             h.server.sessionOf(qr).transactionSig));
  EXPECT_TRUE(loginAsksPin(h, aid, h.server.loginQr()));
  h.now += 11 * 60'000;
  h.server.time += 11 * 60'000;
  EXPECT_TRUE(loginAsksPin(h, aid, transactionQr(h)));  // the window closed
}

TEST(PinWindow, ATransactionWindowOfMinusOneIsABadResponse) {
  Harness h;
  h.enrol("1234");
  h.server.pinTransTimeout = -1;  // transactions have no "never ask"
  const int sid = h.start(h.server.loginQr());
  ASSERT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::BAD_RESPONSE);
}

TEST(PinWindow, BelowMinusOneIsABadResponse) {
  Harness h;
  h.enrol("1234");
  h.server.pinTimeout = -2;
  const int sid = h.start(h.server.loginQr());
  ASSERT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::BAD_RESPONSE);
}

TEST(PinWindow, BothWindowsSurviveARestart) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.pinTimeout = -1;
  h.server.pinTransTimeout = 30;
  loginAsksPin(h, aid, h.server.loginQr());  // the server's parameters are stored with the login
  auto state = parseState(serializeState(h.engine->state()));
  ASSERT_TRUE(state.ok());
  const ServerRecord* s = state.value().server(h.server.id);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->params.pinTimeout, -1);
  EXPECT_EQ(s->params.pinTransTimeout, 30);
}
