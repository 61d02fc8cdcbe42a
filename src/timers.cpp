#include "timers.hpp"

namespace tapgate {

static_assert(sizeof(kTimerSpecs) / sizeof(kTimerSpecs[0]) == kTimerKindCount);

const char* timerName(TimerKind k) {
  const int i = static_cast<int>(k);
  return i >= 0 && i < kTimerKindCount ? kTimerSpecs[i].name : "?";
}

bool TimerTable::empty() const {
  for (const auto& at : at_) {
    if (at) return false;
  }
  return true;
}

std::optional<std::int64_t> TimerTable::next() const {
  std::optional<std::int64_t> earliest;
  for (const auto& at : at_) {
    if (at && (!earliest || *at < *earliest)) earliest = at;
  }
  return earliest;
}

std::optional<TimerKind> TimerTable::takeExpired(std::int64_t now) {
  std::optional<std::size_t> due;
  for (std::size_t i = 0; i < at_.size(); ++i) {
    if (at_[i] && *at_[i] <= now && (!due || *at_[i] < *at_[*due])) due = i;
  }
  if (!due) return std::nullopt;
  at_[*due].reset();
  return static_cast<TimerKind>(*due);
}

}  // namespace tapgate
