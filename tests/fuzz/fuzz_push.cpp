// Engine::processPush: the whole push path (docs/protocol.md §6.1) of an app holding two real
// accounts — the sealed-box open with each account's box key, wire::openServerMessage (signed
// envelope, then the message body) and the message's effect. Input: one selector byte, then bytes.
//   selector bits 0-1: 0 = the bytes are the push payload as delivered (an attacker's bytes);
//                      1 = the bytes are a message *body* the harness signs with the server key and
//                          seals to an account, so the fuzzer gets past the crypto to the parser and
//                          to every message kind;
//                      2 = the bytes are a signed-envelope *text* the harness seals to an account
//                          (an attacker who can seal, but not sign);
//   selector bit 2:    which account the harness seals to (7 or 8);
//   selector bits 3-5: the device clock; bits 6-7: the server's stored clock offset (both include
//                      the extremes of int64).
// Properties: no crash, no escaping exception, events serialise; nothing acts without the server's
// signature and a box key of this app; a validly signed and sealed message is never an
// authentication error; a refused message (PUSH_REJECTED, PUSH_EXPIRED, PUSH_REPLAYED,
// SERVER_AUTHENTICATION_ERROR) changes no state and produces no output; delivering the same payload
// again is PUSH_REPLAYED once the first was accepted (PUSH_REJECTED once it deleted its account),
// and changes nothing.
#include <memory>

#include "engine.hpp"
#include "fuzz_common.hpp"

using namespace tapgate;

namespace {

constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kClocks[8] = {fuzz::kPushNow, fuzz::kPushNow + 11 * 60 * 1000, fuzz::kPushNow - kHour,
                                     fuzz::kPushNow + 5 * kHour, 0, -1, INT64_MIN, INT64_MAX};
constexpr std::int64_t kOffsets[4] = {0, -5 * kHour, INT64_MIN, INT64_MAX};

const fuzz::PushFixture& app(int offset) {
  static const std::unique_ptr<fuzz::PushFixture> apps[4] = {
      std::make_unique<fuzz::PushFixture>(kOffsets[0]), std::make_unique<fuzz::PushFixture>(kOffsets[1]),
      std::make_unique<fuzz::PushFixture>(kOffsets[2]), std::make_unique<fuzz::PushFixture>(kOffsets[3])};
  return *apps[offset];
}

bool refused(ErrorCode c) {
  return c == ErrorCode::PUSH_REJECTED || c == ErrorCode::PUSH_EXPIRED || c == ErrorCode::PUSH_REPLAYED ||
         c == ErrorCode::SERVER_AUTHENTICATION_ERROR;
}

// Whether some account of the app can open the payload and the server's signature verifies.
bool authentic(const fuzz::PushFixture& p, const Bytes& payload) {
  for (const auto& box : p.box) {
    auto opened = crypto::boxSealOpen(payload, box.publicKey, box.secretKey);
    if (opened && wire::openServerMessage(*opened, fuzz::fixture().server.publicKey)) return true;
  }
  return false;
}

void drain(Engine& e) {
  for (const auto& o : e.takeOutputs()) {
    if (o.kind == Output::Kind::Event) (void)o.detail.dump();
  }
}

bool validUtf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] & 3;
  if (mode == 3) return 0;
  const int account = (data[0] >> 2) & 1;
  const std::int64_t now = kClocks[(data[0] >> 3) & 7];
  const fuzz::PushFixture& p = app(data[0] >> 6);
  const std::string text = fuzz::text(data + 1, size - 1);

  Bytes payload;
  if (mode == 0) {
    payload = toBytes(text);
  } else if (mode == 1) {
    if (!validUtf8(text)) return 0;  // a JSON envelope carries only valid UTF-8 (the server's JSON.stringify)
    payload = fuzz::sealMessage(p, account, text);
  } else {
    payload = crypto::boxSeal(toBytes(text), p.box[account].publicKey);
  }

  auto created = Engine::create(Config{}, p.state);
  FUZZ_CHECK(created.ok());
  Engine& engine = *created.value();
  drain(engine);
  const std::string before = serializeState(engine.state());

  auto first = engine.processPush(payload, now);
  if (first) FUZZ_CHECK(authentic(p, payload));
  if (mode == 1 && !first) {
    FUZZ_CHECK(first.error().code != ErrorCode::SERVER_AUTHENTICATION_ERROR);
    FUZZ_CHECK(first.error().code != ErrorCode::PUSH_REPLAYED);  // the first delivery is no replay
  }
  if (!first && refused(first.error().code)) {
    FUZZ_CHECK(serializeState(engine.state()) == before);
    FUZZ_CHECK(engine.takeOutputs().empty());
  }
  drain(engine);

  // The same payload again: a replay once accepted; the same refusal otherwise. Either way nothing changes.
  const std::string after = serializeState(engine.state());
  auto again = engine.processPush(payload, now);
  FUZZ_CHECK(!again.ok());
  // (After a `delete` the account and its box key are gone: the payload then opens for nobody.)
  if (first) {
    FUZZ_CHECK(again.error().code == ErrorCode::PUSH_REPLAYED ||
               (again.error().code == ErrorCode::PUSH_REJECTED && engine.state().accounts.size() < 2));
  }
  if (!first && refused(first.error().code)) FUZZ_CHECK(again.error().code == first.error().code);
  if (refused(again.error().code)) {
    FUZZ_CHECK(serializeState(engine.state()) == after);
    FUZZ_CHECK(engine.takeOutputs().empty());
  }
  drain(engine);
  return 0;
}
