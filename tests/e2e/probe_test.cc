// Liveness probes (issue 18) over real QUIC between real processes: a stream that falls
// silent gets its worker's connection PINGed. A killed worker's port answers with ICMP
// port-unreachable and the connection is lost at once; a stopped one answers nothing and is
// found unresponsive after --probe-timeout-ms. Every other detector is pushed out of reach
// (stall floor, first-token timeout and heartbeat timeout 60 s, keep-alive 20 s), so a
// stream that finishes here was moved by the probe.

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

constexpr std::uint64_t kTokens = 200;  // 200 x 25 ms = 5 s: the fault lands mid-stream
const Flags kClientFlags = {{"--max-tokens", std::to_string(kTokens)}};
const Flags kWorkerFlags = {{"--token-interval-ms", "25"}};
const Flags kSlowDetectors = {{"--min-stall-ms", "60000"},
                              {"--first-token-timeout-ms", "60000"},
                              {"--heartbeat-timeout-ms", "60000"},
                              {"--worker-keepalive-ms", "20000"}};

// worker-b then worker-a: round robin puts a fresh director's first stream on worker-a.
testing::Process& stream_on_worker_a(Cluster& c, const Flags& director_flags) {
  c.start_director(director_flags);
  c.start_worker("worker-b", kWorkerFlags);
  c.start_worker("worker-a", kWorkerFlags);
  auto& client = c.start_client("client", kClientFlags);
  EXPECT_TRUE(wait_token(client, 10)) << c.logs();
  EXPECT_EQ(assigned_worker(client), "worker-a");
  return client;
}

std::size_t unresponsive_lines(Cluster& c) {
  return c.director().process->stderr_lines({"worker unresponsive"}).size();
}

TEST(Probe, AStoppedWorkerIsFoundUnresponsiveWithEveryOtherDetectorOutOfReach) {
  Cluster c;
  auto& client = stream_on_worker_a(c, kSlowDetectors);
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGSTOP));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"stall"});
  EXPECT_EQ(unresponsive_lines(c), 1U) << c.logs();
}

TEST(Probe, AKilledWorkerIsFoundByTheProbesIcmp) {
  Cluster c;
  auto& client = stream_on_worker_a(c, kSlowDetectors);
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGKILL));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  // The PING drew ICMP port-unreachable: the connection is lost, nothing waited for.
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"connection_lost"});
  EXPECT_EQ(unresponsive_lines(c), 0U) << c.logs();
}

TEST(Probe, WithProbesOffAStoppedWorkerIsLeftToTheStallDeadline) {
  Cluster c;
  auto& client = stream_on_worker_a(c,
                                    {{"--probe-timeout-ms", "0"},
                                     {"--min-stall-ms", "500"},
                                     {"--heartbeat-timeout-ms", "60000"}});
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGSTOP));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"stall"});
  EXPECT_EQ(unresponsive_lines(c), 0U) << c.logs();
}

}  // namespace
}  // namespace connswap::e2e
