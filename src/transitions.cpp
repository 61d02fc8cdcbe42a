#include "transitions.hpp"

namespace tapgate {

const Transition* findTransition(Step from, Input input) {
  for (const auto& t : kTransitions) {
    if (t.from == from && t.input == input) return &t;
  }
  return nullptr;
}

const char* stepStateName(Step s) {
  switch (s) {
    case Step::Starting: return "STARTING";
    case Step::Ready: return "READY_FOR_USER_INTERACTION";
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
#define TAPGATE_INPUT_NAME(name, text) \
  case Input::name: return text;
    TAPGATE_INPUTS(TAPGATE_INPUT_NAME)
#undef TAPGATE_INPUT_NAME
  }
  return "?";
}

bool isFinal(Step s) { return s == Step::Done || s == Step::Failed; }

}  // namespace tapgate
