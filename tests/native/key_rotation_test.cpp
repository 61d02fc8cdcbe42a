// Server signing-key rotation (docs/protocol.md §3, §6.1 `rekey`): during the overlap the device
// accepts `sigPrev` by the key it pinned; a valid rekey message replaces the pinned key (persisted,
// `serverkey` event); a forged one, or one signed by the wrong key, changes nothing.
#include <gtest/gtest.h>

#include "sim_server.hpp"

using namespace tapgate;
using tapgate::test::Harness;

namespace {

// A one-shot login with the right PIN; the step it ends in.
Step login(Harness& h) {
  const int sid = h.start(h.server.loginQr());
  if (h.session(sid).step == Step::SecondFactor) {
    EXPECT_TRUE(h.enterPin(sid, "1234").ok());
  }
  return h.session(sid).step;
}

const Bytes& pinnedKey(Harness& h) { return h.engine->state().servers.at(0).publicKey; }

}  // namespace

TEST(KeyRotation, DuringTheOverlapTheOldKeysSigPrevIsAccepted) {
  Harness h;
  h.enrol("1234");
  const Bytes old = h.server.key.publicKey;
  h.server.rotateKey();
  EXPECT_EQ(login(h), Step::Done);  // `sig` is by a key the device does not know; `sigPrev` verifies
  EXPECT_EQ(pinnedKey(h), old);
}

TEST(KeyRotation, ARekeyMessageReplacesThePinnedKeyPersistedAndAnnounced) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.rotateKey();
  h.persisted.clear();
  auto r = h.engine->processPush(h.server.rekeyMessage(aid), h.now);
  ASSERT_TRUE(r.ok()) << r.error().message;
  h.pump();
  EXPECT_EQ(pinnedKey(h), h.server.key.publicKey);
  const Output* ev = h.lastEvent(0, "serverkey");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->detail["publicKey"], base64url(h.server.key.publicKey));
  EXPECT_EQ(ev->detail["serverId"], base64url(h.server.id));
  // Persisted: an engine made from the saved state has the new key.
  ASSERT_FALSE(h.persisted.empty());
  auto reloaded = parseState(h.persisted.back().body);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded.value().servers.at(0).publicKey, h.server.key.publicKey);
  // After retirement only the new key signs, and the device knows it.
  h.server.retireKey();
  EXPECT_EQ(login(h), Step::Done);
}

TEST(KeyRotation, AfterRetirementADeviceThatMissedTheRekeyFailsWithASecurityError) {
  Harness h;
  h.enrol("1234");
  h.server.rotateKey();
  h.server.retireKey();
  const int sid = h.start(h.server.loginQr());
  EXPECT_EQ(h.session(sid).step, Step::Failed);
  ASSERT_TRUE(h.session(sid).error);
  EXPECT_EQ(h.session(sid).error->code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
}

TEST(KeyRotation, AForgedRekeyIsRefused) {
  // An attacker's key announcing itself: it proves possession, but the pinned key never signed it.
  Harness h;
  const auto aid = h.enrol("1234");
  const Bytes pinned = pinnedKey(h);
  h.server.key = crypto::signKeyPair();  // not a rotation: the pinned key is not `previous`
  auto r = h.engine->processPush(h.server.rekeyMessage(aid), h.now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
  EXPECT_EQ(errorKind(r.error().code), ErrorKind::Security);
  EXPECT_EQ(pinnedKey(h), pinned);
  EXPECT_EQ(h.lastEvent(0, "serverkey"), nullptr);
}

TEST(KeyRotation, ARekeyWhoseNewKeyDidNotSignItIsRefused) {
  // Signed by the pinned key (as `sig` and `sigPrev`), naming a key whose holder never signed:
  // a server (or a stolen old key) cannot make the device pin a key without its secret.
  Harness h;
  const auto aid = h.enrol("1234");
  const Bytes pinned = pinnedKey(h);
  const auto other = crypto::signKeyPair();
  auto r = h.engine->processPush(h.server.message(aid, {{"kind", "rekey"}, {"pk", base64url(other.publicKey)}}), h.now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
  EXPECT_EQ(pinnedKey(h), pinned);
}

TEST(KeyRotation, ARekeySignedByTheWrongKeyIsRefused) {
  // The message signed by an unrelated key only (as sig and as sigPrev), naming that key.
  Harness h;
  const auto aid = h.enrol("1234");
  const Bytes pinned = pinnedKey(h);
  h.server.previous = crypto::signKeyPair();
  h.server.key = crypto::signKeyPair();
  auto r = h.engine->processPush(h.server.rekeyMessage(aid), h.now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::SERVER_AUTHENTICATION_ERROR);
  EXPECT_EQ(pinnedKey(h), pinned);
}

TEST(KeyRotation, APulledRekeyWorksLikeAPushedOne) {
  Harness h;
  const auto aid = h.enrol("1234");
  h.server.rotateKey();
  h.server.rekeyMessage(aid);  // kept in the outbox
  h.engine->retrieveMessages();
  h.pump();
  EXPECT_EQ(pinnedKey(h), h.server.key.publicKey);
  h.server.retireKey();
  EXPECT_EQ(login(h), Step::Done);
}
