// The director's per-client stream limits (issue 14 item 3, StreamLimits) over in-memory
// links: a client that never reads cannot hold a worker forever, and the session book's
// stream and session caps refuse a stream at open instead of being ignored.

#include <algorithm>

#include <gtest/gtest.h>

#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

std::size_t count_code(const std::vector<GenerateResult>& results, rpc::StatusCode code) {
  return static_cast<std::size_t>(std::count_if(
      results.begin(), results.end(), [&](auto& r) { return r.status && r.status->code == code; }));
}

// A fast worker and a client whose window is small, so a paused client blocks its stream.
ClientNode& add_paused_client(World& world, std::uint32_t max_tokens) {
  auto cc = client_config(1, max_tokens);
  cc.log_tokens = false;
  world.clients.push_back(std::make_unique<ClientNode>(
      world, cc, rpc::testing::LinkConfig{.stream_window = 16 * 1024}));
  ClientNode& node = *world.clients.back();
  node.client->set_paused(true);
  return node;
}

TEST(Limits, ANonReadingUnboundedClientIsEndedAndFreesItsWorker) {
  World world;
  world.director->set_stream_limits({.blocked_lifetime = 10 * kSecond});
  auto wc = worker_config("worker-a");
  wc.token_interval = 0;
  auto& worker = world.add_worker(wc);
  ClientNode& node = add_paused_client(world, 0);  // max_tokens = 0: never ends by itself
  world.run_for(5 * kSecond);
  EXPECT_EQ(world.director->stats().blocked_streams, 1U);
  EXPECT_EQ(worker.service->status().load, 1U);  // the worker attempt is held
  world.run_for(10 * kSecond);
  const auto stats = world.director->stats();
  EXPECT_EQ(stats.blocked_too_long, 1U);
  EXPECT_EQ(stats.active_streams, 0U);
  EXPECT_EQ(stats.blocked_streams, 0U);
  EXPECT_EQ(stats.router.failovers, 0U);
  EXPECT_EQ(worker.service->status().load, 0U);  // the worker call was cancelled
  // When the client reads again it gets what was buffered, then a clear status.
  node.client->set_paused(false);
  ASSERT_TRUE(world.run_until_clients_done(10 * kSecond));
  const auto results = node.client->results();
  ASSERT_TRUE(results[0].status);
  EXPECT_EQ(results[0].status->code, rpc::StatusCode::kResourceExhausted);
  EXPECT_NE(results[0].status->message.find("did not read"), std::string::npos);
  EXPECT_GT(results[0].tally.tokens, 0U);
  EXPECT_EQ(results[0].tally.lost, 0U);
}

TEST(Limits, AClientBlockedLessThanTheLimitIsServedInFull) {
  World world;
  world.director->set_stream_limits({.blocked_lifetime = 10 * kSecond});
  auto wc = worker_config("worker-a");
  wc.token_interval = 0;
  world.add_worker(wc);
  ClientNode& node = add_paused_client(world, 50'000);
  world.run_for(8 * kSecond);
  EXPECT_EQ(world.director->stats().blocked_streams, 1U);
  node.client->set_paused(false);
  ASSERT_TRUE(world.run_until_clients_done(30 * kSecond));
  EXPECT_EQ(world.director->stats().blocked_too_long, 0U);
  EXPECT_TRUE(node.client->summary().verified);
  EXPECT_EQ(node.client->summary().tokens, 50'000U);
}

TEST(Limits, StreamsOverThePerConnectionCapAreRefused) {
  World world;
  world.director->set_stream_limits({.max_streams_per_connection = 2});
  auto& worker = world.add_worker(worker_config("worker-a"));
  auto& node = world.add_client(client_config(3, 0));  // three unbounded streams
  world.run_for(5 * kSecond);
  const auto results = node.client->results();
  ASSERT_EQ(count_code(results, rpc::StatusCode::kResourceExhausted), 1U);
  EXPECT_EQ(worker.service->status().load, 2U);  // the refused one never reached a worker
  const auto stats = world.director->stats();
  EXPECT_EQ(stats.refused_streams_per_connection, 1U);
  EXPECT_EQ(stats.active_streams, 2U);
  for (const auto& r : results) {
    if (r.status) {
      EXPECT_NE(r.status->message.find("too many open streams"), std::string::npos);
    }
  }
}

TEST(Limits, ANewConnectionIdPastTheSessionCapIsRefused) {
  World world;
  world.director->set_stream_limits({.max_sessions = 1});
  world.add_worker(worker_config("worker-a"));
  auto& first = world.add_client(client_config(1, 0, "conn-first"));
  world.run_for(2 * kSecond);
  auto& second = world.add_client(client_config(1, 0, "conn-second"));
  world.run_for(2 * kSecond);
  ASSERT_TRUE(second.client->results()[0].status);
  EXPECT_EQ(second.client->results()[0].status->code, rpc::StatusCode::kResourceExhausted);
  EXPECT_FALSE(first.client->results()[0].status);  // still streaming
  EXPECT_EQ(world.director->stats().refused_sessions, 1U);
}

}  // namespace
}  // namespace connswap::services::testing
