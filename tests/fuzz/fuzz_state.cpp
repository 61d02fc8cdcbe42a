// parseState: the persisted-state loader (src/model.*), on an arbitrary decrypted blob. Properties:
// no crash and no escaping exception (a bad blob is STATE_CORRUPT, never an empty app or a throw);
// whatever loads saves and loads again to the same state (serialise ∘ parse is idempotent).
#include "fuzz_common.hpp"
#include "model.hpp"

using namespace tapgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto st = parseState(fuzz::text(data, size));
  if (!st) {
    FUZZ_CHECK(st.error().code == ErrorCode::STATE_CORRUPT);
    return 0;
  }
  const std::string saved = serializeState(st.value());
  auto back = parseState(saved);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(serializeState(back.value()) == saved);
  for (const auto& a : back.value().accounts) {
    FUZZ_CHECK(a.signSecretKey.size() == 64 && a.boxSecretKey.size() == 32 && a.pinSalt.size() == 16);
    (void)accountJson(a, back.value()).dump();
  }
  for (const auto& h : back.value().history) (void)historyJson(h, back.value()).dump();
  return 0;
}
