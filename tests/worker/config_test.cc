#include "worker/config.h"

#include <array>

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

TEST(WorkerConfig, DefaultsMatchSeed) {
  WorkerConfig c;
  EXPECT_TRUE(validate(c));
  EXPECT_EQ(c.director_mgmt_addr, "127.0.0.1:61001");
  EXPECT_EQ(c.token_interval, 500 * kMillisecond);
  EXPECT_EQ(c.fail_after, 15 * kSecond);
  EXPECT_EQ(c.fail_mode, FailMode::kError);
  EXPECT_EQ(c.heartbeat_interval, 5 * kSecond);
}

TEST(WorkerConfig, RejectsBadFields) {
  struct Case {
    const char* name;
    WorkerConfig config;
  };
  const auto cases = std::to_array<Case>({
      {"bad user_addr", {.user_addr = "nope"}},
      {"bad mgmt_addr", {.mgmt_addr = "1.2.3.4"}},
      {"bad director", {.director_mgmt_addr = ""}},
      {"empty label", {.label = ""}},
      {"label with space", {.label = "a b"}},
      {"zero heartbeat", {.heartbeat_interval = 0}},
      {"error without recovery", {.recovery_after = 0}},
      {"jitter over 100 %", {.token_jitter_pct = 101}},
  });
  for (const auto& c : cases) {
    auto r = validate(c.config);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << c.name;
  }
}

}  // namespace
}  // namespace connswap::worker
