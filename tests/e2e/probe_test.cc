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

// Streams on worker-a, sends it `signo`, and checks the stream finished intact on worker-b
// with one migration for `reason` and `unresponsive` "worker unresponsive" log lines.
void fault_moves_stream(const Flags& director_flags,
                        int signo,
                        const std::string& reason,
                        std::size_t unresponsive) {
  Cluster c;
  auto& client = stream_on_worker_a(c, director_flags);
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(signo));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {reason});
  EXPECT_EQ(c.director().process->stderr_lines({"worker unresponsive"}).size(), unresponsive)
      << c.logs();
}

TEST(Probe, AStoppedWorkerIsFoundUnresponsiveWithEveryOtherDetectorOutOfReach) {
  fault_moves_stream(kSlowDetectors, SIGSTOP, "stall", 1);
}

TEST(Probe, AKilledWorkerIsFoundByTheProbesIcmp) {
  // The PING drew ICMP port-unreachable: the connection is lost, nothing waited for.
  fault_moves_stream(kSlowDetectors, SIGKILL, "connection_lost", 0);
}

TEST(Probe, WithProbesOffAStoppedWorkerIsLeftToTheStallDeadline) {
  fault_moves_stream(
      {{"--probe-timeout-ms", "0"}, {"--min-stall-ms", "500"}, {"--heartbeat-timeout-ms", "60000"}},
      SIGSTOP,
      "stall",
      0);
}

// --worker-connections 3 (issue 18): the streams on worker-a are spread over its three
// connections; a kill is still found by the probes' ICMP and a stop by one unanswered
// probe (every connection PINGed, none heard), and every stream moves once, intact.
void fault_moves_streams_over_connections(int signo,
                                          const std::string& reason,
                                          std::size_t unresponsive) {
  constexpr std::uint64_t kStreams = 6;  // round robin: 3 on each worker
  Cluster c;
  Flags director_flags = kSlowDetectors;
  director_flags["--worker-connections"] = "3";
  director_flags["--log-level"] = "debug";  // "connecting to worker" per connection
  c.start_director(director_flags);
  c.start_worker("worker-b", kWorkerFlags);
  c.start_worker("worker-a", kWorkerFlags);
  Flags client_flags = kClientFlags;
  client_flags["--streams"] = std::to_string(kStreams);
  auto& client = c.start_client("client", client_flags);
  ASSERT_TRUE(wait_token(client, 10)) << c.logs();
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(signo));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens, kStreams);
  EXPECT_EQ(summary.num("migrations"), kStreams / 2) << c.logs();
  for (const std::string& line : client.stderr_lines({"CONNECTION MIGRATION"})) {
    EXPECT_EQ(log_field(line, "from_worker"), "worker-a") << line;
    EXPECT_EQ(log_field(line, "reason"), reason) << line;
  }
  EXPECT_EQ(c.director().process->stderr_lines({"worker unresponsive"}).size(), unresponsive)
      << c.logs();
  // Three connections to each worker: worker-a's three streams went one on each, and
  // worker-b's six calls (three first, three moved) over its three.
  EXPECT_EQ(c.director().process->stderr_lines({"connecting to worker"}).size(), 6U) << c.logs();
}

TEST(Probe, AKilledWorkerWithSeveralConnectionsIsFoundByIcmp) {
  fault_moves_streams_over_connections(SIGKILL, "connection_lost", 0);
}

TEST(Probe, AStoppedWorkerWithSeveralConnectionsIsFoundUnresponsiveOnce) {
  fault_moves_streams_over_connections(SIGSTOP, "stall", 1);
}

}  // namespace
}  // namespace connswap::e2e
