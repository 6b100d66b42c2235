// Resume tickets and the Migration admin service over in-memory links with virtual time:
// a stream outlives its director (restart, same cluster key), a director with another key
// refuses the tickets, and an operator lists, moves and drains streams.

#include <connswap/v1/migration.pb.h>
#include <gtest/gtest.h>

#include "migration/keys.h"
#include "rpc/client.h"
#include "services/common.h"
#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

migration::Keyring keyring(const std::string& id) {
  auto key = migration::generate_cluster_key(id);
  EXPECT_TRUE(key);
  auto ring = migration::Keyring::create(std::span(&*key, 1));
  EXPECT_TRUE(ring);
  return std::move(*ring);
}

// Every director of `world` (the current one and later restarts) resumes with `ring`.
void enable_resume(World& world, const migration::Keyring& ring) {
  world.on_director_start = [&world, ring](DirectorService& d) {
    d.enable_resume(ring,
                    ResumeConfig{.every_tokens = 5, .every = 0, .ttl_seconds = 300, .policy = {}},
                    [&world] { return world.wall_now(); });
  };
  world.on_director_start(*world.director);
}

// One unary call on the director's MGMT registry.
template <class Req, class Resp>
rpc::UnaryResult<Resp> mgmt_call(World& world, std::string_view method, const Req& request) {
  world.admin.push_back(std::make_unique<Conn>(*world.director_mgmt));
  Conn& conn = *world.admin.back();
  std::optional<rpc::UnaryResult<Resp>> result;
  rpc::CallOptions options;
  options.method = std::string(method);
  auto started = rpc::call_unary<Req, Resp>(
      *conn.client,
      options,
      request,
      [&](rpc::UnaryResult<Resp> r) { result = std::move(r); },
      world.now);
  EXPECT_TRUE(started);
  world.settle();
  EXPECT_TRUE(result.has_value());
  return result ? std::move(*result) : rpc::UnaryResult<Resp>(Unexpected(rpc::Status{}));
}

TEST(Resume, StreamsContinueOnARestartedDirectorWithTheSameKey) {
  World world;
  enable_resume(world, keyring("k1"));
  world.add_worker(worker_config("worker-a"));
  world.add_worker(worker_config("worker-b"));
  auto& node = world.add_client(client_config(2, 40));
  world.run_for(5 * kSecond);                             // ~10 tokens each at 500 ms
  EXPECT_GE(world.director->stats().tickets_issued, 4U);  // Assigned + every 5 tokens

  world.restart_director(/*tell_workers=*/true);
  EXPECT_EQ(node.client->interrupted(), 2U);
  EXPECT_FALSE(node.client->finished());
  EXPECT_EQ(world.reconnect(node), 2U);
  ASSERT_TRUE(world.run_until_clients_done(120 * kSecond));

  const client::ClientSummary summary = node.client->summary();
  EXPECT_TRUE(summary.verified) << client::format_summary(summary);
  EXPECT_EQ(summary.tokens, 80U);
  EXPECT_EQ(summary.resumes, 2U);
  EXPECT_EQ(summary.lost + summary.duplicated + summary.out_of_order, 0U);
  EXPECT_EQ(world.director->stats().resumes, 2U);
  EXPECT_EQ(world.director->stats().resumes_refused, 0U);
  // The resumed streams kept their ids, in the new director's session book.
  const migration::SessionInfo* session = world.director->sessions().find("conn-1234");
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->streams_opened, 2U);
  EXPECT_EQ(session->streams_completed, 2U);
}

// Found by the chaos soak (seed 14): a restarted director numbered its fresh streams from 1
// again, so a stream the client resumed there with its old id (same connection id) was
// taken for "the client's old call still open here" and the fresh stream was cancelled
// ("cancelled by client", 0 tokens). Fresh ids must not meet the ids resumed streams bring.
TEST(Resume, AResumedStreamDoesNotCancelAFreshStreamOfTheRestartedDirector) {
  World world;
  enable_resume(world, keyring("k1"));
  world.add_worker(worker_config("worker-a"));
  world.add_worker(worker_config("worker-b"));
  auto& old_streams = world.add_client(client_config(2, 40));
  world.run_for(5 * kSecond);
  world.restart_director(/*tell_workers=*/true);
  world.run_for(1 * kSecond);  // the workers register again
  // The same connection id opens fresh streams on the new director before it resumes.
  auto& fresh = world.add_client(client_config(2, 20));
  world.run_for(500 * kMillisecond);
  EXPECT_EQ(world.reconnect(old_streams), 2U);
  ASSERT_TRUE(world.run_until_clients_done(120 * kSecond));

  const client::ClientSummary resumed = old_streams.client->summary();
  EXPECT_TRUE(resumed.verified) << client::format_summary(resumed);
  EXPECT_EQ(resumed.resumes, 2U);
  const client::ClientSummary opened = fresh.client->summary();
  EXPECT_TRUE(opened.verified) << client::format_summary(opened);
  EXPECT_EQ(opened.tokens, 40U);
  for (const auto& r : fresh.client->results()) {
    ASSERT_TRUE(r.status);
    EXPECT_TRUE(r.status->ok()) << r.status->to_string();
  }
}

TEST(Resume, ADirectorWithAnotherKeyRefusesTheTicket) {
  World world;
  enable_resume(world, keyring("k1"));
  world.add_worker(worker_config("worker-a"));
  auto& node = world.add_client(client_config(1, 40));
  world.run_for(3 * kSecond);
  enable_resume(world, keyring("k2"));  // the next director holds another key
  world.restart_director(/*tell_workers=*/true);
  ASSERT_EQ(world.reconnect(node), 1U);
  ASSERT_TRUE(world.run_until_clients_done(30 * kSecond));
  const auto results = node.client->results();
  ASSERT_TRUE(results[0].status);
  EXPECT_EQ(results[0].status->code, rpc::StatusCode::kUnauthenticated)
      << results[0].status->to_string();
  EXPECT_NE(results[0].status->message.find("unknown_key"), std::string::npos);
  EXPECT_FALSE(node.client->summary().verified);
  EXPECT_EQ(world.director->stats().resumes_refused, 1U);
}

TEST(MigrationService, ListMoveAndDrain) {
  World world;
  world.add_worker(worker_config("worker-a"));
  world.add_worker(worker_config("worker-b"));
  world.add_worker(worker_config("worker-c"));
  auto& node = world.add_client(client_config(1, 60));
  world.run_for(3 * kSecond);

  v1::ListSessionsRequest list;
  auto sessions = mgmt_call<v1::ListSessionsRequest, v1::ListSessionsResponse>(
      world, kMigrationListSessions, list);
  ASSERT_TRUE(sessions) << sessions.error().to_string();
  ASSERT_EQ(sessions->sessions_size(), 1);
  const v1::SessionInfo& s = sessions->sessions(0);
  EXPECT_EQ(s.connection_id(), "conn-1234");
  ASSERT_EQ(s.streams_size(), 1);
  EXPECT_EQ(s.streams(0).state(), "streaming");
  EXPECT_EQ(s.streams(0).worker(), "worker-a");
  EXPECT_GE(s.streams(0).tokens(), 5U);
  ASSERT_GE(s.streams(0).history_size(), 2);
  EXPECT_NE(s.streams(0).history(1).find("starting -> streaming on first_token"),
            std::string::npos);

  v1::MoveStreamRequest move;
  move.mutable_stream()->set_connection_id("conn-1234");
  move.mutable_stream()->set_stream_id(s.streams(0).stream_id());
  move.set_to_worker("worker-c");
  auto moved =
      mgmt_call<v1::MoveStreamRequest, v1::MoveStreamResponse>(world, kMigrationMoveStream, move);
  ASSERT_TRUE(moved) << moved.error().to_string();
  ASSERT_EQ(moved->moving_size(), 1);
  world.run_for(3 * kSecond);
  EXPECT_EQ(node.client->results()[0].worker, "worker-c");
  EXPECT_EQ(world.director->stats().router.moves, 1U);

  v1::DrainWorkerRequest drain;
  drain.set_worker("worker-c");
  auto drained = mgmt_call<v1::DrainWorkerRequest, v1::DrainWorkerResponse>(
      world, kMigrationDrainWorker, drain);
  ASSERT_TRUE(drained) << drained.error().to_string();
  EXPECT_EQ(drained->streams_moving(), 1U);
  drain.set_worker("worker-zz");
  auto unknown = mgmt_call<v1::DrainWorkerRequest, v1::DrainWorkerResponse>(
      world, kMigrationDrainWorker, drain);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, rpc::StatusCode::kNotFound);

  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  const auto results = node.client->results();
  EXPECT_TRUE(results[0].tally.verified);
  EXPECT_EQ(results[0].tally.migrations, 2U);  // move, then drain
  EXPECT_EQ(world.director->stats().router.illegal_transitions, 0U);
}

}  // namespace
}  // namespace connswap::services::testing
