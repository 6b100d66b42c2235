// Worker calls started in batches (issue 18, StreamLimits::replace_batch): a crash fails
// every stream of the worker at once; the director re-places them all, each exactly once
// and nothing lost, but starts at most `replace_batch` worker calls per turn, the rest on
// the following turns.

#include <gtest/gtest.h>

#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

using worker::FailMode;

constexpr std::uint32_t kStreamsPerClient = 150;  // 300 streams: 150 on each worker
constexpr std::uint32_t kTokens = 40;             // 20 s at 500 ms; the crash is at 10 s

struct Outcome {
  DirectorStats stats;
  std::uint64_t migrations = 0;
  bool verified = true;
};

Outcome crash_with_batch(std::size_t batch) {
  World world;
  world.director->set_stream_limits({.replace_batch = batch});
  world.add_worker(worker_config("worker-a", FailMode::kCrash, 10 * kSecond));
  world.add_worker(worker_config("worker-b"));
  std::vector<ClientNode*> nodes;
  for (const char* id : {"conn-1", "conn-2"}) {
    auto config = client_config(kStreamsPerClient, kTokens, id);
    config.log_tokens = false;
    nodes.push_back(&world.add_client(config));
  }
  EXPECT_TRUE(world.run_until_clients_done(120 * kSecond));
  Outcome o;
  o.stats = world.director->stats();
  for (ClientNode* n : nodes) {
    const auto summary = n->client->summary();
    EXPECT_EQ(summary.streams, kStreamsPerClient);
    EXPECT_EQ(summary.tokens, kStreamsPerClient * kTokens);
    EXPECT_EQ(summary.lost + summary.duplicated + summary.out_of_order, 0U)
        << client::format_summary(summary);
    o.verified = o.verified && summary.verified;
    o.migrations += summary.migrations;
  }
  return o;
}

TEST(ReplaceBatch, ACrashReplacesEveryStreamOnceAtMostABatchPerTurn) {
  const Outcome o = crash_with_batch(16);
  EXPECT_TRUE(o.verified);
  // Round robin put every other stream on worker-a; each moved exactly once.
  EXPECT_EQ(o.migrations, kStreamsPerClient);
  EXPECT_EQ(o.stats.router.streams_ok, 2U * kStreamsPerClient);
  EXPECT_EQ(o.stats.active_streams, 0U);
  EXPECT_EQ(o.stats.max_turn_starts, 16U);
  // All but the first batch waited for a later turn.
  EXPECT_EQ(o.stats.starts_deferred, kStreamsPerClient - 16U);
}

TEST(ReplaceBatch, ZeroStartsEveryCallInTheFailingTurn) {
  const Outcome o = crash_with_batch(0);
  EXPECT_TRUE(o.verified);
  EXPECT_EQ(o.migrations, kStreamsPerClient);
  EXPECT_EQ(o.stats.max_turn_starts, kStreamsPerClient);
  EXPECT_EQ(o.stats.starts_deferred, 0U);
}

}  // namespace
}  // namespace connswap::services::testing
