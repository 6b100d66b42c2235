// A request the director cannot forward is the request's fault, not a worker's: a client
// request that fits its own frame limit but not once the director adds the resume point
// (or, at a migration, the delivered prefix) ends INVALID_ARGUMENT at once, no worker is
// held or marked failed, and other clients are served as before.

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>

#include "services/convert.h"
#include "services/scenario.h"
#include "services/world.h"
#include "wire/frame.h"

namespace connswap::services::testing {
namespace {

// A prompt whose client request (start_seq 0, left out on the wire) fits
// wire::kDefaultMaxFrameSize and whose worker request (the same fields plus start_seq 1, as
// the director sends it) does not.
std::string prompt_that_only_fits_the_client_frame() {
  const std::size_t limit = wire::kDefaultMaxFrameSize;
  for (std::size_t n = limit - 64; n <= limit; ++n) {
    GenerateRequest r{.prompt = std::string(n, 'x'), .max_tokens = 20, .start_seq = 0};
    const std::size_t client = to_proto(r).ByteSizeLong();
    r.start_seq = kFirstSeq;
    const std::size_t worker = to_worker_request(r, {}).ByteSizeLong();
    if (client <= limit && worker > limit) {
      return r.prompt;
    }
  }
  ADD_FAILURE() << "no prompt size separates the two frames";
  return {};
}

TEST(LocalFault, UnforwardableRequestFailsOnlyItsStreamAndBlamesNoWorker) {
  World world;
  world.add_worker(worker_config("worker-a"));
  world.add_worker(worker_config("worker-b"));
  world.run_for(1 * kSecond);

  GenerateClientConfig big = client_config(1, 20, "conn-big");
  big.request.prompt = prompt_that_only_fits_the_client_frame();
  big.request.start_seq = 0;  // proto3 default: the director makes it 1
  big.log_tokens = false;
  auto& attacker = world.add_client(big);
  auto& honest = world.add_client(client_config(1, 20, "conn-honest"));
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));

  const auto bad = attacker.client->results();
  ASSERT_EQ(bad.size(), 1U);
  ASSERT_TRUE(bad[0].status);
  EXPECT_EQ(bad[0].status->code, rpc::StatusCode::kInvalidArgument) << bad[0].status->to_string();
  EXPECT_EQ(bad[0].tally.migrations, 0U);

  const auto good = honest.client->results();
  ASSERT_TRUE(good[0].status);
  EXPECT_TRUE(good[0].status->ok()) << good[0].status->to_string();
  EXPECT_TRUE(good[0].tally.verified);
  EXPECT_EQ(good[0].tally.migrations, 0U);

  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.router.failovers, 0U);
  EXPECT_EQ(stats.router.streams_refused, 1U);
  EXPECT_EQ(stats.workers.active, 2U);
  EXPECT_EQ(stats.workers.failed, 0U);
  EXPECT_EQ(stats.workers.lost, 0U);
}

// A prompt whose worker request fits the frame with up to ~500 bytes to spare: the first
// attempt starts, the next one (with a prefix of a few hundred tokens) cannot.
std::string prompt_that_leaves_no_room_for_a_prefix() {
  const std::size_t limit = wire::kDefaultMaxFrameSize;
  GenerateRequest r{.prompt = std::string(limit - 600, 'x'), .max_tokens = 400, .start_seq = 1};
  const std::size_t worker = to_worker_request(r, {}).ByteSizeLong();
  EXPECT_LE(worker, limit - 500);
  EXPECT_GT(worker, limit - 1000);
  return r.prompt;
}

// The whole prefix grows the worker request: a stream whose prompt leaves no room for it
// ends INVALID_ARGUMENT at its migration (the request cannot be sent to any worker), and
// neither the next worker nor other streams pay for it.
TEST(LocalFault, APrefixThatNoLongerFitsTheFrameEndsOnlyItsStream) {
  World world;
  world.add_worker(worker_config("worker-a", worker::FailMode::kError, 100 * kSecond));
  world.add_worker(worker_config("worker-b"));
  world.run_for(1 * kSecond);

  GenerateClientConfig big = client_config(1, 400, "conn-big");
  big.request.prompt = prompt_that_leaves_no_room_for_a_prefix();
  big.log_tokens = false;
  auto& heavy = world.add_client(big);
  auto& honest = world.add_client(client_config(1, 400, "conn-honest"));
  ASSERT_TRUE(world.run_until_clients_done(400 * kSecond));

  const auto bad = heavy.client->results();
  ASSERT_TRUE(bad[0].status);
  EXPECT_EQ(bad[0].status->code, rpc::StatusCode::kInvalidArgument) << bad[0].status->to_string();
  EXPECT_GT(bad[0].tally.tokens, 100U);  // it streamed until the migration
  const auto good = honest.client->results();
  ASSERT_TRUE(good[0].status);
  EXPECT_TRUE(good[0].status->ok()) << good[0].status->to_string();
  EXPECT_TRUE(good[0].tally.verified);

  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.router.streams_refused, 1U);
  EXPECT_EQ(stats.workers.failed + stats.workers.active, 2U);  // worker-a failed on its own
  EXPECT_EQ(stats.workers.lost, 0U);
}

}  // namespace
}  // namespace connswap::services::testing
