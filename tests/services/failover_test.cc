// End-to-end failover: in-band error, crash, hang, heartbeat loss, drain, a lone worker
// replaced within the wait. One director, two workers, fake links, virtual time.

#include <vector>

#include <gtest/gtest.h>

#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

using worker::FailMode;

struct Outcome {
  GenerateResult result;
  client::ClientSummary summary;
};

// Runs one 60-token stream to its end and returns what the client saw.
Outcome run_one(World& world, Duration limit = 120 * kSecond) {
  auto& node = world.add_client(client_config());
  EXPECT_TRUE(world.run_until_clients_done(limit));
  const auto results = node.client->results();
  EXPECT_EQ(results.size(), 1U);
  return {results.at(0), node.client->summary()};
}

void expect_verified(const Outcome& o, std::uint64_t migrations) {
  ASSERT_TRUE(o.result.status);
  EXPECT_TRUE(o.result.status->ok()) << o.result.status->to_string();
  EXPECT_EQ(o.result.tally.tokens, 60U);
  EXPECT_EQ(o.result.tally.lost, 0U);
  EXPECT_EQ(o.result.tally.duplicated, 0U);
  EXPECT_EQ(o.result.tally.mismatched, 0U);
  EXPECT_EQ(o.result.tally.migrations, migrations);
  EXPECT_TRUE(o.summary.verified);
}

TEST(Failover, InBandErrorMigratesOnceWithResumeSeq) {
  LogCapture director_log("director");
  LogCapture worker_log("worker");
  LogCapture client_log("client");
  World world;
  std::vector<Duration> gaps;  // the observer sees each gap the stats summarize
  world.director->on_failover_gap([&](Duration gap) { gaps.push_back(gap); });
  // The seed: worker-a fails 15 s in; with 500 ms tokens that is after token 30.
  world.add_worker(worker_config("worker-a", FailMode::kError, 15 * kSecond));
  world.add_worker(worker_config("worker-b"));
  const Outcome o = run_one(world);
  expect_verified(o, 1);
  EXPECT_EQ(o.result.worker, "worker-b");
  const auto stats = world.director->stats();
  ASSERT_EQ(gaps.size(), 1U);
  EXPECT_EQ(gaps[0], stats.failover_gap_max);
  EXPECT_GT(gaps[0], 0U);
  EXPECT_EQ(stats.migrations_by_reason[static_cast<int>(director::FailureReason::kWorkerError)],
            1U);
  EXPECT_EQ(stats.failover_gaps, 1U);
  EXPECT_EQ(stats.router.tokens_forwarded, 60U);
  // The seed's lines, exactly.
  EXPECT_TRUE(worker_log.contains(
      "warning worker=worker-a connection.id=conn-1234: ⚠️  simulating failure after 15s"));
  EXPECT_TRUE(director_log.contains(
      "warning stream.id=1 connection.id=conn-1234 worker=worker-a: ⚠️  worker failed - "
      "initiating connection migration"));
  EXPECT_TRUE(director_log.contains(
      "info stream.id=1 connection.id=conn-1234 from_worker=worker-a to_worker=worker-b: 🔀 "
      "migrating connection to new worker"));
  EXPECT_TRUE(client_log.contains(
      "info connection.id=conn-1234 from_worker=worker-a to_worker=worker-b reason=error "
      "resume_seq=31: 🔀 CONNECTION MIGRATION: switching workers"));
  EXPECT_TRUE(client_log.contains(
      "info connection.id=conn-1234 worker=worker-b stream.id=1 sequence=31: 📦 received "
      "token"));
  EXPECT_TRUE(client_log.contains(
      "info connection.id=conn-1234 worker=worker-a stream.id=1 sequence=30: 📦 received "
      "token"));
  // worker-a reports itself unavailable for the recovery window, then serves again.
  EXPECT_EQ(world.worker("worker-a").service->stats().streams_failed, 1U);
}

// Each way a worker can fail mid-stream, and the Migrated.reason the client must see.
TEST(Failover, EachFailureModeMigratesExactlyOnce) {
  struct Case {
    const char* name;
    FailMode mode;
    bool partition;  // cut worker-a's MGMT link silently instead of failing it
    director::FailureReason reason;
  };
  const auto cases = std::to_array<Case>({
      {"error", FailMode::kError, false, director::FailureReason::kWorkerError},
      {"crash", FailMode::kCrash, false, director::FailureReason::kConnectionLost},
      {"hang", FailMode::kHang, false, director::FailureReason::kStall},
      {"heartbeat loss", FailMode::kNone, true, director::FailureReason::kHeartbeatLost},
  });
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    // A slow stall detector, so that heartbeat loss (15 s) is what fires first when the
    // worker keeps streaming but its MGMT link is cut.
    director::DirectorConfig config;
    if (tc.partition) {
      config.min_stall = 60 * kSecond;
    }
    World world(config);
    auto& a = world.add_worker(worker_config("worker-a", tc.mode, 10 * kSecond));
    world.add_worker(worker_config("worker-b"));
    auto& node = world.add_client(client_config(1, 120));
    world.run_for(5 * kSecond);
    if (tc.partition) {
      a.to_director->frozen = true;
    }
    ASSERT_TRUE(world.run_until_clients_done(120 * kSecond));
    const auto r = node.client->results().at(0);
    ASSERT_TRUE(r.status);
    EXPECT_TRUE(r.status->ok()) << r.status->to_string();
    EXPECT_EQ(r.tally.tokens, 120U);
    EXPECT_EQ(r.tally.migrations, 1U);
    EXPECT_TRUE(node.client->summary().verified);
    EXPECT_EQ(r.worker, "worker-b");
    const auto stats = world.director->stats();
    EXPECT_EQ(stats.migrations_by_reason[static_cast<std::size_t>(tc.reason)], 1U);
    EXPECT_EQ(stats.router.failovers, 1U);
  }
}

TEST(Failover, DrainIsMakeBeforeBreakWithoutGap) {
  World world;
  auto& a = world.add_worker(worker_config("worker-a"));
  world.add_worker(worker_config("worker-b"));
  auto& node = world.add_client(client_config());
  world.run_for(10 * kSecond + 100 * kMillisecond);
  a.service->start_drain();
  a.registration->announce_drain(world.now);
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  EXPECT_TRUE(a.registration->drain_announced());
  const auto r = node.client->results().at(0);
  ASSERT_TRUE(r.status && r.status->ok());
  EXPECT_EQ(r.tally.tokens, 60U);
  EXPECT_EQ(r.tally.migrations, 1U);
  EXPECT_TRUE(node.client->summary().verified);
  const auto stats = world.director->stats();
  EXPECT_EQ(stats.router.drains, 1U);
  EXPECT_EQ(stats.router.failovers, 0U);
  EXPECT_EQ(stats.migrations_by_reason[static_cast<int>(director::FailureReason::kDrain)], 1U);
  // No gap: the token after the switch came no later than the normal pace.
  EXPECT_LE(stats.failover_gap_max, 500 * kMillisecond);
  // The draining worker refuses new streams, and reports itself draining.
  EXPECT_EQ(world.director->pool().find("worker-a")->state, director::WorkerState::kDraining);
  auto& second = world.add_client(client_config(1, 10, "conn-2"));
  ASSERT_TRUE(world.run_until_clients_done(30 * kSecond));
  EXPECT_EQ(second.client->results().at(0).worker, "worker-b");
  EXPECT_EQ(second.client->results().at(0).tally.migrations, 0U);
}

TEST(Failover, LoneWorkerFailsThenASecondRegistersWithinTheWait) {
  World world;  // worker_wait 5 s
  world.add_worker(worker_config("worker-a", FailMode::kError, 15 * kSecond));
  auto& node = world.add_client(client_config());
  world.run_for(15 * kSecond + 100 * kMillisecond);  // worker-a failed; the stream waits
  EXPECT_EQ(world.director->stats().router.tokens_forwarded, 30U);
  world.run_for(3 * kSecond);
  world.add_worker(worker_config("worker-b"));
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  const auto r = node.client->results().at(0);
  ASSERT_TRUE(r.status && r.status->ok()) << (r.status ? r.status->to_string() : "");
  EXPECT_EQ(r.tally.tokens, 60U);
  EXPECT_EQ(r.tally.migrations, 1U);
  EXPECT_EQ(r.worker, "worker-b");
  EXPECT_TRUE(node.client->summary().verified);
  EXPECT_GE(world.director->stats().failover_gap_max, 3 * kSecond);
}

TEST(Failover, LoneWorkerFailsAndNoneComesEndsUnavailable) {
  World world;
  world.add_worker(worker_config("worker-a", FailMode::kCrash, 15 * kSecond));
  auto& node = world.add_client(client_config());
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  const auto r = node.client->results().at(0);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->code, rpc::StatusCode::kUnavailable);
  EXPECT_EQ(r.tally.tokens, 30U);
  EXPECT_FALSE(node.client->summary().verified);
}

}  // namespace
}  // namespace connswap::services::testing
