// A session's timers (DESIGN.md §9, after quinn-proto's TimerTable): the core sets and stops them,
// each kind at most once; the host keeps only the session's next deadline (the `deadline` output)
// and calls Engine::onTimer when it is due, which runs every expired timer.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "transitions.hpp"

namespace tapgate {

// The kinds, in the order expired timers with the same deadline fire. X(enumerator, name, input,
// action): `input` is the row a timer needs from the session's step to stay set (applyTransition
// stops it otherwise); a Transition timer fires that input, the others run their action.
#define TAPGATE_TIMERS(X)                                                                                    \
  X(PushedStart, "pushedstart", StartNeedsConfirmation, TakePushedStart) /* a pushed start response (STARTING) */ \
  X(Session, "session", SessionTimeout, Transition)       /* sessionTimeout                                    */ \
  X(Input, "input", InputTimeout, Transition)             /* secondFactorUserInputTimeout                      */ \
  X(Inactivity, "inactivity", AppLoginExpired, Transition) /* appLoginInactivityTimeout (activity re-sets it)  */ \
  X(AppLogin, "applogin", AppLoginExpired, Transition)    /* timeoutAppLogin: absolute                         */ \
  X(KeepAlive, "ping", PingLost, KeepAlive)               /* the next ping; PingLost once unconfirmed too long */

enum class TimerKind : std::uint8_t {
#define TAPGATE_TIMER_ENUMERATOR(kind, name, input, action) kind,
  TAPGATE_TIMERS(TAPGATE_TIMER_ENUMERATOR)
#undef TAPGATE_TIMER_ENUMERATOR
};
#define TAPGATE_TIMER_COUNT(kind, name, input, action) +1
inline constexpr int kTimerKindCount = 0 TAPGATE_TIMERS(TAPGATE_TIMER_COUNT);
#undef TAPGATE_TIMER_COUNT

// What an expired timer does: apply its input, or run the engine's action for it.
enum class TimerAction : std::uint8_t { Transition, TakePushedStart, KeepAlive };

struct TimerSpec {
  TimerKind kind;
  const char* name;
  Input input;
  TimerAction action;
};

inline constexpr TimerSpec kTimerSpecs[] = {
#define TAPGATE_TIMER_SPEC(kind, name, input, action) {TimerKind::kind, name, Input::input, TimerAction::action},
    TAPGATE_TIMERS(TAPGATE_TIMER_SPEC)
#undef TAPGATE_TIMER_SPEC
};

constexpr const TimerSpec& timerSpec(TimerKind k) { return kTimerSpecs[static_cast<int>(k)]; }
const char* timerName(TimerKind k);

class TimerTable {
 public:
  void set(TimerKind k, std::int64_t at) { at_[index(k)] = at; }
  void stop(TimerKind k) { at_[index(k)].reset(); }
  void stopAll() { at_.fill(std::nullopt); }
  std::optional<std::int64_t> get(TimerKind k) const { return at_[index(k)]; }
  bool isSet(TimerKind k) const { return at_[index(k)].has_value(); }
  bool empty() const;
  // The earliest deadline of all set timers; none when no timer is set.
  std::optional<std::int64_t> next() const;
  // The expired timer (deadline <= now) due first, ties in TimerKind order, stopped as it is
  // taken; none when no timer has expired.
  std::optional<TimerKind> takeExpired(std::int64_t now);

 private:
  static constexpr std::size_t index(TimerKind k) { return static_cast<std::size_t>(k); }
  std::array<std::optional<std::int64_t>, kTimerKindCount> at_{};
};

}  // namespace tapgate
