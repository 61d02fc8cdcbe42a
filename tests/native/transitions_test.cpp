// The table itself: every row is reachable through the engine (engine_test covers the flows);
// here: its shape and that misuse is rejected from every step.
#include "transitions.hpp"

#include <gtest/gtest.h>

using namespace tapgate;

TEST(Transitions, FinalStepsAcceptNoInput) {
  for (Step s : {Step::Done, Step::Failed}) {
    for (int i = 0; i <= static_cast<int>(Input::ServerLogout); ++i) {
      EXPECT_EQ(findTransition(s, static_cast<Input>(i)), nullptr);
    }
  }
}

TEST(Transitions, EveryNonFinalStepCanBeStopped) {
  for (Step s : {Step::Starting, Step::Confirming, Step::SecondFactor, Step::Verifying, Step::Active}) {
    const Transition* t = findTransition(s, Input::StopSession);
    ASSERT_NE(t, nullptr) << stepStateName(s);
    EXPECT_TRUE(allowsTarget(*t, Step::Done));
  }
}

TEST(Transitions, EveryUnfinishedSessionTimesOutToDone) {
  for (Step s : {Step::Starting, Step::Confirming, Step::SecondFactor, Step::Verifying}) {
    const Transition* t = findTransition(s, Input::Timeout);
    ASSERT_NE(t, nullptr);
    EXPECT_TRUE(allowsTarget(*t, Step::Done));
  }
  EXPECT_EQ(findTransition(Step::Active, Input::Timeout), nullptr);
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
