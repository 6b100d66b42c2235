// connswap-client on its own edges: bad configuration, no director, SIGINT.

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

TEST(Client, BadConfigurationExits2) {
  Cluster c;
  for (const Flags& flags : {Flags{{"--streams", "0"}},
                             Flags{{"--director", "not-an-address"}},
                             Flags{{"--tls-ca", (c.dir() / "missing.pem").string()}},
                             Flags{{"--log-level", "loud"}},
                             Flags{{"--no-such-flag", "1"}}}) {
    auto& client = c.start_client("bad", flags);
    auto status = client.wait_exit(kStartBudget);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 2) << flags.begin()->first << "\n" << client.stderr_text();
    EXPECT_EQ(client.stderr_lines({"connswap-client: error:"}).size(), 1U) << client.stderr_text();
    EXPECT_EQ(client.stdout_text(), "");
  }
}

TEST(Client, NoDirectorFailsFast) {
  Cluster c;
  // Nothing listens on port 9 (discard) here: ICMP port-unreachable ends the handshake.
  auto& client = c.start_client("client", {{"--director", "127.0.0.1:9"}});
  auto status = client.wait_exit(kStartBudget);
  ASSERT_TRUE(status) << client.stderr_text();
  EXPECT_EQ(status->code, 1);
  auto summary = parse_summary(client.stdout_text());
  ASSERT_TRUE(summary.found) << client.stdout_text();
  EXPECT_EQ(summary.at("verified"), "false");
  EXPECT_EQ(summary.num("quic_handshakes"), 0U);
}

TEST(Client, SigintCancelsCleanly) {
  Cluster c;
  c.start_director({{"--worker-wait-ms", "60000"}});  // the stream waits for a worker
  auto& client = c.start_client("client");
  ASSERT_TRUE(c.director().process->wait_for_log({"no worker available, waiting"}, kStartBudget))
      << c.logs();
  ASSERT_TRUE(client.signal(SIGINT));
  auto status = client.wait_exit(kStartBudget);
  ASSERT_TRUE(status) << c.logs();
  EXPECT_EQ(status->code, 1) << testing::to_string(*status);
  EXPECT_EQ(client.stderr_lines({"cancelling streams"}).size(), 1U);
  auto summary = parse_summary(client.stdout_text());
  ASSERT_TRUE(summary.found);
  EXPECT_EQ(summary.at("verified"), "false");
  EXPECT_EQ(summary.num("quic_handshakes"), 1U);
}

}  // namespace
}  // namespace connswap::e2e
