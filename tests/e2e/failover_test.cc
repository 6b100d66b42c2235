// One client stream across one worker failure, for each way a worker can fail: the stream
// continues on the other worker, every token exactly once and in order, one Migrated event
// with the right workers and reason, on one QUIC connection.

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

// Long enough that the failure lands mid-stream: 100 tokens x 25 ms = 2.5 s.
constexpr std::uint64_t kTokens = 100;
const Flags kClientFlags = {{"--max-tokens", std::to_string(kTokens)}};

// worker-b (healthy) and worker-a (with `a_flags`) registered; round robin places a fresh
// director's first stream on worker-a (labels rotate in order).
void start_pair(Cluster& c, const Flags& a_flags = {}, const Flags& director_flags = {}) {
  c.start_director(director_flags);
  c.start_worker("worker-b");
  c.start_worker("worker-a", a_flags);
}

// Starts a client and waits until worker-a has served it a few tokens.
testing::Process& client_on_worker_a(Cluster& c) {
  auto& client = c.start_client("client", kClientFlags);
  EXPECT_TRUE(wait_token(client, 5)) << c.logs();
  EXPECT_EQ(assigned_worker(client), "worker-a");
  return client;
}

TEST(Failover, InBandError) {
  Cluster c;
  // fail_after counts from worker-a's start: the client is streaming well before 2 s.
  start_pair(c, {{"--fail-mode", "error"}, {"--fail-after-ms", "2000"}});
  auto& client = client_on_worker_a(c);
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"error"});
  EXPECT_EQ(c.director()
                .process->stderr_lines({"worker failed - initiating connection migration"})
                .size(),
            1U);
}

TEST(Failover, KilledWorker) {
  Cluster c;
  start_pair(c);
  auto& client = client_on_worker_a(c);
  Node& a = *c.find_node("worker-a");
  ASSERT_TRUE(a.process->signal(SIGKILL));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  // However the director notices first: the lost connection, a reset, or silence.
  expect_one_migration(c,
                       client,
                       summary,
                       "worker-a",
                       "worker-b",
                       {"connection_lost", "reset", "refused", "stall", "heartbeat_lost"});
}

TEST(Failover, StoppedWorkerIsAStall) {
  Cluster c;
  start_pair(c);
  auto& client = client_on_worker_a(c);
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGSTOP));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  // No token for min_stall (500 ms), long before the 1.5 s heartbeat timeout.
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"stall"});
}

TEST(Failover, HungWorkerIsAHeartbeatLoss) {
  Cluster c;
  // A hang stops tokens and heartbeats; with the stall deadline far beyond the heartbeat
  // timeout, the missing heartbeats are what the director notices.
  // A hung worker never writes again, so it never learns that the director stopped
  // reading its stream (ngtcp2 0.12.1 reports STOP_SENDING only to a writer): its drain
  // at shutdown ends by the timeout.
  start_pair(c,
             {{"--fail-mode", "hang"}, {"--fail-after-ms", "2000"}, {"--drain-timeout-ms", "1000"}},
             {{"--min-stall-ms", "20000"}, {"--first-token-timeout-ms", "20000"}});
  auto& client = client_on_worker_a(c);
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"heartbeat_lost"});
}

TEST(Failover, DrainOnSigtermHasNoGap) {
  Cluster c;
  // Failure detection is made slow (3 s) so a fast switch can only be make-before-break.
  start_pair(c, {}, {{"--min-stall-ms", "3000"}, {"--first-token-timeout-ms", "5000"}});
  auto& client = client_on_worker_a(c);
  Node& a = *c.find_node("worker-a");
  ASSERT_TRUE(a.process->signal(SIGTERM));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"drain"});
  auto migrations = migrations_of(client);
  ASSERT_EQ(migrations.size(), 1U);
  const long long gap = token_gap_ms(client, migrations[0].resume_seq);
  EXPECT_GE(gap, 0);
  EXPECT_LT(gap, 1000) << "tokens " << migrations[0].resume_seq - 1 << " -> "
                       << migrations[0].resume_seq;
  // The drained worker exits 0 once its last stream has moved.
  auto status = a.process->wait_exit(kStreamBudget);
  ASSERT_TRUE(status) << c.logs();
  EXPECT_TRUE(status->ok()) << testing::to_string(*status) << "\n" << c.logs();
}

}  // namespace
}  // namespace connswap::e2e
