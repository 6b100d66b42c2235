// Issue 14 item 4: the outbox bound after a blocked client drains. While a client does not
// read, its worker call is paused and the worker fills the director<->worker stream window
// (8 MiB here). When the client reads again, those items must not all become outbox items
// and protobufs in one turn: they are read in batches of StreamLimits::drain_batch_bytes.

#include <cstdio>
#include <optional>

#include <gtest/gtest.h>

#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

constexpr std::size_t kWorkerWindow = 8U << 20;
constexpr std::uint32_t kTokens = 400'000;  // more than the window and every queue hold

struct Drained {
  DirectorStats blocked;  // while the client did not read
  DirectorStats after;    // once it read everything
  std::size_t window_filled = 0;
  bool done = false;
  client::ClientSummary summary;
};

// One client that does not read for 30 s, then reads to the end.
Drained block_then_drain(std::optional<std::size_t> batch) {
  World world;
  world.worker_link.stream_window = kWorkerWindow;
  if (batch) {
    world.director->set_stream_limits({.drain_batch_bytes = *batch});
  }
  auto wc = worker_config("worker-a");
  wc.token_interval = 0;  // as fast as flow control allows
  world.add_worker(wc);
  auto cc = client_config(1, kTokens);
  cc.log_tokens = false;
  world.clients.push_back(std::make_unique<ClientNode>(
      world, cc, rpc::testing::LinkConfig{.stream_window = 16 * 1024}));
  ClientNode& node = *world.clients.back();
  node.client->set_paused(true);
  world.run_for(30 * kSecond);
  Drained out;
  out.blocked = world.director->stats();
  out.window_filled =
      world.director_to_worker.begin()->second->link.max_unconsumed(rpc::testing::kClientSide);
  node.client->set_paused(false);
  out.done = world.run_until_clients_done(120 * kSecond);
  out.after = world.director->stats();
  out.summary = node.client->summary();
  std::printf(
      "window_filled=%zu max_outbox=%llu max_outbox_bytes=%llu max_turn_items=%llu "
      "max_turn_bytes=%llu drain_batches=%llu\n",
      out.window_filled,
      static_cast<unsigned long long>(out.after.max_outbox),
      static_cast<unsigned long long>(out.after.max_outbox_bytes),
      static_cast<unsigned long long>(out.after.max_turn_items),
      static_cast<unsigned long long>(out.after.max_turn_bytes),
      static_cast<unsigned long long>(out.after.drain_batches));
  return out;
}

void expect_served_once(const Drained& d) {
  ASSERT_TRUE(d.done);
  EXPECT_TRUE(d.summary.verified);
  EXPECT_EQ(d.summary.tokens, kTokens);
  EXPECT_EQ(d.summary.migrations, 0U);
  EXPECT_EQ(d.after.router.failovers, 0U);
  EXPECT_EQ(d.after.router.stalls, 0U);
  EXPECT_EQ(d.after.blocked_streams, 0U);
}

TEST(Drain, AnUnblockedClientsOutboxStaysUnderTheBatch) {
  const Drained d = block_then_drain(std::nullopt);
  // The setup holds: the client blocked and the worker filled most of the 8 MiB window.
  EXPECT_EQ(d.blocked.blocked_streams, 1U);
  EXPECT_GT(d.window_filled, kWorkerWindow / 2);
  expect_served_once(d);
  const std::size_t batch = StreamLimits{}.drain_batch_bytes;
  // Before the fix every item in the window became an outbox item in the unblocking turn:
  // max_outbox 329,045 items (10,298,033 bytes), 360,067 items (11,268,946 bytes) in one
  // turn. Now: 1 item (31 bytes), 12,321 items (385,372 bytes) in a turn, 30 batches.
  EXPECT_LE(d.after.max_outbox, 4U);
  EXPECT_LE(d.after.max_outbox_bytes, 4096U);
  // The batch counts WorkerItem bytes; each GenerateItem also names the worker (21 -> 31
  // bytes a token here), hence 2x.
  EXPECT_LE(d.after.max_turn_bytes, 2 * batch);
  EXPECT_GT(d.after.drain_batches, 1U);
}

TEST(Drain, TheBatchIsTheFlag) {
  constexpr std::size_t kBatch = 16 * 1024;
  const Drained d = block_then_drain(kBatch);
  expect_served_once(d);
  EXPECT_LE(d.after.max_outbox, 4U);
  EXPECT_LE(d.after.max_turn_bytes, 2 * kBatch);  // 24,141 bytes, 468 batches
  EXPECT_GT(d.after.drain_batches, kWorkerWindow / 2 / kBatch);
}

}  // namespace
}  // namespace connswap::services::testing
