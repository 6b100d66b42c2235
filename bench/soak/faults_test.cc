// The soak's pure parts: the seeded plan repeats, and gaps go to the fault that caused them.

#include "faults.h"

#include <gtest/gtest.h>

namespace connswap::soak {
namespace {

constexpr Duration kSlack = 200 * kMillisecond;

TEST(SoakDice, TheSameSeedGivesTheSamePlan) {
  Dice a(14);
  Dice b(14);
  Dice c(15);
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const Duration da = a.between(kSecond, 3 * kSecond);
    EXPECT_EQ(da, b.between(kSecond, 3 * kSecond));
    EXPECT_GE(da, kSecond);
    EXPECT_LE(da, 3 * kSecond);
    EXPECT_EQ(a.next_kind(), b.next_kind());
    differs = differs || da != c.between(kSecond, 3 * kSecond);
    (void)c.next_kind();
  }
  EXPECT_TRUE(differs);
}

TEST(SoakAttribute, AGapGoesToTheLatestFaultOnItsWorker) {
  const Timestamp t = 100 * kSecond;
  const std::vector<Fault> faults = {{t, FaultKind::kKill, "worker-a", t},
                                     {t + 50 * kMillisecond, FaultKind::kStop, "worker-b", t},
                                     {t + 100 * kMillisecond, FaultKind::kTerm, "worker-a", t}};
  const Gap gap{t - 10 * kMillisecond, t + 300 * kMillisecond, "worker-a", "migrated:lost"};
  EXPECT_EQ(attribute(gap, faults, kSlack), "term");
  const Gap other{t - 10 * kMillisecond, t + 300 * kMillisecond, "worker-c", "migrated:lost"};
  EXPECT_EQ(attribute(other, faults, kSlack), "none (migrated:lost)");
  const Gap before{t - 2 * kSecond, t - kSecond, "worker-a", "migrated:lost"};
  EXPECT_EQ(attribute(before, faults, kSlack), "none (migrated:lost)");
}

TEST(SoakAttribute, AResumeGoesToADirectorFaultAndAnErrorMayBeLoggedLate) {
  const Timestamp t = 100 * kSecond;
  const std::vector<Fault> faults = {
      {t, FaultKind::kDirector, "director", t},
      {t + 5 * kSecond, FaultKind::kError, "worker-b", t + 4 * kSecond}};
  EXPECT_EQ(attribute({t - kMillisecond, t + kSecond, "worker-a", "resume"}, faults, kSlack),
            "director");
  EXPECT_EQ(attribute({t - kMillisecond, t + kSecond, "worker-a", "migrated:x"}, faults, kSlack),
            "none (migrated:x)");
  // The error fired somewhere in [t + 4 s, t + 5 s]: a gap inside that window is its.
  EXPECT_EQ(attribute({t + 4200 * kMillisecond, t + 4300 * kMillisecond, "worker-b", "migrated:e"},
                      faults,
                      kSlack),
            "error");
}

}  // namespace
}  // namespace connswap::soak
