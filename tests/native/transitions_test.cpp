// The table itself: every row is reachable through the engine (transition_rows_test); here: its
// shape, and the rules every row must keep.
#include "transitions.hpp"

#include <gtest/gtest.h>

using namespace tapgate;

TEST(Transitions, FinalStepsAcceptNoInput) {
  for (Step s : {Step::Done, Step::Failed}) {
    for (int i = 0; i < kInputCount; ++i) {
      EXPECT_EQ(findTransition(s, static_cast<Input>(i)), nullptr) << inputName(static_cast<Input>(i));
    }
  }
}

TEST(Transitions, EveryUnfinishedStepCanBeStopped) {
  for (Step s : {Step::Starting, Step::Ready, Step::Confirming, Step::SecondFactor, Step::Verifying, Step::Active}) {
    const Transition* stop = findTransition(s, Input::StopSession);
    ASSERT_NE(stop, nullptr) << stepStateName(s);
    EXPECT_EQ(stop->to, Step::Done);
    EXPECT_EQ(stop->history, s == Step::Active ? HistoryStatus::LoggedOut : HistoryStatus::Aborted);
  }
}

TEST(Transitions, EveryUnfinishedSessionTimesOutToDone) {
  for (Step s : {Step::Starting, Step::Ready, Step::Confirming, Step::SecondFactor, Step::Verifying}) {
    const Transition* t = findTransition(s, Input::SessionTimeout);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->to, Step::Done);
    EXPECT_EQ(t->history, HistoryStatus::Aborted);
  }
  EXPECT_EQ(findTransition(Step::Active, Input::SessionTimeout), nullptr);
}

// The end gives a session its history status; only a login has one before. Only an end is told.
TEST(Transitions, HistoryStatusAndNoticeFitTheTarget) {
  for (const auto& t : kTransitions) {
    SCOPED_TRACE(std::string(stepStateName(t.from)) + " + " + inputName(t.input));
    if (t.to == Step::Failed) EXPECT_EQ(t.history, HistoryStatus::Error);
    if (t.to == Step::Done) EXPECT_NE(t.history, HistoryStatus::None);
    if (t.to == Step::Active) EXPECT_EQ(t.history, HistoryStatus::LoggedIn);
    if (!isFinal(t.to) && t.to != Step::Active) EXPECT_EQ(t.history, HistoryStatus::None);
    if (!isFinal(t.to)) EXPECT_EQ(t.notice, Notice::None);
    // A logout is owed for a login only; a cancellation only for a session not logged in.
    if (t.notice == Notice::Logout) EXPECT_EQ(t.from, Step::Active);
    if (t.notice == Notice::Cancel) EXPECT_NE(t.from, Step::Active);
  }
}

TEST(Transitions, RowsAreUnique) {
  for (const auto& a : kTransitions) {
    int n = 0;
    for (const auto& b : kTransitions) n += (a.from == b.from && a.input == b.input);
    EXPECT_EQ(n, 1);
  }
}

TEST(Transitions, PublicStateNames) {
  EXPECT_STREQ(stepStateName(Step::Confirming), "USER_INTERACTION");
  EXPECT_STREQ(stepPseudoStateName(Step::Confirming), "WAIT_FOR_CONFIRMATION");
  EXPECT_STREQ(stepPseudoStateName(Step::Verifying), "WAIT_FOR_SECOND_FACTOR");
  EXPECT_STREQ(stepStateName(Step::Failed), "ERROR");
}
