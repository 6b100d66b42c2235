// The cluster on an impaired network: every link (client <-> director, director <-> each
// worker's USER port, each worker -> director MGMT) runs through a connswap-impair relay
// with 5 % loss and 50 +- 10 ms one-way delay (seeded). Every stream must still be
// delivered exactly once and in order, a SIGKILLed worker's streams must move, and a 3 s
// blackhole between the director and one worker must be detected and its streams moved.

#include "e2e/impaired.h"

#include <cstdio>

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

// Each way, on every link.
const Flags kImpaired = {{"--loss", "0.05"}, {"--delay-ms", "50"}, {"--jitter-ms", "10"}};
constexpr std::uint64_t kStreams = 4;
constexpr std::uint64_t kTokens = 160;  // 4 s at 25 ms: the fault lands mid-stream

const Flags kClientFlags = {{"--streams", std::to_string(kStreams)},
                            {"--max-tokens", std::to_string(kTokens)}};

// Waits until worker-a has delivered `seq` tokens of some stream.
bool wait_worker_a(testing::Process& client, std::uint64_t seq) {
  return client.wait_for_log(
      {"received token", "worker=worker-a ", " sequence=" + std::to_string(seq) + ":"},
      kStreamBudget);
}

// Every stream intact; those that were on worker-a finished on worker-b. Prints each
// stream's figures. Returns how many streams left worker-a.
std::size_t expect_moved_off_a(const testing::Process& client) {
  const auto reports = stream_reports(client, kTokens);
  EXPECT_EQ(reports.size(), kStreams);
  std::size_t moved = 0;
  for (const auto& [stream, r] : reports) {
    EXPECT_TRUE(r.intact) << "stream " << stream;
    std::string path;
    for (const auto& w : r.workers) {
      path += (path.empty() ? "" : "->") + w;
    }
    std::string gaps;
    for (long long g : r.switch_gaps_ms) {
      gaps += (gaps.empty() ? "" : ",") + std::to_string(g);
    }
    std::printf("[ figures  ] stream=%llu workers=%s max_gap_ms=%lld switch_gaps_ms=%s\n",
                static_cast<unsigned long long>(stream),
                path.c_str(),
                r.max_gap_ms,
                gaps.empty() ? "-" : gaps.c_str());
    if (std::find(r.workers.begin(), r.workers.end(), "worker-a") != r.workers.end()) {
      EXPECT_EQ(r.workers.back(), "worker-b") << "stream " << stream << ": " << path;
      ++moved;
    }
  }
  return moved;
}

// Stops the cluster, then the relays; prints their stats and checks they did impair.
void expect_relays_impaired(ImpairedCluster& ic) {
  ic.cluster().shutdown();
  std::uint64_t lost = 0;
  for (const std::string& line : ic.stop_relays()) {
    std::printf("[ relay    ] %s\n", line.c_str());
    const std::string l = log_field(" " + line, "lost");
    lost += l.empty() ? 0 : std::stoull(l);
  }
  EXPECT_GT(lost, 0U) << "the relays dropped nothing: the test ran unimpaired";
}

TEST(ImpairedNetwork, LossAndDelayEveryStreamVerifiedAndKillFailsOver) {
  ImpairedCluster ic(kImpaired, 1400);
  ic.start_director();
  ic.start_worker("worker-a");
  ic.start_worker("worker-b");
  Cluster& c = ic.cluster();
  auto& client = ic.start_client("client", kClientFlags);
  ASSERT_TRUE(wait_worker_a(client, 20)) << c.logs();
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGKILL));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens, kStreams);
  EXPECT_GE(expect_moved_off_a(client), 1U);
  EXPECT_GE(summary.num("migrations"), 1U);
  std::printf("[ figures  ] kill: migrations=%llu\n",
              static_cast<unsigned long long>(summary.num("migrations")));
  expect_relays_impaired(ic);
}

TEST(ImpairedNetwork, BlackholeBetweenDirectorAndWorkerMovesItsStreams) {
  ImpairedCluster ic(kImpaired, 1500);
  ic.start_director();
  ic.start_worker("worker-a", {{"--signal-blackhole-ms", "3000"}});
  ic.start_worker("worker-b");
  Cluster& c = ic.cluster();
  auto& client = ic.start_client("client", kClientFlags);
  ASSERT_TRUE(wait_worker_a(client, 20)) << c.logs();
  testing::Process& relay_a = *ic.relay("worker-a").process;
  ASSERT_TRUE(relay_a.signal(SIGUSR1));
  ASSERT_TRUE(relay_a.wait_for_log({"blackhole on"}, kStartBudget));
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens, kStreams);
  EXPECT_GE(expect_moved_off_a(client), 1U);
  // Detected within the blackhole: the first move off worker-a comes before it ends.
  const long long on = log_time_us(relay_a.stderr_lines({"blackhole on"}).front());
  auto moves = client.stderr_lines({"CONNECTION MIGRATION", "from_worker=worker-a "});
  ASSERT_FALSE(moves.empty()) << c.logs();
  const long long detected_ms = (log_time_us(moves.front()) - on) / 1000;
  std::printf("[ figures  ] blackhole: detected_ms=%lld moves_off_a=%zu reason=%s\n",
              detected_ms,
              moves.size(),
              log_field(moves.front(), "reason").c_str());
  EXPECT_GE(detected_ms, 0);
  EXPECT_LT(detected_ms, 3000);
  // The link comes back by itself after 3 s (the relay's own timer).
  EXPECT_TRUE(relay_a.wait_for_log({"blackhole off"}, kStartBudget));
  expect_relays_impaired(ic);
}

}  // namespace
}  // namespace connswap::e2e
