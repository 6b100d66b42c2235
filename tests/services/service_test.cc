// End-to-end services over in-memory links: normal streams, summary, no worker, log lines,
// registry rules, backpressure.

#include <connswap/v1/worker.pb.h>
#include <gtest/gtest.h>

#include "rpc/client.h"
#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

TEST(Services, NormalStreamDeliversOneToSixtyExactlyOnce) {
  LogCapture director_log("director");
  LogCapture client_log("client");
  World world;
  world.add_worker(worker_config("worker-a"));
  world.add_worker(worker_config("worker-b"));
  auto& node = world.add_client(client_config());
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));

  const auto results = node.client->results();
  ASSERT_EQ(results.size(), 1U);
  ASSERT_TRUE(results[0].status);
  EXPECT_TRUE(results[0].status->ok()) << results[0].status->to_string();
  EXPECT_EQ(results[0].tally.tokens, 60U);
  EXPECT_EQ(results[0].tally.migrations, 0U);
  EXPECT_TRUE(results[0].tally.verified);
  EXPECT_EQ(client::format_summary(node.client->summary()),
            "summary connection.id=conn-1234 streams=1 tokens=60 migrations=0 lost=0 "
            "duplicated=0 out_of_order=0 resumes=0 rebinds=0 quic_handshakes=1 verified=true");
  // Seed lines, exactly (level + message).
  EXPECT_TRUE(director_log.contains(
      "info connection.id=conn-1234 worker=worker-a stream.id=1: 🔄 worker assigned to stream"));
  EXPECT_TRUE(client_log.contains(
      "info connection.id=conn-1234 worker=worker-a stream.id=1 sequence=1: 📦 received token"));
  EXPECT_TRUE(client_log.contains(
      "info connection.id=conn-1234 worker=worker-a stream.id=1 sequence=60: 📦 received token"));
  // 500 ms pacing: 60 tokens take about 30 s of virtual time.
  const auto stats = world.director->stats();
  EXPECT_EQ(stats.router.tokens_forwarded, 60U);
  EXPECT_EQ(stats.router.streams_ok, 1U);
  EXPECT_EQ(stats.active_streams, 0U);
  EXPECT_EQ(stats.workers.active, 2U);
  EXPECT_EQ(world.worker("worker-a").service->stats().streams_done, 1U);
}

TEST(Services, NoWorkerEndsUnavailableWithinTheWait) {
  World world;  // worker_wait 5 s
  auto& node = world.add_client(client_config());
  const Timestamp start = world.now;
  ASSERT_TRUE(world.run_until_clients_done(10 * kSecond));
  EXPECT_EQ(world.now, start + 5 * kSecond);
  const auto results = node.client->results();
  ASSERT_TRUE(results[0].status);
  EXPECT_EQ(results[0].status->code, rpc::StatusCode::kUnavailable);
  EXPECT_NE(results[0].status->message.find("no worker"), std::string::npos);
  EXPECT_FALSE(node.client->summary().verified);
  EXPECT_NE(client::format_summary(node.client->summary()).find("verified=false"),
            std::string::npos);
}

TEST(Services, RegistryRules) {
  World world;
  auto& a = world.add_worker(worker_config("worker-a"));
  EXPECT_TRUE(a.registration->registered());
  EXPECT_EQ(world.director->pool().size(), 1U);
  // Heartbeats every 5 s (heartbeat_timeout / 3) keep the worker alive for a minute.
  world.run_for(60 * kSecond);
  EXPECT_GE(a.registration->stats().heartbeats, 11U);
  EXPECT_EQ(world.director->pool().find("worker-a")->state, director::WorkerState::kActive);
  // Health on the worker's MGMT port.
  Conn admin(a.mgmt);
  std::optional<v1::HealthResponse> health;
  auto call = rpc::call_unary<v1::HealthRequest, v1::HealthResponse>(
      *admin.client,
      rpc::CallOptions{
          .method = std::string(kWorkerAdminHealth), .deadline = kNever, .metadata = {}},
      v1::HealthRequest(),
      [&](rpc::UnaryResult<v1::HealthResponse> r) {
        ASSERT_TRUE(r);
        health = *r;
      },
      world.now);
  ASSERT_TRUE(call);
  admin.link.pump(world.now);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->label(), "worker-a");
  EXPECT_TRUE(health->available());
  EXPECT_EQ(health->failure(), "serve");
}

// An unpaced worker writes a bounded batch per stream and turn, then asks to be called again
// at once (deadline() <= now), so the loop can flush between batches instead of queueing a
// whole send window per stream before the first byte leaves.
TEST(Services, UnpacedWorkerYieldsTheLoopBetweenBatches) {
  World world;
  auto wc = worker_config("worker-a");
  wc.token_interval = 0;
  WorkerNode& w = world.add_worker(wc);
  Conn direct(w.user);  // a caller as the director would be, straight to the worker's USER
  std::uint64_t received = 0;
  rpc::ClientCallbacks<v1::WorkerItem> callbacks;
  callbacks.on_message = [&](v1::WorkerItem&& item) { received += item.has_token() ? 1 : 0; };
  auto call = rpc::start_call<v1::WorkerGenerateRequest, v1::WorkerItem>(
      *direct.client,
      rpc::CallOptions{.method = std::string(kWorkerGenerate), .deadline = kNever, .metadata = {}},
      std::move(callbacks),
      world.now);
  ASSERT_TRUE(call);
  v1::WorkerGenerateRequest request;
  request.set_prompt("batches");
  request.set_max_tokens(100'000);
  ASSERT_TRUE(call->write(request));
  ASSERT_TRUE(call->half_close());
  direct.link.pump(world.now);  // the request arrives: the worker starts the stream
  const std::uint64_t first_batch = w.service->stats().tokens;
  EXPECT_GT(first_batch, 0U);
  EXPECT_LE(first_batch, 256U);
  EXPECT_LE(w.service->deadline(), world.now) << "the rest must follow at once";
  for (int turn = 0; turn < 4; ++turn) {
    w.service->on_timeout(world.now);
    direct.link.pump(world.now);
  }
  EXPECT_GT(received, first_batch);
  EXPECT_LE(w.service->stats().tokens, 5U * 256U);
}

TEST(Services, SlowClientIsBoundedAndNotMistakenForAStall) {
  World world;
  auto wc = worker_config("worker-a");
  wc.token_interval = 0;  // as fast as flow control allows
  world.add_worker(wc);
  world.add_worker(worker_config("worker-b"));
  auto cc = client_config(1, 200'000);  // far more than every queue on the way holds
  cc.log_tokens = false;
  // A client that does not read from the start: the director's queue to it fills, then its
  // worker call is paused and the worker blocks on flow control.
  world.clients.push_back(std::make_unique<ClientNode>(
      world, cc, rpc::testing::LinkConfig{.stream_window = 16 * 1024}));
  ClientNode& node = *world.clients.back();
  node.client->set_paused(true);
  world.run_for(30 * kSecond);
  const auto stats = world.director->stats();
  EXPECT_EQ(stats.blocked_streams, 1U);
  EXPECT_EQ(stats.client_blocks, 1U);
  EXPECT_EQ(stats.router.stalls, 0U);
  EXPECT_EQ(stats.router.failovers, 0U);
  EXPECT_LE(stats.max_outbox, 4U);
  EXPECT_LE(node.conn->link.max_buffered(rpc::testing::kServerSide), (1U << 20) + 100U);
  EXPECT_LT(stats.router.tokens_forwarded, 100'000U);
  const auto forwarded = stats.router.tokens_forwarded;
  world.run_for(30 * kSecond);
  EXPECT_EQ(world.director->stats().router.tokens_forwarded, forwarded) << "not bounded";
  // The client reads again: everything flows, still on worker-a, exactly once.
  node.client->set_paused(false);
  ASSERT_TRUE(world.run_until_clients_done(10 * kSecond));
  EXPECT_EQ(world.director->stats().router.failovers, 0U);
  EXPECT_EQ(world.director->stats().blocked_streams, 0U);
  const auto summary = node.client->summary();
  EXPECT_TRUE(summary.verified);
  EXPECT_EQ(summary.tokens, 200'000U);
  EXPECT_EQ(summary.migrations, 0U);
}

TEST(Services, ClientCancelStopsTheWorkerCall) {
  World world;
  auto& a = world.add_worker(worker_config("worker-a"));
  auto& node = world.add_client(client_config(3, 0));  // unbounded streams
  world.run_for(5 * kSecond);
  EXPECT_EQ(a.service->status().load, 3U);
  EXPECT_EQ(world.director->stats().active_streams, 3U);
  node.client->cancel();
  world.settle();
  EXPECT_EQ(world.director->stats().active_streams, 0U);
  EXPECT_EQ(world.director->stats().router.streams_cancelled, 3U);
  EXPECT_EQ(a.service->status().load, 0U);
  EXPECT_EQ(a.service->stats().streams_cancelled, 3U);
  ASSERT_TRUE(node.client->finished());
  EXPECT_EQ(node.client->results().at(0).status->code, rpc::StatusCode::kCancelled);
}

// The session book hears of tokens when it is read (forward_token only counts on the
// client stream): every reader sees every token forwarded so far, and a stream that ends
// books its last ones before it leaves the book.
TEST(Services, SessionBookCountsEveryForwardedToken) {
  World world;
  world.add_worker(worker_config("worker-a"));
  world.add_client(client_config(3, 40, "conn-book"));
  world.run_for(9 * kSecond);  // 500 ms pacing: part of each stream's 40 tokens

  const std::uint64_t forwarded = world.director->stats().router.tokens_forwarded;
  ASSERT_GT(forwarded, 0U);
  ASSERT_LT(forwarded, 120U);
  const migration::SessionInfo* open = world.director->sessions().find("conn-book");
  ASSERT_NE(open, nullptr);
  std::uint64_t per_stream = 0;
  for (const auto& [id, stream] : open->streams) {
    per_stream += stream.tokens;
  }
  EXPECT_EQ(per_stream, forwarded);
  EXPECT_EQ(open->tokens, forwarded);
  std::uint64_t on_status_page = 0;
  for (const StatusStream& s : world.director->stream_status()) {
    on_status_page += s.tokens;
  }
  EXPECT_EQ(on_status_page, forwarded);

  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  const migration::SessionInfo* done = world.director->sessions().find("conn-book");
  ASSERT_NE(done, nullptr);
  EXPECT_TRUE(done->streams.empty());
  EXPECT_EQ(done->tokens, 120U);
}

}  // namespace
}  // namespace connswap::services::testing
