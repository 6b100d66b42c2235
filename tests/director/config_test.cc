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
      {"probe_factor", {.probe_factor = 0.9}},
      {"min_probe", {.min_probe = 0}},
      {"probe_pings", {.probe_pings = 0}},
      {"worker_keepalive", {.worker_keepalive = kWorkerIdleTimeout}},
      {"worker_wait", {.worker_wait = 0}},
      {"delivered_window", {.delivered_window = 0}},
      {"prefix_max_tokens", {.prefix_max_tokens = 0}},
      {"prefix_max_bytes", {.prefix_max_bytes = 0}},
      // The window is what a stream falls back to: it must fit in the whole-prefix bound.
      {"delivered_window", {.delivered_window = 300, .prefix_max_tokens = 299}},
      // A maximal prefix must leave half a worker request's 4 MiB frame to the prompt.
      {"prefix_max_bytes", {.prefix_max_bytes = 2 << 20}},
      {"prefix_max_bytes", {.prefix_max_tokens = 300'000}},
  });
  for (const auto& c : cases) {
    auto r = validate(c.config);
    ASSERT_FALSE(r) << c.name;
    EXPECT_NE(r.error().detail.find(c.name), std::string::npos) << r.error().detail;
  }
}

TEST(DirectorConfig, PrefixBoundsUpToHalfAFrame) {
  DirectorConfig c;
  EXPECT_EQ(c.prefix_max_tokens, 32'768U);
  EXPECT_EQ(c.prefix_max_bytes, 1U << 20);
  // The largest byte bound the default token bound allows, and one byte more.
  c.prefix_max_bytes =
      static_cast<std::uint32_t>(kMaxPrefixWireBytes - kPrefixEntryOverhead * c.prefix_max_tokens);
  EXPECT_TRUE(validate(c));
  ++c.prefix_max_bytes;
  EXPECT_FALSE(validate(c));
  // The window may equal the whole-prefix bound.
  EXPECT_TRUE(validate(DirectorConfig{.delivered_window = 16, .prefix_max_tokens = 16}));
}

TEST(DirectorConfig, ParsesPolicy) {
  EXPECT_EQ(*parse_policy("round_robin"), BalancePolicy::kRoundRobin);
  EXPECT_EQ(*parse_policy("least_loaded"), BalancePolicy::kLeastLoaded);
  EXPECT_EQ(to_string(BalancePolicy::kLeastLoaded), "least_loaded");
  EXPECT_FALSE(parse_policy("random"));
}

}  // namespace
}  // namespace connswap::director
