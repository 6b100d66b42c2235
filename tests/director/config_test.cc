#include "director/config.h"

#include <array>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

TEST(DirectorConfig, DefaultsMatchSeed) {
  DirectorConfig c;
  EXPECT_TRUE(validate(c));
  EXPECT_EQ(c.user_addr, "127.0.0.1:61000");
  EXPECT_EQ(c.mgmt_addr, "127.0.0.1:61001");
  EXPECT_EQ(c.policy, BalancePolicy::kRoundRobin);
  EXPECT_EQ(c.migration_limit, 3U);
}

TEST(DirectorConfig, RejectsBadFields) {
  struct Case {
    const char* name;
    DirectorConfig config;
  };
  const auto cases = std::to_array<Case>({
      {"user_addr", {.user_addr = "x"}},
      {"mgmt_addr", {.mgmt_addr = "127.0.0.1"}},
      {"heartbeat_timeout", {.heartbeat_timeout = 0}},
      {"first_token_timeout", {.first_token_timeout = 0}},
      {"min_stall", {.min_stall = 0}},
      {"stall_factor", {.stall_factor = 0.5}},
      {"worker_wait", {.worker_wait = 0}},
      {"delivered_window", {.delivered_window = 0}},
  });
  for (const auto& c : cases) {
    auto r = validate(c.config);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().detail.find(c.name), std::string::npos) << r.error().detail;
  }
}

TEST(DirectorConfig, ParsesPolicy) {
  EXPECT_EQ(*parse_policy("round_robin"), BalancePolicy::kRoundRobin);
  EXPECT_EQ(*parse_policy("least_loaded"), BalancePolicy::kLeastLoaded);
  EXPECT_EQ(to_string(BalancePolicy::kLeastLoaded), "least_loaded");
  EXPECT_FALSE(parse_policy("random"));
}

}  // namespace
}  // namespace connswap::director
