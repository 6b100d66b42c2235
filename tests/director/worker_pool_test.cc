#include "director/worker_pool.h"

#include <array>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

constexpr Timestamp kT0 = 100 * kSecond;
constexpr Duration kTimeout = 15 * kSecond;
constexpr Duration kHold = 5 * kSecond;

WorkerRegistration reg(const std::string& label, bool available = true) {
  return {label, "u-" + label, "m-" + label, 0, available, false};
}

// Selects `n` times and returns the labels chosen ("-" for none).
std::vector<std::string> picks(WorkerPool& pool, int n, std::span<const std::string> ex = {}) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const WorkerInfo* w = pool.select(ex);
    out.push_back(w ? w->label : "-");
  }
  return out;
}

TEST(WorkerPool, RoundRobinRotates) {
  WorkerPool pool(BalancePolicy::kRoundRobin, kTimeout, kHold);
  EXPECT_EQ(pool.select(), nullptr);
  for (const char* w : {"b", "a", "c"}) {
    EXPECT_EQ(pool.on_register(reg(w), kT0), WorkerChange::kBecameSelectable);
  }
  EXPECT_EQ(picks(pool, 4), (std::vector<std::string>{"a", "b", "c", "a"}));
}

TEST(WorkerPool, LeastLoadedPrefersFewestStreams) {
  WorkerPool pool(BalancePolicy::kLeastLoaded, kTimeout, kHold);
  for (const char* w : {"a", "b", "c"}) {
    (void)pool.on_register(reg(w), kT0);
  }
  pool.add_stream("a");
  pool.add_stream("a");
  pool.add_stream("b");
  EXPECT_EQ(pool.select()->label, "c");
  pool.add_stream("c");
  // b and c tie at 1; rotation resumes after c (the last pick), so b comes first.
  EXPECT_EQ(pool.select()->label, "b");
  pool.remove_stream("a");
  pool.remove_stream("a");
  EXPECT_EQ(pool.select()->label, "a");
  // Reported load breaks ties between equal director-side counts.
  WorkerPool loads(BalancePolicy::kLeastLoaded, kTimeout, kHold);
  (void)loads.on_register({"x", "u", "m", 9, true, false}, kT0);
  (void)loads.on_register({"y", "u", "m", 2, true, false}, kT0);
  EXPECT_EQ(picks(loads, 2), (std::vector<std::string>{"y", "y"}));
}

TEST(WorkerPool, SelectionSkipsExcludedAndUnusable) {
  struct Case {
    const char* name;
    std::vector<std::string> exclude;
    std::string only_b_state;  // how worker "a" is made unusable, or "" to leave it
    std::string expected;
  };
  const auto cases = std::to_array<Case>({
      {"excluded", {"a"}, "", "b"},
      {"unavailable", {}, "unavailable", "b"},
      {"draining", {}, "draining", "b"},
      {"failed", {}, "failed", "b"},
      {"lost", {}, "lost", "b"},
      {"all excluded", {"a", "b"}, "", "-"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WorkerPool pool(BalancePolicy::kRoundRobin, kTimeout, kHold);
    (void)pool.on_register(reg("a", c.only_b_state != "unavailable"), kT0);
    (void)pool.on_register(reg("b"), kT0);
    if (c.only_b_state == "draining") {
      EXPECT_EQ(pool.mark_draining("a", kT0), WorkerChange::kDraining);
    } else if (c.only_b_state == "failed") {
      pool.mark_failed("a", kT0);
    } else if (c.only_b_state == "lost") {
      EXPECT_EQ(pool.mark_lost("a", kT0), WorkerChange::kLost);
    }
    EXPECT_EQ(picks(pool, 3, c.exclude), std::vector<std::string>(3, c.expected));
  }
}

TEST(WorkerPool, HeartbeatExpiryAndRevival) {
  WorkerPool pool(BalancePolicy::kRoundRobin, kTimeout, kHold);
  (void)pool.on_register(reg("a"), kT0);
  (void)pool.on_register(reg("b"), kT0);
  EXPECT_EQ(pool.deadline(), kT0 + kTimeout);
  ASSERT_TRUE(pool.on_heartbeat({"b", 3, true, false}, kT0 + 10 * kSecond));
  EXPECT_TRUE(pool.on_timeout(kT0 + kTimeout - 1).empty());
  auto updates = pool.on_timeout(kT0 + kTimeout);
  ASSERT_EQ(updates.size(), 1U);
  EXPECT_EQ(updates[0].label, "a");
  EXPECT_EQ(updates[0].change, WorkerChange::kLost);
  EXPECT_EQ(pool.counts().lost, 1U);
  EXPECT_EQ(pool.counts().active, 1U);
  EXPECT_EQ(pool.deadline(), kT0 + 10 * kSecond + kTimeout);
  EXPECT_EQ(pool.find("b")->load, 3U);
  // A heartbeat from a lost worker brings it back.
  auto back = pool.on_heartbeat({"a", 0, true, false}, kT0 + 20 * kSecond);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, WorkerChange::kBecameSelectable);
  // An unknown worker must register first.
  auto unknown = pool.on_heartbeat({"zzz", 0, true, false}, kT0);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

TEST(WorkerPool, ReRegisterReplacesAndClearsDrain) {
  WorkerPool pool(BalancePolicy::kRoundRobin, kTimeout, kHold);
  (void)pool.on_register(reg("a"), kT0);
  (void)pool.mark_draining("a", kT0);
  EXPECT_TRUE(pool.on_heartbeat({"a", 0, true, false}, kT0 + kSecond));
  EXPECT_EQ(pool.find("a")->state, WorkerState::kDraining);  // a heartbeat cannot undo it
  EXPECT_EQ(pool.on_register({"a", "new-u", "new-m", 0, true, false}, kT0 + 2 * kSecond),
            WorkerChange::kBecameSelectable);
  EXPECT_EQ(pool.size(), 1U);
  EXPECT_EQ(pool.find("a")->user_addr, "new-u");
  EXPECT_EQ(pool.find("a")->state, WorkerState::kActive);
}

TEST(WorkerPool, FailureHoldExpires) {
  WorkerPool pool(BalancePolicy::kRoundRobin, kTimeout, kHold);
  (void)pool.on_register(reg("a"), kT0);
  pool.mark_failed("a", kT0 + kSecond);
  EXPECT_EQ(pool.find("a")->state, WorkerState::kFailed);
  EXPECT_EQ(pool.deadline(), kT0 + kSecond + kHold);
  // A heartbeat during the hold does not clear it.
  EXPECT_TRUE(pool.on_heartbeat({"a", 0, true, false}, kT0 + 2 * kSecond));
  EXPECT_EQ(pool.select(), nullptr);
  auto updates = pool.on_timeout(kT0 + kSecond + kHold);
  ASSERT_EQ(updates.size(), 1U);
  EXPECT_EQ(updates[0].change, WorkerChange::kBecameSelectable);
  EXPECT_EQ(pool.select()->label, "a");
}

}  // namespace
}  // namespace connswap::director
