// Streams that outlive their director, and a client that changes its UDP port mid-stream:
// the real programs, a cluster key file from connswap-keys, SIGKILL.

#include <set>

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

// 3 streams x 160 tokens x 25 ms = 4 s each: the director dies well before they end.
constexpr std::uint64_t kStreams = 3;
constexpr std::uint64_t kTokens = 160;
const Flags kClientFlags = {{"--streams", std::to_string(kStreams)},
                            {"--max-tokens", std::to_string(kTokens)}};

// Directors sharing `keys`, waiting long enough for workers to register again after a
// restart, with tickets every 10 tokens.
Flags director_flags(const std::filesystem::path& keys) {
  return {{"--cluster-key-file", keys.string()},
          {"--worker-wait-ms", "15000"},
          {"--resume-every-tokens", "10"}};
}

// Every stream complete and verified across the resume; one more handshake per reconnect.
void expect_resumed(Cluster& c,
                    testing::Process& client,
                    const Summary& summary,
                    std::uint64_t handshakes) {
  ASSERT_TRUE(summary.found) << c.logs();
  ASSERT_TRUE(client.status().has_value());
  EXPECT_TRUE(client.status()->ok()) << testing::to_string(*client.status()) << "\n" << c.logs();
  EXPECT_EQ(summary.at("verified"), "true") << c.logs();
  EXPECT_EQ(summary.num("streams"), kStreams);
  EXPECT_EQ(summary.num("tokens"), kStreams * kTokens);
  EXPECT_EQ(summary.num("lost"), 0U);
  EXPECT_EQ(summary.num("duplicated"), 0U);
  EXPECT_EQ(summary.num("out_of_order"), 0U);
  EXPECT_EQ(summary.num("resumes"), kStreams);
  EXPECT_EQ(summary.num("quic_handshakes"), handshakes);
  // Independently of the verifier: as many token lines as tokens, each stream resumed once.
  EXPECT_EQ(client.stderr_lines({"received token"}).size(), kStreams * kTokens);
  EXPECT_EQ(client.stderr_lines({"resuming stream"}).size(), kStreams) << c.logs();
  std::printf("[ resumed  ] %s: %s\n",
              client.name().c_str(),
              client.stdout_text().substr(0, client.stdout_text().find('\n')).c_str());
}

TEST(Resume, DirectorKilledAndRestartedMidStream) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  ASSERT_FALSE(keys.empty());
  Node& first = c.start_director(director_flags(keys));
  c.start_worker("worker-a");
  c.start_worker("worker-b");
  auto& client = c.start_client("client", kClientFlags);
  ASSERT_TRUE(wait_token(client, 30)) << c.logs();

  const std::string user = first.user();
  const std::string mgmt = first.mgmt();
  ASSERT_TRUE(first.process->signal(SIGKILL));
  ASSERT_TRUE(first.process->wait_exit(kStartBudget));
  Flags again = director_flags(keys);
  again["--user-addr"] = user;
  again["--mgmt-addr"] = mgmt;
  Node& second = c.start_director(again);

  auto summary = c.finish_client(client);
  expect_resumed(c, client, summary, 2);
  EXPECT_EQ(second.process->stderr_lines({"stream resumed"}).size(), kStreams) << c.logs();
}

TEST(Resume, TwoDirectorsOneKilledStreamsMoveToTheOther) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  ASSERT_FALSE(keys.empty());
  Node& one = c.start_director(director_flags(keys));
  Node& two = c.start_director(director_flags(keys));
  const Flags both = {{"--director-mgmt-addr", one.mgmt() + "," + two.mgmt()}};
  c.start_worker("worker-a", both);
  c.start_worker("worker-b", both);
  for (const char* w : {"worker=worker-a ", "worker=worker-b "}) {
    ASSERT_TRUE(one.process->wait_for_log({w, "worker registered"}, kStartBudget)) << c.logs();
  }
  Flags flags = kClientFlags;
  flags["--director"] = one.user() + "," + two.user();
  auto& client = c.start_client("client", flags);
  ASSERT_TRUE(wait_token(client, 30)) << c.logs();
  EXPECT_TRUE(two.process->stderr_lines({"worker assigned"}).empty());  // all on `one`

  ASSERT_TRUE(one.process->signal(SIGKILL));
  auto summary = c.finish_client(client);
  expect_resumed(c, client, summary, 2);
  EXPECT_EQ(two.process->stderr_lines({"stream resumed"}).size(), kStreams) << c.logs();
  EXPECT_GE(client.stderr_lines({"reconnecting", two.user()}).size(), 1U) << c.logs();
}

TEST(Resume, ADirectorWithAnotherKeyRefusesTheTickets) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  const auto other = c.make_key_file("other.keys");
  ASSERT_FALSE(keys.empty());
  ASSERT_FALSE(other.empty());
  Node& one = c.start_director(director_flags(keys));
  Node& stranger = c.start_director(director_flags(other));
  const Flags both = {{"--director-mgmt-addr", one.mgmt() + "," + stranger.mgmt()}};
  c.start_worker("worker-a", both);
  ASSERT_TRUE(one.process->wait_for_log({"worker=worker-a ", "worker registered"}, kStartBudget));
  Flags flags = {{"--max-tokens", "200"}, {"--reconnect-attempts", "3"}};
  flags["--director"] = one.user() + "," + stranger.user();
  auto& client = c.start_client("client", flags);
  ASSERT_TRUE(wait_token(client, 20)) << c.logs();

  ASSERT_TRUE(one.process->signal(SIGKILL));
  auto summary = c.finish_client(client);
  ASSERT_TRUE(summary.found) << c.logs();
  EXPECT_EQ(summary.at("verified"), "false");
  EXPECT_EQ(summary.num("resumes"), 0U);
  EXPECT_FALSE(client.stderr_lines({"UNAUTHENTICATED"}).empty()) << c.logs();
  EXPECT_FALSE(stranger.process->stderr_lines({"resume refused", "unknown_key"}).empty())
      << c.logs();
  EXPECT_TRUE(stranger.process->stderr_lines({"stream resumed"}).empty());
}

TEST(Rebind, ClientMovesItsUdpPortEvery200msWithOneHandshake) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-a");
  // 100 tokens x 25 ms = 2.5 s: about a dozen rebinds.
  auto& client = c.start_client("client", {{"--max-tokens", "100"}, {"--rebind-every-ms", "200"}});
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, 100);  // quic_handshakes=1 included
  EXPECT_EQ(summary.num("migrations"), 0U);
  EXPECT_GE(summary.num("rebinds"), 5U) << c.logs();
  // Each rebind was a validated path on a new local port.
  std::set<std::string> ports;
  for (const auto& line : client.stderr_lines({"migrated to"})) {
    ports.insert(line.substr(line.rfind(':') + 1));
  }
  EXPECT_GE(ports.size(), 5U) << c.logs();
  std::printf("[ rebinds  ] %llu rebinds, %zu validated local ports\n",
              static_cast<unsigned long long>(summary.num("rebinds")),
              ports.size());
}

}  // namespace
}  // namespace connswap::e2e
