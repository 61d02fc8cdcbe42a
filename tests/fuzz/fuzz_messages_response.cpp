// wire::parseMessagesResponse and the pull path around it (docs/protocol.md §6.2). Input: one
// selector byte, then text.
//   selector bit 0 = 0: the text goes to parseMessagesResponse alone;
//   selector bit 0 = 1: the text is the body of the signed answer to a real retrieveMessages()
//                       request of an app with two accounts: the harness signs it over that
//                       request's transcript, so every entry goes through the engine's push path
//                       (seeds carry validly sealed messages).
// Properties: no crash, no escaping exception, events serialise; a list parses only if it is an
// object whose "messages" is an array of canonical base64url strings, one entry per string; the
// request ends ok exactly when the list parses, counting no more messages than it holds; pulling
// the same answer again processes nothing (all seen) and is still ok.
#include <memory>

#include "engine.hpp"
#include "fuzz_common.hpp"

using namespace tapgate;

namespace {

const fuzz::PushFixture& app() {
  static const fuzz::PushFixture p;
  return p;
}

// The requestdone event of `request` among the outputs (null when none).
json done(Engine& e, int request) {
  json found = nullptr;
  for (const auto& o : e.takeOutputs()) {
    if (o.kind != Output::Kind::Event) continue;
    (void)o.detail.dump();
    if (o.name == "requestdone" && o.detail.value("request", std::int64_t{-1}) == request) found = o.detail;
  }
  return found;
}

// Pulls once for the first account, answering with `body` signed as its server would.
json pull(Engine& e, const std::string& body) {
  const auto requests = e.retrieveMessages();
  FUZZ_CHECK(requests.size() == 2);
  std::string request;
  for (const auto& o : e.takeOutputs()) {
    if (o.kind == Output::Kind::Send && o.request == requests[0]) request = o.body;
  }
  const auto nonce = fromBase64url(nlohmann::json::parse(request)["nonce"].get<std::string>());
  FUZZ_CHECK(nonce && nonce->size() == 32);
  const std::string envelope = wire::sealResponse(fuzz::fixture().server.secretKey, wire::Transcript::begin(*nonce), request, body);
  e.onResponse(requests[0], 200, envelope, fuzz::kPushNow);
  json d = done(e, requests[0]);
  e.onNetworkError(requests[1], "not answered", fuzz::kPushNow);
  (void)done(e, requests[1]);
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text = fuzz::text(data + 1, size - 1);
  auto parsed = wire::parseMessagesResponse(text);
  if (parsed) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    FUZZ_CHECK(j.is_object() && j.contains("messages") && j["messages"].is_array());
    FUZZ_CHECK(j["messages"].size() == parsed->size());
    for (std::size_t i = 0; i < parsed->size(); ++i) {
      FUZZ_CHECK(j["messages"][i].is_string());
      FUZZ_CHECK(base64url(parsed.value()[i]) == j["messages"][i].get<std::string>());
    }
  } else {
    FUZZ_CHECK(parsed.error().code == ErrorCode::BAD_RESPONSE);
  }
  if (!(data[0] & 1)) return 0;

  try {
    (void)nlohmann::json(text).dump();  // a JSON envelope carries only valid UTF-8
  } catch (const nlohmann::json::type_error&) {
    return 0;
  }
  auto created = Engine::create(Config{}, app().state);
  FUZZ_CHECK(created.ok());
  Engine& engine = *created.value();
  (void)engine.takeOutputs();
  const json first = pull(engine, text);
  FUZZ_CHECK(first.is_object());
  FUZZ_CHECK(first["ok"].get<bool>() == parsed.ok());
  if (!parsed) return 0;
  FUZZ_CHECK(first["processed"].get<std::int64_t>() >= 0 &&
             first["processed"].get<std::size_t>() <= parsed->size());
  const json second = pull(engine, text);
  FUZZ_CHECK(second["ok"].get<bool>());
  FUZZ_CHECK(second["processed"].get<std::int64_t>() == 0);
  return 0;
}
