// App-to-app logins: a link's return URL, checked against the origins the server signs into its
// start response, and the `return` event once the session is over (or logged in).
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

const std::string kReturn = "?return=https%3A%2F%2Frp.example%2Fdone%3Fcart%3D7";

int startLink(Harness& h, const Bytes& qr, const std::string& query = kReturn) {
  auto r = h.engine->startSessionFromLink("tapgate:" + base64url(qr) + query, h.now);
  h.pump();
  return r.session;
}

// Past the confirmation (if the engine asks for one) to the PIN prompt.
void toPrompt(Harness& h, int sid) {
  if (h.session(sid).step == Step::Confirming) {
    ASSERT_TRUE(h.confirm(sid, h.session(sid).candidates.front()).ok());
  }
  ASSERT_EQ(h.session(sid).step, Step::SecondFactor);
}

int returnEvents(const Harness& h, int sid) {
  int n = 0;
  for (const auto& e : h.events) n += e.session == sid && e.name == "return";
  return n;
}

}  // namespace

TEST(ReturnUrl, ApprovedLoginReturnsWithItsOutcomeOnceItIsOver) {
  Harness h;
  h.server.returnOrigins = {"https://other.example", "https://rp.example"};
  h.enrol("1234");
  int sid = startLink(h, h.server.loginQr());
  toPrompt(h, sid);
  EXPECT_EQ(returnEvents(h, sid), 0);  // never before the end
  EXPECT_TRUE(h.engine->sessionJson(sid)["returnUrl"].is_null());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.session(sid).history, HistoryStatus::LoggedInOneShot);
  ASSERT_EQ(returnEvents(h, sid), 1);
  const Output* ret = h.lastEvent(sid, "return");
  EXPECT_EQ(ret->detail["url"], "https://rp.example/done?cart=7&tapgate_status=approved");
  EXPECT_EQ(ret->detail["outcome"], "approved");
  EXPECT_EQ(h.engine->sessionJson(sid)["returnUrl"], "https://rp.example/done?cart=7&tapgate_status=approved");
  // The last event, after stop and login: the app has the session's end before it leaves.
  EXPECT_EQ(h.eventNames(sid).back(), "return");
}

TEST(ReturnUrl, ContinuousLoginReturnsWhenLoggedInAndOnlyOnce) {
  Harness h;
  h.server.returnOrigins = {"https://rp.example"};
  h.server.pingTime = 60;
  h.enrol("1234");
  int sid = startLink(h, h.server.loginQr());
  toPrompt(h, sid);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  ASSERT_EQ(h.session(sid).step, Step::Active);
  EXPECT_EQ(h.lastEvent(sid, "return")->detail["outcome"], "approved");
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(returnEvents(h, sid), 1);
}

TEST(ReturnUrl, CancelledLoginReturnsRejected) {
  Harness h;
  h.server.returnOrigins = {"https://rp.example"};
  h.enrol("1234");
  const Bytes qr = h.server.loginQr();
  int sid = startLink(h, qr, "?return=https://rp.example/done");
  toPrompt(h, sid);
  ASSERT_TRUE(h.engine->inputCancel(sid, h.now).ok());
  h.pump();
  EXPECT_EQ(h.session(sid).history, HistoryStatus::Aborted);
  EXPECT_EQ(h.lastEvent(sid, "return")->detail["url"], "https://rp.example/done?tapgate_status=rejected");
  EXPECT_EQ(h.lastEvent(sid, "return")->detail["outcome"], "rejected");
}

TEST(ReturnUrl, ForeignOriginIsRefusedAndTheSessionCancelled) {
  for (const std::string query : {"?return=https%3A%2F%2Fevil.example%2F", "?return=https%3A%2F%2Frp.example.evil.example%2F",
                                  "?return=http%3A%2F%2Frp.example%2F", "?return=https%3A%2F%2Frp.example%3A8443%2F"}) {
    Harness h;
    h.server.returnOrigins = {"https://rp.example"};
    h.enrol("1234");
    const Bytes qr = h.server.loginQr();
    int sid = startLink(h, qr, query);
    EXPECT_EQ(h.session(sid).step, Step::Failed) << query;
    ASSERT_TRUE(h.session(sid).error) << query;
    EXPECT_EQ(h.session(sid).error->code, ErrorCode::RETURN_URL_NOT_ALLOWED) << query;
    EXPECT_EQ(returnEvents(h, sid), 0) << query;
    EXPECT_TRUE(h.engine->sessionJson(sid)["returnUrl"].is_null());
    EXPECT_TRUE(h.server.sessionOf(qr).cancelled) << query;  // the server's session does not stay open
  }
}

TEST(ReturnUrl, NoRegisteredOriginsAllowsNoReturnUrl) {
  Harness h;
  h.enrol("1234");
  int sid = startLink(h, h.server.loginQr());
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::RETURN_URL_NOT_ALLOWED);
}

TEST(ReturnUrl, MalformedReturnUrlEndsTheSessionWithAParseError) {
  Harness h;
  h.enrol("1234");
  const std::size_t sent = h.sent.size();
  int sid = startLink(h, h.server.loginQr(), "?return=javascript%3Aalert(1)");
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::QR_PARSE_ERROR);
  EXPECT_EQ(h.sent.size(), sent);  // nothing was asked of the server
}

TEST(ReturnUrl, MalformedOriginListIsABadResponse) {
  Harness h;
  h.enrol("1234");
  h.server.returnOrigins = {"https://rp.example/path"};
  int sid = startLink(h, h.server.loginQr());
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::BAD_RESPONSE);
  EXPECT_EQ(returnEvents(h, sid), 0);
}

TEST(ReturnUrl, EnrolmentLinkReturnsApproved) {
  Harness h;
  h.server.returnOrigins = {"https://rp.example"};
  int sid = startLink(h, h.server.enrolQr());
  ASSERT_TRUE(h.confirm(sid).ok());
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(h.lastEvent(sid, "return")->detail["outcome"], "approved");
}

TEST(ReturnUrl, LinkWithoutReturnUrlEmitsNoReturn) {
  Harness h;
  h.enrol("1234");
  int sid = startLink(h, h.server.loginQr(), "");
  toPrompt(h, sid);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  EXPECT_EQ(returnEvents(h, sid), 0);
}
