// The session state machine as one declarative table (DESIGN.md §4). Each row names what an input
// does in a step: the one step it leads to, the history status the session then has, and what the
// device tells the server. Handlers only classify what happened into an input (their guards stay
// in code); Engine::applyTransition applies the row. An input with no row is misuse and changes
// nothing. docs/architecture.md draws this table (scripts/state-diagram.mjs).
#pragma once
#include <cstdint>

#include "history.hpp"

namespace tapgate {

// Internal steps. Each maps onto one public state (+ pseudo-state).
enum class Step : std::uint8_t {
  Starting,        // STARTING: waiting for the signed start response
  Ready,           // READY_FOR_USER_INTERACTION: started, held until the app calls startUserInteraction
  Confirming,      // USER_INTERACTION / WAIT_FOR_CONFIRMATION
  SecondFactor,    // USER_INTERACTION / WAIT_FOR_SECOND_FACTOR, waiting for the user
  Verifying,       // USER_INTERACTION / WAIT_FOR_SECOND_FACTOR, proof sent, waiting for the server
  Active,          // ACTIVE: continuous login
  Done,            // DONE (final)
  Failed,          // ERROR (final)
};

// What happened to a session, as its handler tells it apart: X(enumerator, name).
#define TAPGATE_INPUTS(X)                                                                                     \
  X(StartNeedsConfirmation, "startNeedsConfirmation") /* start response: an enrolment, or a login to confirm */ \
  X(StartPromptsFactor, "startPromptsFactor")         /* start response: one account, asked for the factor  */ \
  X(StartHeld, "startHeld")                           /* start response, manuallyStartUserInteraction: held  */ \
  X(InteractionNeedsConfirmation, "interactionNeedsConfirmation") /* startUserInteraction: to confirm         */ \
  X(InteractionPromptsFactor, "interactionPromptsFactor") /* startUserInteraction: asked for the factor      */ \
  X(ConfirmedPromptsFactor, "confirmedPromptsFactor") /* setAccount, the second factor is asked for          */ \
  X(ConfirmedSkipsFactor, "confirmedSkipsFactor")     /* setAccount within pinTimeout: the login is sent     */ \
  X(CodeMismatch, "codeMismatch")                     /* setAccount with a code not the login page's          */ \
  X(FactorBlocked, "factorBlocked")                   /* a prompt, but the PIN is blocked on the device      */ \
  X(FactorSupplied, "factorSupplied")                 /* setPinBiometric: the proof is sent                  */ \
  X(InputCancel, "inputCancel")                       /* the app dismissed the second-factor prompt          */ \
  X(InputTimeout, "inputTimeout")                     /* secondFactorUserInputTimeout expired                */ \
  X(VerifiedContinuous, "verifiedContinuous")         /* accepted, pingTime > 0: stays logged in            */ \
  X(VerifiedOneShot, "verifiedOneShot")               /* accepted, pingTime = 0: over at once              */ \
  X(FactorRejected, "factorRejected")                 /* PIN_FAIL, BIOMETRIC_FAIL, SECOND_FACTOR_REQUIRED     */ \
  X(PinBlocked, "pinBlocked")                         /* the server's verdict: PIN blocked                   */ \
  X(StopSession, "stopSession")                       /* the app stopped the session                         */ \
  X(SessionTimeout, "sessionTimeout")                 /* sessionTimeout expired                               */ \
  X(Fault, "fault")                                   /* network, server or verification failure             */ \
  X(AccountDeleted, "accountDeleted")                 /* the session's account was deleted                   */ \
  X(PingLost, "pingLost")                             /* no confirmation for a whole pingTime                */ \
  X(PingLoggedOut, "pingLoggedOut")                   /* the signed answer to a ping: LOGGED_OUT             */ \
  X(PingRefused, "pingRefused")                       /* a ping refused: SESSION_NOT_FOUND, 403              */ \
  X(ServerLogout, "serverLogout")                     /* a logout message from the server                    */ \
  X(AppLoginExpired, "appLoginExpired")               /* AppLogin: inactivity or absolute timeout            */ \
  X(ReturnRefused, "returnRefused")                   /* start response: the link's return URL not allowed  */

enum class Input : std::uint8_t {
#define TAPGATE_INPUT_ENUMERATOR(name, text) name,
  TAPGATE_INPUTS(TAPGATE_INPUT_ENUMERATOR)
#undef TAPGATE_INPUT_ENUMERATOR
};
#define TAPGATE_INPUT_COUNT(name, text) +1
inline constexpr int kInputCount = 0 TAPGATE_INPUTS(TAPGATE_INPUT_COUNT);
#undef TAPGATE_INPUT_COUNT

// What the device tells the server when a session ends, so the relying party sees it: a signed
// logout of a login, or the cancellation of a session the server started.
enum class Notice : std::uint8_t { None, Cancel, Logout };

struct Transition {
  Step from;
  Input input;
  Step to;
  HistoryStatus history;  // the session's status once there (NONE: not history yet)
  Notice notice;
};

// clang-format off
inline constexpr Transition kTransitions[] = {
  // The server has not started the session yet: nothing to cancel there.
  {Step::Starting,     Input::StartNeedsConfirmation, Step::Confirming,   HistoryStatus::None,            Notice::None},
  {Step::Starting,     Input::StartPromptsFactor,     Step::SecondFactor, HistoryStatus::None,            Notice::None},
  {Step::Starting,     Input::FactorBlocked,          Step::Failed,       HistoryStatus::Error,           Notice::None},
  {Step::Starting,     Input::StopSession,            Step::Done,         HistoryStatus::Aborted,         Notice::None},
  {Step::Starting,     Input::SessionTimeout,         Step::Done,         HistoryStatus::Aborted,         Notice::None},
  {Step::Starting,     Input::AccountDeleted,         Step::Done,         HistoryStatus::Aborted,         Notice::None},
  {Step::Starting,     Input::Fault,                  Step::Failed,       HistoryStatus::Error,           Notice::None},
  {Step::Starting,     Input::StartHeld,              Step::Ready,        HistoryStatus::None,            Notice::None},
  // An app-to-app link whose return URL the server does not allow: the started session is cancelled.
  {Step::Starting,     Input::ReturnRefused,          Step::Failed,       HistoryStatus::Error,           Notice::Cancel},

  // Held for the app (manuallyStartUserInteraction): the server has started the session, so an end
  // here cancels it there; the session timeout keeps running.
  {Step::Ready,        Input::InteractionNeedsConfirmation, Step::Confirming, HistoryStatus::None,        Notice::None},
  {Step::Ready,        Input::InteractionPromptsFactor, Step::SecondFactor, HistoryStatus::None,          Notice::None},
  {Step::Ready,        Input::FactorBlocked,          Step::Failed,       HistoryStatus::Error,           Notice::None},
  {Step::Ready,        Input::StopSession,            Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::Ready,        Input::SessionTimeout,         Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},

  {Step::Confirming,   Input::ConfirmedPromptsFactor, Step::SecondFactor, HistoryStatus::None,            Notice::None},
  {Step::Confirming,   Input::ConfirmedSkipsFactor,   Step::Verifying,    HistoryStatus::None,            Notice::None},
  {Step::Confirming,   Input::CodeMismatch,           Step::Failed,       HistoryStatus::Error,           Notice::Cancel},
  {Step::Confirming,   Input::FactorBlocked,          Step::Failed,       HistoryStatus::Error,           Notice::None},
  {Step::Confirming,   Input::StopSession,            Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::Confirming,   Input::SessionTimeout,         Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},

  {Step::SecondFactor, Input::FactorSupplied,         Step::Verifying,    HistoryStatus::None,            Notice::None},
  {Step::SecondFactor, Input::InputCancel,            Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::SecondFactor, Input::InputTimeout,           Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::SecondFactor, Input::StopSession,            Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::SecondFactor, Input::SessionTimeout,         Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::SecondFactor, Input::AccountDeleted,         Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},

  {Step::Verifying,    Input::VerifiedContinuous,     Step::Active,       HistoryStatus::LoggedIn,        Notice::None},
  {Step::Verifying,    Input::VerifiedOneShot,        Step::Done,         HistoryStatus::LoggedInOneShot, Notice::None},
  {Step::Verifying,    Input::FactorRejected,         Step::SecondFactor, HistoryStatus::None,            Notice::None},
  {Step::Verifying,    Input::FactorBlocked,          Step::Failed,       HistoryStatus::Error,           Notice::None},
  {Step::Verifying,    Input::PinBlocked,             Step::Failed,       HistoryStatus::Error,           Notice::None},
  {Step::Verifying,    Input::StopSession,            Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::Verifying,    Input::SessionTimeout,         Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::Verifying,    Input::AccountDeleted,         Step::Done,         HistoryStatus::Aborted,         Notice::Cancel},
  {Step::Verifying,    Input::Fault,                  Step::Failed,       HistoryStatus::Error,           Notice::None},

  // Logged in: the device's own ends log out at the server; the server's own need no notice.
  {Step::Active,       Input::StopSession,            Step::Done,         HistoryStatus::LoggedOut,       Notice::Logout},
  {Step::Active,       Input::AppLoginExpired,        Step::Done,         HistoryStatus::LoggedOut,       Notice::Logout},
  {Step::Active,       Input::PingLost,               Step::Done,         HistoryStatus::LoggedOut,       Notice::None},
  {Step::Active,       Input::PingLoggedOut,          Step::Done,         HistoryStatus::LoggedOut,       Notice::None},
  {Step::Active,       Input::PingRefused,            Step::Done,         HistoryStatus::LoggedOut,       Notice::None},
  {Step::Active,       Input::ServerLogout,           Step::Done,         HistoryStatus::LoggedOut,       Notice::None},
  {Step::Active,       Input::AccountDeleted,         Step::Done,         HistoryStatus::LoggedOut,       Notice::None},
  {Step::Active,       Input::Fault,                  Step::Failed,       HistoryStatus::Error,           Notice::None},
};
// clang-format on

const Transition* findTransition(Step from, Input input);

const char* stepStateName(Step s);         // STARTING | READY_FOR_USER_INTERACTION | USER_INTERACTION | ACTIVE | DONE | ERROR
const char* stepPseudoStateName(Step s);   // WAIT_FOR_CONFIRMATION | WAIT_FOR_SECOND_FACTOR | NONE
const char* inputName(Input i);
bool isFinal(Step s);

}  // namespace tapgate
