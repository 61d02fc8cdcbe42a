// The session state machine as one declarative table (DESIGN.md §4). Every input a session can
// receive is listed with the steps it may lead to; anything not listed is misuse and changes nothing.
#pragma once
#include <cstdint>
#include <initializer_list>

namespace tapgate {

// Internal steps. Each maps onto one public state (+ pseudo-state).
enum class Step : std::uint8_t {
  Starting,        // STARTING: waiting for the signed start response
  Confirming,      // USER_INTERACTION / WAIT_FOR_CONFIRMATION
  SecondFactor,    // USER_INTERACTION / WAIT_FOR_SECOND_FACTOR, waiting for the user
  Verifying,       // USER_INTERACTION / WAIT_FOR_SECOND_FACTOR, proof sent, waiting for the server
  Active,          // ACTIVE: continuous login
  Done,            // DONE (final)
  Failed,          // ERROR (final)
};

enum class Input : std::uint8_t {
  StartResponse,    // signed start response arrived and parsed
  SetAccount,       // app confirmed (login: chose an account; enrol: accepted)
  SetPinBiometric,  // app supplied the second factor
  InputCancel,      // app dismissed the second-factor prompt
  StopSession,      // app stopped the session
  VerifyResponse,   // signed verdict on the second factor arrived
  Fault,            // network error, server error or a response that failed verification
  Timeout,          // sessionTimeout expired
  KeepAlive,        // ACTIVE: time to prove liveness again (or it was lost for a whole pingTime)
  KeepAliveResponse,// ACTIVE: the server's signed answer to a ping
  ServerLogout,     // ACTIVE: the server says the relying party or the server logged the session out
  AppLoginExpired,  // ACTIVE AppLogin: inactivity or absolute timeout
};

using StepSet = std::uint8_t;  // bit i set = Step(i) is a permitted target
constexpr StepSet steps(std::initializer_list<Step> list) {
  StepSet set = 0;
  for (Step s : list) set |= static_cast<StepSet>(1u << static_cast<unsigned>(s));
  return set;
}

struct Transition {
  Step from;
  Input input;
  StepSet to;
};

// clang-format off
inline constexpr Transition kTransitions[] = {
  {Step::Starting,     Input::StartResponse,   steps({Step::Confirming, Step::SecondFactor, Step::Failed})},
  {Step::Starting,     Input::StopSession,     steps({Step::Done})},
  {Step::Starting,     Input::Fault,           steps({Step::Failed})},
  {Step::Starting,     Input::Timeout,         steps({Step::Done})},

  {Step::Confirming,   Input::SetAccount,      steps({Step::SecondFactor, Step::Verifying, Step::Failed})},
  {Step::Confirming,   Input::StopSession,     steps({Step::Done})},
  {Step::Confirming,   Input::Timeout,         steps({Step::Done})},

  {Step::SecondFactor, Input::SetPinBiometric, steps({Step::Verifying})},
  {Step::SecondFactor, Input::InputCancel,     steps({Step::Done})},
  {Step::SecondFactor, Input::StopSession,     steps({Step::Done})},
  {Step::SecondFactor, Input::Timeout,         steps({Step::Done})},

  {Step::Verifying,    Input::VerifyResponse,  steps({Step::Active, Step::Done, Step::SecondFactor, Step::Failed})},
  {Step::Verifying,    Input::StopSession,     steps({Step::Done})},
  {Step::Verifying,    Input::Fault,           steps({Step::Failed})},
  {Step::Verifying,    Input::Timeout,         steps({Step::Done})},

  {Step::Active,       Input::StopSession,     steps({Step::Done})},
  {Step::Active,       Input::KeepAlive,       steps({Step::Active, Step::Done})},
  {Step::Active,       Input::KeepAliveResponse, steps({Step::Active, Step::Done})},
  {Step::Active,       Input::ServerLogout,    steps({Step::Done})},
  {Step::Active,       Input::AppLoginExpired, steps({Step::Done})},
  {Step::Active,       Input::Fault,           steps({Step::Failed})},
};
// clang-format on

const Transition* findTransition(Step from, Input input);
bool allowsTarget(const Transition& t, Step to);

const char* stepStateName(Step s);         // STARTING | USER_INTERACTION | ACTIVE | DONE | ERROR
const char* stepPseudoStateName(Step s);   // WAIT_FOR_CONFIRMATION | WAIT_FOR_SECOND_FACTOR | NONE
const char* inputName(Input i);
bool isFinal(Step s);

}  // namespace tapgate
