// What keeps captured device requests from being used again (protocol §5.4, §5.5, §5.9, §6.3):
// cancel and logout prove themselves over the session's T1; AppLogin and the push token carry the
// server's time as the device estimates it and a fresh nonce under the account signature.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

const Output* lastSent(const Harness& h, const std::string& path) {
  for (auto it = h.sent.rbegin(); it != h.sent.rend(); ++it) {
    if (it->url.size() >= path.size() && it->url.compare(it->url.size() - path.size(), path.size(), path) == 0) return &*it;
  }
  return nullptr;
}

}  // namespace

TEST(Replay, ACancelProvesTheSessionsT1) {
  Harness h;
  h.enrol("1234");
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  const Bytes t1 = h.session(sid).t1;
  EXPECT_EQ(t1, h.server.sessionOf(qr).t1);
  ASSERT_TRUE(h.stop(sid).ok());
  const Output* cancel = lastSent(h, "/v1/cancel");
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(nlohmann::json::parse(cancel->body)["proof"], base64url(wire::cancelProof(t1)));
  EXPECT_TRUE(h.server.sessionOf(qr).cancelled);
  EXPECT_EQ(h.server.refusedCancels, 0);
}

TEST(Replay, ASessionTheServerNeverStartedSendsNoCancel) {
  Harness h;
  h.enrol("1234");
  h.deliver = false;  // the start answer never comes
  int sid = h.start(h.server.loginQr());
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_EQ(lastSent(h, "/v1/cancel"), nullptr);
}

TEST(Replay, ALogoutIsSignedOverT1AndAnotherSessionsT1DoesNotVerify) {
  Harness h;
  h.enrol("1234");
  h.server.pingTime = 60;
  Bytes qr = h.server.loginQr();
  int sid = h.start(qr);
  ASSERT_TRUE(h.enterPin(sid, "1234").ok());
  ASSERT_EQ(h.session(sid).step, Step::Active);
  ASSERT_TRUE(h.stop(sid).ok());
  EXPECT_FALSE(h.server.sessionOf(qr).loggedIn);
  EXPECT_EQ(h.server.refusedLogouts, 0);
  const Output* logout = lastSent(h, "/v1/logout");
  ASSERT_NE(logout, nullptr);
  const Bytes sig = *fromBase64url(nlohmann::json::parse(logout->body)["sigAccount"].get<std::string>());
  const Bytes pk = h.server.accounts.at(1).pk;
  EXPECT_TRUE(crypto::verify(pk, wire::logoutProofMessage(h.server.sessionOf(qr).t1), sig));
  EXPECT_FALSE(crypto::verify(pk, wire::logoutProofMessage(crypto::randomBytes(32)), sig));
}

TEST(Replay, AppLoginAndPushTokenCarryTheServersTimeAndAFreshNonce) {
  Harness h;
  h.server.time = 1'800'000'000'000;  // the server's clock is far from the device's
  h.enrol("1234");
  h.server.pingTime = 300;
  h.now += 1000;
  h.engine->startAppLogin(h.now);
  h.pump();
  EXPECT_EQ(h.server.lastRequestTime, h.server.time + 1000);  // device clock + the offset the enrolment measured
  h.engine->updatePushToken("token-1", h.now);
  h.pump();
  const std::string firstNonce = nlohmann::json::parse(lastSent(h, "/v1/pushtoken")->body)["nonce"];
  h.engine->updatePushToken("token-1", h.now);
  h.pump();
  const auto second = nlohmann::json::parse(lastSent(h, "/v1/pushtoken")->body);
  EXPECT_EQ(second["time"], h.server.time);  // the AppLogin answer measured the offset again, at h.now
  EXPECT_NE(second["nonce"], firstNonce);
  EXPECT_EQ(h.server.accounts.at(1).pushToken, "token-1");  // the signature covers time, nonce and token
}

TEST(Replay, AnUnsignedForbiddenIsTheAccountProofNotAccepted) {
  const auto t = wire::Transcript::begin({});
  const auto refused = wire::openResponse(crypto::randomBytes(32), t, "{}", 403, R"({"error":"the account proof is not accepted"})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::SERVER_AUTHENTICATION_FAILED);
  EXPECT_EQ(wire::parsePinChallenge(403, "{}").error().code, ErrorCode::SERVER_AUTHENTICATION_FAILED);
  EXPECT_EQ(wire::parsePinChallenge(404, R"({"error":"unknown challenge"})").error().code, ErrorCode::SERVER_UNKNOWN_ERROR);
  EXPECT_EQ(wire::parsePinChallenge(200, R"({"challenge":"AAAA"})").error().code, ErrorCode::BAD_RESPONSE);
  EXPECT_TRUE(wire::parsePinChallenge(200, R"({"challenge":")" + base64url(Bytes(32, 7)) + R"("})"));
}
