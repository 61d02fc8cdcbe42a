// embind surface of the engine. Type conversion only: Uint8Array/strings in, JSON text out.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "api.hpp"

using emscripten::class_;

namespace {
emscripten::val stateView(tapgate::EngineApi& api) {
  const std::string& s = api.state();
  return emscripten::val(emscripten::typed_memory_view(s.size(), reinterpret_cast<const unsigned char*>(s.data())));
}
}  // namespace

EMSCRIPTEN_BINDINGS(tapgate_engine) {
  class_<tapgate::EngineApi>("Engine")
      .constructor<>()
      .function("open", &tapgate::EngineApi::open)
      // std::string parameters accept a Uint8Array byte for byte (binary-safe in this direction).
      .function("startSession", &tapgate::EngineApi::startSession)
      .function("startSessionFromLink", &tapgate::EngineApi::startSessionFromLink)
      .function("startAppLogin", &tapgate::EngineApi::startAppLogin)
      .function("startTransaction", &tapgate::EngineApi::startTransaction)
      .function("noteUserActivity", &tapgate::EngineApi::noteUserActivity)
      .function("startUserInteraction", &tapgate::EngineApi::startUserInteraction)
      .function("setAccount", &tapgate::EngineApi::setAccount)
      .function("setPinBiometric", &tapgate::EngineApi::setPinBiometric)
      .function("reportBiometricFailure", &tapgate::EngineApi::reportBiometricFailure)
      .function("inputCancel", &tapgate::EngineApi::inputCancel)
      .function("stopSession", &tapgate::EngineApi::stopSession)
      .function("processPush", &tapgate::EngineApi::processPush)
      .function("processPushText", &tapgate::EngineApi::processPushText)
      .function("retrieveMessages", &tapgate::EngineApi::retrieveMessages)
      .function("updatePushToken", &tapgate::EngineApi::updatePushToken)
      .function("deleteAccount", &tapgate::EngineApi::deleteAccount)
      .function("changePin", &tapgate::EngineApi::changePin)
      .function("addBiometric", &tapgate::EngineApi::addBiometric)
      .function("removeBiometric", &tapgate::EngineApi::removeBiometric)
      .function("onResponse", &tapgate::EngineApi::onResponse)
      .function("onNetworkError", &tapgate::EngineApi::onNetworkError)
      .function("onTimer", &tapgate::EngineApi::onTimer)
      .function("takeOutputs", &tapgate::EngineApi::takeOutputs)
      // A Uint8Array over the blob in wasm memory, valid until the next call: decode it at once.
      .function("state", &stateView)
      .function("session", &tapgate::EngineApi::session)
      .function("accounts", &tapgate::EngineApi::accounts)
      .function("history", &tapgate::EngineApi::history);
}
