#include "worker/failure_plan.h"

#include <array>

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

constexpr Timestamp kStart = 1000 * kSecond;

struct Case {
  const char* name;
  FailMode mode;
  Duration fail_after;
  Duration at;  // since start
  FailureAction action;
  Duration deadline;  // since start; kNever stays kNever
};

constexpr auto kCases = std::to_array<Case>({
    {"none never fails",
     FailMode::kNone,
     15 * kSecond,
     100 * kSecond,
     FailureAction::kServe,
     kNever},
    {"zero fail_after never fails",
     FailMode::kError,
     0,
     100 * kSecond,
     FailureAction::kServe,
     kNever},
    {"error: healthy before",
     FailMode::kError,
     15 * kSecond,
     14 * kSecond,
     FailureAction::kServe,
     15 * kSecond},
    {"error: fails at",
     FailMode::kError,
     15 * kSecond,
     15 * kSecond,
     FailureAction::kError,
     25 * kSecond},
    {"error: unavailable window",
     FailMode::kError,
     15 * kSecond,
     24 * kSecond,
     FailureAction::kError,
     25 * kSecond},
    {"error: back after 10 s",
     FailMode::kError,
     15 * kSecond,
     25 * kSecond,
     FailureAction::kServe,
     kNever},
    {"crash: before",
     FailMode::kCrash,
     15 * kSecond,
     1 * kSecond,
     FailureAction::kServe,
     15 * kSecond},
    {"crash: after", FailMode::kCrash, 15 * kSecond, 16 * kSecond, FailureAction::kCrash, kNever},
    {"hang: stays hung",
     FailMode::kHang,
     15 * kSecond,
     500 * kSecond,
     FailureAction::kHang,
     kNever},
});

TEST(FailurePlan, ActionAndDeadlineByModeAndTime) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    FailurePlan plan(c.fail_after, c.mode, kStart);
    EXPECT_EQ(plan.action(kStart + c.at), c.action);
    EXPECT_EQ(plan.deadline(kStart + c.at), c.deadline == kNever ? kNever : kStart + c.deadline);
  }
}

TEST(FailurePlan, BeforeStartServes) {
  FailurePlan plan(1, FailMode::kCrash, kStart);
  EXPECT_EQ(plan.action(0), FailureAction::kServe);
}

TEST(FailurePlan, ParsesModes) {
  struct P {
    const char* text;
    FailMode mode;
  };
  for (auto p : std::to_array<P>({{"none", FailMode::kNone},
                                  {"error", FailMode::kError},
                                  {"crash", FailMode::kCrash},
                                  {"hang", FailMode::kHang}})) {
    auto r = parse_fail_mode(p.text);
    ASSERT_TRUE(r) << p.text;
    EXPECT_EQ(*r, p.mode);
    EXPECT_EQ(to_string(*r), p.text);
  }
  auto bad = parse_fail_mode("explode");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace connswap::worker
