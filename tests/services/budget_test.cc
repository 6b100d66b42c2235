// Issue 14 item 3, total buffered bytes: each client stream's sink is bounded (the rpc send
// queue's 1 MiB high-water mark), but many slow clients at once made the director hold that
// much for every one of them. StreamLimits::max_buffered_bytes bounds the total: above it,
// streams written to are paused like slow clients until the total falls to 3/4 of it.

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

constexpr std::size_t kBudget = 4U << 20;
constexpr std::size_t kSlowClients = 12;    // each can hold ~1 MiB: 12 MiB without the budget
constexpr std::uint32_t kTokens = 100'000;  // ~3 MB of items each: more than its queue holds
constexpr std::size_t kSlack = 64 * 1024;   // items written before a stream is paused

ClientNode& add_client(World& world, const std::string& id, std::uint32_t tokens, bool paused) {
  auto cc = client_config(1, tokens);
  cc.connection_id = id;
  cc.log_tokens = false;
  world.clients.push_back(std::make_unique<ClientNode>(
      world, cc, rpc::testing::LinkConfig{.stream_window = 16 * 1024}));
  ClientNode& node = *world.clients.back();
  node.client->set_paused(paused);
  return node;
}

World& fast_worker(World& world) {
  auto wc = worker_config("worker-a");
  wc.token_interval = 0;  // as fast as flow control allows
  world.add_worker(wc);
  return world;
}

void print(const char* what, const DirectorStats& s) {
  std::printf("%s: buffered_bytes=%llu max_buffered_bytes=%llu paused_by_budget=%llu\n",
              what,
              static_cast<unsigned long long>(s.buffered_bytes),
              static_cast<unsigned long long>(s.max_buffered_bytes),
              static_cast<unsigned long long>(s.streams_paused_by_budget));
}

// Many clients that do not read, then read to the end. Returns the stats while blocked.
DirectorStats slow_clients_then_read(World& world) {
  for (std::size_t i = 0; i < kSlowClients; ++i) {
    add_client(world, "slow-" + std::to_string(i), kTokens, true);
  }
  world.run_for(10 * kSecond);
  const DirectorStats blocked = world.director->stats();
  print("blocked", blocked);
  for (auto& node : world.clients) {
    node->client->set_paused(false);
  }
  EXPECT_TRUE(world.run_until_clients_done(120 * kSecond));
  for (auto& node : world.clients) {
    EXPECT_TRUE(node->client->summary().verified);
    EXPECT_EQ(node->client->summary().tokens, kTokens);
    EXPECT_EQ(node->client->summary().migrations, 0U);
  }
  return blocked;
}

// The attack, with the default budget (256 MiB): the director holds ~1 MiB for every slow
// client, the total growing with their number (here 3x the 4 MiB budget used below).
TEST(Budget, WithoutABudgetSlowClientsAddUp) {
  World world;
  fast_worker(world);
  const DirectorStats blocked = slow_clients_then_read(world);
  EXPECT_GT(blocked.buffered_bytes, 2 * kBudget);
  EXPECT_EQ(blocked.streams_paused_by_budget, 0U);
}

TEST(Budget, TheTotalStaysUnderTheBudgetAndEveryTokenArrives) {
  World world;
  world.director->set_stream_limits({.max_buffered_bytes = kBudget});
  fast_worker(world);
  const DirectorStats blocked = slow_clients_then_read(world);
  EXPECT_LE(blocked.max_buffered_bytes, kBudget + kSlack);
  EXPECT_GT(blocked.buffered_bytes, kBudget / 2);  // the setup holds: the budget was reached
  EXPECT_GT(blocked.streams_paused_by_budget, 0U);
  const DirectorStats after = world.director->stats();
  print("after", after);
  EXPECT_LE(after.max_buffered_bytes, kBudget + kSlack);
  EXPECT_EQ(after.router.stalls, 0U);
  EXPECT_EQ(after.router.failovers, 0U);
  EXPECT_EQ(after.budget_paused_streams, 0U);
  EXPECT_EQ(after.active_streams, 0U);
}

// A reading client that arrives while non-readers hold the budget waits, paused like a slow
// client: no stall is detected, no failover; once the non-readers are ended (the blocked
// stream lifetime) it is served in full.
TEST(Budget, AStreamPausedByTheBudgetIsNotAStall) {
  World world;
  world.director->set_stream_limits(
      {.blocked_lifetime = 15 * kSecond, .max_buffered_bytes = kBudget});
  fast_worker(world);
  for (std::size_t i = 0; i < kSlowClients; ++i) {
    add_client(world, "slow-" + std::to_string(i), 0, true);  // never ends by itself
  }
  world.run_for(2 * kSecond);
  ClientNode& honest = add_client(world, "honest", 2'000, false);
  world.run_for(8 * kSecond);  // longer than the stall deadline
  const DirectorStats held = world.director->stats();
  print("held", held);
  EXPECT_GE(held.budget_paused_streams, 1U);
  EXPECT_EQ(held.router.stalls, 0U);
  EXPECT_EQ(held.router.failovers, 0U);
  EXPECT_LT(honest.client->summary().tokens, 2'000U);
  world.run_for(10 * kSecond);  // the non-readers reach the lifetime and are ended
  for (std::size_t i = 0; i < kSlowClients; ++i) {
    world.clients[i]->client->set_paused(false);
  }
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  EXPECT_TRUE(honest.client->summary().verified);
  EXPECT_EQ(honest.client->summary().tokens, 2'000U);
  const DirectorStats after = world.director->stats();
  print("after", after);
  EXPECT_EQ(after.blocked_too_long, kSlowClients);
  EXPECT_EQ(after.router.stalls, 0U);
  EXPECT_EQ(after.router.failovers, 0U);
  EXPECT_LE(after.max_buffered_bytes, kBudget + kSlack);
}

}  // namespace
}  // namespace connswap::services::testing
