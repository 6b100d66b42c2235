#include "worker/token_schedule.h"

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

constexpr Duration kInterval = 500 * kMillisecond;

TEST(TokenSchedule, FirstTokenImmediatelyThenPaced) {
  TokenSchedule s(1, 3, kInterval, 100);
  EXPECT_EQ(s.deadline(), 100U);
  EXPECT_EQ(s.poll(100), 1U);
  EXPECT_EQ(s.deadline(), 100 + kInterval);
  EXPECT_FALSE(s.poll(100 + kInterval - 1));
  EXPECT_EQ(s.poll(100 + kInterval), 2U);
  EXPECT_EQ(s.poll(100 + 2 * kInterval), 3U);
  EXPECT_TRUE(s.done());
  EXPECT_EQ(s.deadline(), kNever);
  EXPECT_FALSE(s.poll(kNever - 1));
  EXPECT_EQ(s.emitted(), 3U);
}

TEST(TokenSchedule, FirstDelayPostponesOnlyTheFirstToken) {
  TokenSchedule s(1, 3, kInterval, 100, 3 * kInterval);
  EXPECT_EQ(s.deadline(), 100 + 3 * kInterval);
  EXPECT_FALSE(s.poll(100 + 3 * kInterval - 1));
  EXPECT_EQ(s.poll(100 + 3 * kInterval), 1U);
  EXPECT_EQ(s.deadline(), 100 + 4 * kInterval);
}

TEST(TokenSchedule, SetIntervalSpacesTheNextTokenOnly) {
  TokenSchedule s(1, 0, kInterval, 0);
  s.set_interval(kInterval / 2);
  EXPECT_EQ(s.deadline(), 0U);  // the due token does not move
  EXPECT_EQ(s.poll(0), 1U);
  EXPECT_EQ(s.deadline(), kInterval / 2);
  s.set_interval(2 * kInterval);
  EXPECT_EQ(s.poll(kInterval / 2), 2U);
  EXPECT_EQ(s.deadline(), kInterval / 2 + 2 * kInterval);
}

TEST(TokenSchedule, ResumesFromStartSeq) {
  TokenSchedule s(31, 32, kInterval, 0);
  EXPECT_EQ(s.poll(0), 31U);
  EXPECT_EQ(s.poll(kInterval), 32U);
  EXPECT_TRUE(s.done());
}

TEST(TokenSchedule, StartPastEndIsDone) {
  TokenSchedule s(11, 10, kInterval, 0);
  EXPECT_TRUE(s.done());
  EXPECT_FALSE(s.poll(0));
}

TEST(TokenSchedule, UnpacedIsAlwaysDue) {
  TokenSchedule s(1, 1000, 0, 7);
  for (std::uint64_t seq = 1; seq <= 1000; ++seq) {
    ASSERT_EQ(s.poll(7), seq);
  }
  EXPECT_TRUE(s.done());
}

TEST(TokenSchedule, UnboundedNeverDone) {
  TokenSchedule s(1, 0, 0, 0);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(s.poll(0));
  }
  EXPECT_FALSE(s.done());
  EXPECT_EQ(s.next_seq(), 101U);
}

TEST(TokenSchedule, LateCallerDoesNotBurst) {
  TokenSchedule s(1, 10, kInterval, 0);
  EXPECT_EQ(s.poll(0), 1U);
  // Polled 3 intervals late: one token now, the next a full interval later.
  EXPECT_EQ(s.poll(3 * kInterval), 2U);
  EXPECT_EQ(s.deadline(), 4 * kInterval);
  EXPECT_FALSE(s.poll(3 * kInterval));
}

}  // namespace
}  // namespace connswap::worker
