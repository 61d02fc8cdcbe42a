// History keeps its text in step with its items (src/history.hpp): after every kind of change the
// text it hands to a save equals the text of the same items serialised from scratch.
#include <gtest/gtest.h>

#include <random>

#include "history.hpp"

using namespace tapgate;

namespace {

HistoryItem item(int n, std::int64_t started, std::int64_t ended = 0) {
  HistoryItem h;
  h.sessionRef = "s" + std::to_string(n);
  h.kind = "login";
  h.status = ended ? HistoryStatus::LoggedInOneShot : HistoryStatus::None;
  h.serverId = Bytes(16, static_cast<std::uint8_t>(n % 3));
  h.accountId = 1 + n % 4;
  h.accountName = "name \"" + std::to_string(n) + "\" é";
  h.started = started;
  h.ended = ended;
  if (n % 2) h.t1 = Bytes(32, static_cast<std::uint8_t>(n));
  return h;
}

std::string fromScratch(const History& h) {
  History copy;
  for (const auto& i : h) copy.append(i);
  return copy.text();
}

}  // namespace

TEST(History, RecordOverwritesTheOpenItemOfTheSameSessionOnly) {
  History h;
  h.record(item(1, 100));
  HistoryItem done = item(1, 100, 150);
  h.record(done);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0], done);
  // The same session id started again later is a new item; an ended item is never written over.
  h.record(item(1, 200));
  h.record(item(1, 100, 300));
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].ended, 150);
  EXPECT_EQ(h.text(), fromScratch(h));
}

TEST(History, AnItemKeepsItsAccountNameWhenTheAccountIsGoneByTheEnd) {
  History h;
  h.record(item(2, 100));
  HistoryItem end = item(2, 100, 120);
  end.accountName.clear();
  h.record(end);
  EXPECT_EQ(h[0].accountName, item(2, 100).accountName);
}

TEST(History, TheTextFollowsEveryKindOfChange) {
  std::mt19937 rng(7);
  History h;
  std::int64_t now = 1000;
  for (int step = 0; step < 2000; ++step) {
    now += 10;
    const int n = static_cast<int>(rng() % 40);
    switch (rng() % 6) {
      case 0: case 1: h.record(item(n, now)); break;
      case 2: {  // end an open item, as a session end does
        for (const auto& i : h) {
          if (i.ended) continue;
          HistoryItem end = i;
          end.ended = now;
          end.status = HistoryStatus::Aborted;
          h.record(end);
          break;
        }
        break;
      }
      case 3: h.markDeleted(Bytes(16, static_cast<std::uint8_t>(n % 3)), 1 + n % 4); break;
      case 4: h.expire(now - 400); break;
      case 5: h.changeOpen([&](HistoryItem& i) { i.ended = now; i.status = HistoryStatus::LoggedOut; }); break;
    }
    if (step % 3 == 0) ASSERT_EQ(h.text(), fromScratch(h)) << "step " << step;
  }
  EXPECT_EQ(h.text(), fromScratch(h));
}

TEST(History, ExpireDropsOnlyItemsThatEndedBeforeTheHorizon) {
  History h;
  h.append(item(1, 10, 20));
  h.append(item(2, 30));       // still open: never expires
  h.append(item(3, 40, 50));
  h.append(item(4, 60, 70));
  (void)h.text();
  h.expire(55);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].sessionRef, "s2");
  EXPECT_EQ(h[1].sessionRef, "s4");
  EXPECT_EQ(h.text(), fromScratch(h));
}

TEST(History, MarkDeletedChangesOnlyThatAccountsItems) {
  History h;
  h.append(item(1, 10, 20));  // server 1, account 2
  h.append(item(5, 30, 40));  // server 2, account 2
  (void)h.text();
  h.markDeleted(Bytes(16, 1), 2);
  EXPECT_EQ(h[0].status, HistoryStatus::Deleted);
  EXPECT_EQ(h[1].status, HistoryStatus::LoggedInOneShot);
  EXPECT_EQ(h.text(), fromScratch(h));
}
