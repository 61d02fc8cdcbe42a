#include "transitions.hpp"

namespace tapgate {

const Transition* findTransition(Step from, Input input) {
  for (const auto& t : kTransitions) {
    if (t.from == from && t.input == input) return &t;
  }
  return nullptr;
}

bool allowsTarget(const Transition& t, Step to) {
  return (t.to & steps({to})) != 0;
}

const char* stepStateName(Step s) {
  switch (s) {
    case Step::Starting: return "STARTING";
    case Step::Confirming:
    case Step::SecondFactor:
    case Step::Verifying: return "USER_INTERACTION";
    case Step::Active: return "ACTIVE";
    case Step::Done: return "DONE";
    case Step::Failed: return "ERROR";
  }
  return "ERROR";
}

const char* stepPseudoStateName(Step s) {
  switch (s) {
    case Step::Confirming: return "WAIT_FOR_CONFIRMATION";
    case Step::SecondFactor:
    case Step::Verifying: return "WAIT_FOR_SECOND_FACTOR";
    default: return "NONE";
  }
}

const char* inputName(Input i) {
  switch (i) {
    case Input::StartResponse: return "startResponse";
    case Input::SetAccount: return "setAccount";
    case Input::SetPinBiometric: return "setPinBiometric";
    case Input::InputCancel: return "inputCancel";
    case Input::StopSession: return "stopSession";
    case Input::VerifyResponse: return "verifyResponse";
    case Input::Fault: return "fault";
    case Input::Timeout: return "timeout";
    case Input::KeepAlive: return "keepAlive";
    case Input::KeepAliveResponse: return "keepAliveResponse";
    case Input::ServerLogout: return "serverLogout";
    case Input::AppLoginExpired: return "appLoginExpired";
  }
  return "?";
}

bool isFinal(Step s) { return s == Step::Done || s == Step::Failed; }

}  // namespace tapgate
