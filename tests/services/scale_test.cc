// End-to-end at scale and across director restarts.

#include <gtest/gtest.h>

#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

using worker::FailMode;

TEST(Scale, FiftyStreamsFromTwoClientsAcrossAFailover) {
  World world;
  world.add_worker(worker_config("worker-a", FailMode::kError, 15 * kSecond));
  world.add_worker(worker_config("worker-b"));
  auto c1 = client_config(25, 60, "conn-1");
  auto c2 = client_config(25, 60, "conn-2");
  c1.log_tokens = c2.log_tokens = false;
  c2.request.prompt = "another story";
  auto& n1 = world.add_client(c1);
  auto& n2 = world.add_client(c2);
  ASSERT_TRUE(world.run_until_clients_done(120 * kSecond));
  std::uint64_t migrations = 0;
  for (ClientNode* n : {&n1, &n2}) {
    const auto summary = n->client->summary();
    EXPECT_TRUE(summary.verified) << client::format_summary(summary);
    EXPECT_EQ(summary.streams, 25U);
    EXPECT_EQ(summary.tokens, 25U * 60U);
    EXPECT_EQ(summary.lost + summary.duplicated + summary.out_of_order, 0U);
    migrations += summary.migrations;
  }
  // Round robin put half the streams on worker-a; each of those migrated once.
  EXPECT_EQ(migrations, 25U);
  const auto stats = world.director->stats();
  EXPECT_EQ(stats.router.streams_ok, 50U);
  EXPECT_EQ(stats.router.tokens_forwarded, 50U * 60U);
  EXPECT_EQ(stats.active_streams, 0U);
  EXPECT_EQ(client::format_summary(n1.client->summary()),
            "summary connection.id=conn-1 streams=25 tokens=1500 migrations=" +
                std::to_string(n1.client->summary().migrations) +
                " lost=0 duplicated=0 out_of_order=0 resumes=0 rebinds=0 quic_handshakes=1 "
                "verified=true");
}

TEST(Restart, WorkerRegistersAgainAfterNotFound) {
  World world;
  auto& a = world.add_worker(worker_config("worker-a"));
  world.run_for(5 * kSecond + 1);  // one heartbeat done, none in flight
  EXPECT_EQ(a.registration->stats().registrations, 1U);
  world.restart_director(/*tell_workers=*/false);
  EXPECT_EQ(world.director->pool().size(), 0U);
  world.run_for(5 * kSecond);  // the next heartbeat reaches the new director
  EXPECT_EQ(a.registration->stats().not_found, 1U);
  EXPECT_EQ(a.registration->stats().registrations, 2U);
  EXPECT_TRUE(a.registration->registered());
  ASSERT_NE(world.director->pool().find("worker-a"), nullptr);
  // And serves streams again.
  auto& node = world.add_client(client_config(1, 10));
  ASSERT_TRUE(world.run_until_clients_done(30 * kSecond));
  EXPECT_TRUE(node.client->summary().verified);
}

TEST(Restart, WorkerRegistersAgainAfterConnectionLoss) {
  World world;
  auto& a = world.add_worker(worker_config("worker-a"));
  world.restart_director(/*tell_workers=*/true);
  // Backoff starts at 100 ms (jittered to 50..100 ms).
  world.run_for(100 * kMillisecond);
  EXPECT_EQ(a.registration->stats().registrations, 2U);
  EXPECT_EQ(a.registration->stats().not_found, 0U);
  EXPECT_NE(world.director->pool().find("worker-a"), nullptr);
}

TEST(Restart, RegistrationBacksOffWhileTheDirectorIsUnreachable) {
  World world;
  world.director_reachable = false;
  auto& a = world.add_worker(worker_config("worker-a"));
  world.run_for(60 * kSecond);
  // Delays in [b/2, b] with b = 0.1 s doubling to 5 s: 15 to 30 attempts in a minute.
  const auto st = a.registration->stats();
  EXPECT_GE(st.register_failures, 15U);
  EXPECT_LE(st.register_failures, 30U);
  EXPECT_FALSE(a.registration->registered());
  world.director_reachable = true;
  world.run_for(5 * kSecond);
  EXPECT_TRUE(a.registration->registered());
}

}  // namespace
}  // namespace connswap::services::testing
