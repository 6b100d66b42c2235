#include "impair/blackhole.h"

#include <gtest/gtest.h>

namespace connswap::impair {
namespace {

constexpr Duration kMs = kMillisecond;

TEST(Blackhole, ParsesWindows) {
  auto w = parse_window("2000+3000");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start, 2000 * kMs);
  EXPECT_EQ(w->length, 3000 * kMs);
  for (const char* bad : {"", "2000", "+3000", "2000+", "2000+0", "a+1", "1+2+3", "-1+5"}) {
    EXPECT_FALSE(parse_window(bad)) << bad;
  }
}

TEST(Blackhole, FixedWindowsCountFromTheOrigin) {
  const Timestamp origin = 10 * kSecond;
  Blackhole b(origin, {{1000 * kMs, 500 * kMs}});
  EXPECT_FALSE(b.active(origin + 999 * kMs));
  EXPECT_TRUE(b.active(origin + 1000 * kMs));
  EXPECT_TRUE(b.active(origin + 1499 * kMs));
  EXPECT_FALSE(b.active(origin + 1500 * kMs));
  EXPECT_EQ(b.next_change(origin), origin + 1000 * kMs);
  EXPECT_EQ(b.next_change(origin + 1000 * kMs), origin + 1500 * kMs);
  EXPECT_EQ(b.next_change(origin + 1500 * kMs), kNever);
}

TEST(Blackhole, TriggeredWindowsStartNowAndMerge) {
  Blackhole b(0, {});
  EXPECT_FALSE(b.active(kSecond));
  b.trigger(kSecond, 3 * kSecond);
  EXPECT_TRUE(b.active(kSecond));
  b.trigger(2 * kSecond, 3 * kSecond);  // overlapping: down until 5 s
  EXPECT_EQ(b.next_change(kSecond), 5 * kSecond);
  EXPECT_TRUE(b.active(4500 * kMs));
  EXPECT_FALSE(b.active(5 * kSecond));
}

}  // namespace
}  // namespace connswap::impair
