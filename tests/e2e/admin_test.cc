// The director's connswap.v1.Migration service through connswap-ctl: drain a worker, move a
// stream to a named worker, list sessions; refused without a cluster certificate.

#include <gtest/gtest.h>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

constexpr std::uint64_t kTokens = 100;  // x 25 ms = 2.5 s

// Failure detection made slow (3 s), so a fast switch can only be make-before-break.
const Flags kSlowDetection = {{"--min-stall-ms", "3000"}, {"--first-token-timeout-ms", "5000"}};

// The stream id of the client's (single) stream, from its Assigned line.
std::string stream_id_of(const testing::Process& client) {
  auto lines = client.stderr_lines({"worker assigned to stream"});
  return lines.empty() ? std::string() : log_field(lines.front(), "stream.id");
}

void expect_no_gap(const testing::Process& client) {
  auto migrations = migrations_of(client);
  ASSERT_EQ(migrations.size(), 1U);
  const long long gap = token_gap_ms(client, migrations[0].resume_seq);
  EXPECT_GE(gap, 0);
  EXPECT_LT(gap, 1000) << "tokens " << migrations[0].resume_seq - 1 << " -> "
                       << migrations[0].resume_seq;
}

TEST(Admin, CtlDrainMovesAWorkersStreamsWithoutAGap) {
  Cluster c;
  c.start_director(kSlowDetection);
  c.start_worker("worker-b");
  c.start_worker("worker-a");  // round robin: the first stream goes to worker-a
  auto& client = c.start_client("client", {{"--max-tokens", std::to_string(kTokens)}});
  ASSERT_TRUE(wait_token(client, 5)) << c.logs();
  ASSERT_EQ(assigned_worker(client), "worker-a");

  auto drain = c.ctl({"drain", "worker-a"});
  EXPECT_TRUE(drain.status.ok()) << drain.err;
  EXPECT_NE(drain.out.find("drain worker=worker-a streams_moving=1"), std::string::npos)
      << drain.out;
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"drain"});
  expect_no_gap(client);
  EXPECT_FALSE(c.director().process->stderr_lines({"drain ordered by an operator"}).empty());

  // Unknown worker: NOT_FOUND, exit 1.
  auto unknown = c.ctl({"drain", "worker-zz"});
  EXPECT_EQ(unknown.status.code, 1);
  EXPECT_NE(unknown.err.find("NOT_FOUND"), std::string::npos) << unknown.err;
}

TEST(Admin, CtlMovesAStreamToANamedWorker) {
  Cluster c;
  c.start_director(kSlowDetection);
  c.start_worker("worker-b");
  c.start_worker("worker-c");
  c.start_worker("worker-a");
  auto& client = c.start_client("client", {{"--max-tokens", std::to_string(kTokens)}});
  ASSERT_TRUE(wait_token(client, 5)) << c.logs();
  ASSERT_EQ(assigned_worker(client), "worker-a");
  const std::string stream = stream_id_of(client);
  ASSERT_FALSE(stream.empty());

  auto bad = c.ctl({"move", "--connection", "conn-nobody", "--to", "worker-c"});
  EXPECT_EQ(bad.status.code, 1);
  EXPECT_NE(bad.err.find("NOT_FOUND"), std::string::npos) << bad.err;
  auto nowhere = c.ctl({"move", "--connection", "conn-client", "--to", "worker-zz"});
  EXPECT_EQ(nowhere.status.code, 1);
  EXPECT_NE(nowhere.err.find("FAILED_PRECONDITION"), std::string::npos) << nowhere.err;

  auto move =
      c.ctl({"move", "--connection", "conn-client", "--stream", stream, "--to", "worker-c"});
  EXPECT_TRUE(move.status.ok()) << move.err;
  EXPECT_NE(
      move.out.find("moving connection.id=conn-client stream.id=" + stream + " to_worker=worker-c"),
      std::string::npos)
      << move.out;
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens);
  expect_one_migration(c, client, summary, "worker-a", "worker-c", {"move"});
  expect_no_gap(client);
}

TEST(Admin, CtlListsSessionsWithTheirStreamsAndFigures) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-a");
  c.start_worker("worker-b");
  auto& client =
      c.start_client("client", {{"--streams", "2"}, {"--max-tokens", std::to_string(kTokens)}});
  ASSERT_TRUE(wait_token(client, 10)) << c.logs();

  auto live = c.ctl({"sessions"});
  ASSERT_TRUE(live.status.ok()) << live.err;
  EXPECT_NE(live.out.find("session connection.id=conn-client open=true"), std::string::npos)
      << live.out;
  std::size_t streams = 0;
  for (std::size_t at = 0;
       (at = live.out.find("  stream connection.id=conn-client", at)) != std::string::npos;
       ++at) {
    ++streams;
  }
  EXPECT_EQ(streams, 2U) << live.out;
  EXPECT_NE(live.out.find("state=streaming"), std::string::npos) << live.out;
  // The state machine's history, with reasons.
  EXPECT_NE(live.out.find("history"), std::string::npos) << live.out;
  EXPECT_NE(live.out.find("selecting -> starting on worker_selected: attempt on worker-"),
            std::string::npos)
      << live.out;
  EXPECT_NE(live.out.find("starting -> streaming on first_token"), std::string::npos) << live.out;
  EXPECT_NE(live.out.find("sessions shown=1 total=1"), std::string::npos) << live.out;

  auto json = c.ctl({"--json", "sessions", "--connection", "conn-client"});
  ASSERT_TRUE(json.status.ok()) << json.err;
  EXPECT_NE(json.out.find("\"connection_id\": \"conn-client\""), std::string::npos) << json.out;

  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, kTokens, 2);
  // Kept for the retention period after its last stream: the figures of the whole session.
  auto after = c.ctl({"sessions", "--connection", "conn-client"});
  ASSERT_TRUE(after.status.ok()) << after.err;
  EXPECT_NE(after.out.find("streams_opened=2 completed=2 failed=0 aborted=0 tokens=" +
                           std::to_string(2 * kTokens) + " migrations=0"),
            std::string::npos)
      << after.out;
  EXPECT_EQ(after.out.find("  stream "), std::string::npos) << after.out;
}

TEST(Admin, CtlWithoutAClusterCertificateIsRefused) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-a");
  // No certificate at all: the call reaches the director and is refused.
  auto anonymous = c.ctl({"sessions"}, /*present_cert=*/false);
  EXPECT_EQ(anonymous.status.code, 1);
  EXPECT_NE(anonymous.err.find("UNAUTHENTICATED"), std::string::npos) << anonymous.err;
  EXPECT_TRUE(anonymous.out.empty()) << anonymous.out;
  EXPECT_FALSE(
      c.director()
          .process
          ->stderr_lines(
              {"WARN", "refused a call without a client certificate", "Migration/ListSessions"})
          .empty())
      << c.logs();
  // A certificate from another CA: the handshake fails, nothing is called.
  const auto evil = c.make_certs("evil-certs");
  ASSERT_FALSE(evil.empty());
  auto foreign = c.ctl({"drain", "worker-a"}, /*present_cert=*/true, evil);
  EXPECT_EQ(foreign.status.code, 1) << foreign.out;
  EXPECT_TRUE(c.director().process->stderr_lines({"drain ordered"}).empty());
}

}  // namespace
}  // namespace connswap::e2e
