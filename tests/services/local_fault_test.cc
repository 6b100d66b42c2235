// A request the director cannot forward is the request's fault, not a worker's (issue 14
// item 1): a client request too large to carry the largest prefix a migration may add is
// refused INVALID_ARGUMENT at open, before any worker is chosen; a request at the limit
// migrates with the largest prefix and completes; no worker is held or marked failed.

#include <limits>

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>

#include "services/convert.h"
#include "services/detail/upstreams.h"
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

// A prompt whose client request (as GenerateClient sends it: start_seq 1) is `bytes` long.
std::string prompt_of_request_size(std::size_t bytes, std::uint32_t max_tokens) {
  for (std::size_t n = bytes > 16 ? bytes - 16 : 0; n <= bytes; ++n) {
    GenerateRequest r{.prompt = std::string(n, 'x'), .max_tokens = max_tokens};
    if (to_proto(r).ByteSizeLong() == bytes) {
      return r.prompt;
    }
  }
  ADD_FAILURE() << "no prompt makes a request of " << bytes << " bytes";
  return {};
}

// The attack: a client request that fits its own frame but not the worker's (the director
// adds start_seq) once marked both workers failed and slowed every other client.
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
  EXPECT_EQ(bad[0].tally.tokens, 0U);

  const auto good = honest.client->results();
  ASSERT_TRUE(good[0].status);
  EXPECT_TRUE(good[0].status->ok()) << good[0].status->to_string();
  EXPECT_TRUE(good[0].tally.verified);
  EXPECT_EQ(good[0].tally.migrations, 0U);

  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.requests_refused, 1U);
  EXPECT_EQ(stats.router.streams_opened, 1U);  // only the honest one reached the router
  EXPECT_EQ(stats.router.attempts_started, 1U);
  EXPECT_EQ(stats.router.failovers, 0U);
  EXPECT_EQ(stats.workers.active, 2U);
  EXPECT_EQ(stats.workers.failed, 0U);
  EXPECT_EQ(stats.workers.lost, 0U);
}

// One byte over max_request_bytes(): the first worker request would fit the frame, but a
// migration's largest prefix would not, so the stream is refused at open with the limit
// named, and no worker ever sees it.
TEST(LocalFault, ARequestWithNoRoomForAPrefixIsRefusedAtOpen) {
  World world;
  world.add_worker(worker_config("worker-a"));
  world.run_for(1 * kSecond);
  const std::size_t limit = max_request_bytes(world.director_config);
  EXPECT_EQ(world.director->max_request_bytes(), limit);
  EXPECT_EQ(limit, 3'014'640U);  // docs/PROTOCOL.md §7.1, with the default prefix bounds

  GenerateClientConfig big = client_config(1, 20, "conn-big");
  big.request.prompt = prompt_of_request_size(limit + 1, 20);
  big.log_tokens = false;
  auto& attacker = world.add_client(big);
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));

  const auto bad = attacker.client->results();
  ASSERT_TRUE(bad[0].status);
  EXPECT_EQ(bad[0].status->code, rpc::StatusCode::kInvalidArgument) << bad[0].status->to_string();
  EXPECT_NE(bad[0].status->message.find(std::to_string(limit)), std::string::npos)
      << bad[0].status->message;
  EXPECT_EQ(bad[0].tally.tokens, 0U);
  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.requests_refused, 1U);
  EXPECT_EQ(stats.router.attempts_started, 0U);
  const WorkerServiceStats seen = world.worker("worker-a").service->stats();
  EXPECT_EQ(seen.streams_accepted + seen.streams_refused, 0U);
}

// The bound itself: a request at max_request_bytes() with the largest start_seq and the
// largest prefix the director keeps (prefix_max_tokens entries holding prefix_max_bytes,
// or one entry holding them all) still fits the worker's frame.
TEST(LocalFault, TheLimitLeavesRoomForTheLargestPrefix) {
  director::DirectorConfig small;
  small.delivered_window = 64;
  small.prefix_max_tokens = 128;
  small.prefix_max_bytes = 1024;
  for (const director::DirectorConfig& config : {director::DirectorConfig{}, small}) {
    ASSERT_TRUE(director::validate(config));
    const std::size_t limit = max_request_bytes(config);
    GenerateRequest r{.prompt = prompt_of_request_size(limit, 400), .max_tokens = 400};
    r.start_seq = std::numeric_limits<std::uint64_t>::max();
    std::vector<std::string> many(config.prefix_max_tokens, std::string(1, 't'));
    many[0].resize(config.prefix_max_bytes - (config.prefix_max_tokens - 1), 't');
    EXPECT_LE(to_worker_request(r, many).ByteSizeLong(), wire::kDefaultMaxFrameSize);
    const std::vector<std::string> one{std::string(config.prefix_max_bytes, 't')};
    EXPECT_LE(to_worker_request(r, one).ByteSizeLong(), wire::kDefaultMaxFrameSize);
  }
}

// A request exactly at the limit on a director keeping small prefixes (so the prefix
// reaches its bounds before the failure): the next worker request carries the prefix and
// fits; the stream completes verified.
TEST(LocalFault, ARequestAtTheLimitMigrates) {
  director::DirectorConfig config;
  config.delivered_window = 64;
  config.prefix_max_tokens = 128;
  config.prefix_max_bytes = 1024;
  World world(config);
  world.add_worker(worker_config("worker-a", worker::FailMode::kError, 100 * kSecond));
  world.add_worker(worker_config("worker-b"));
  world.run_for(1 * kSecond);
  const std::size_t limit = max_request_bytes(config);
  EXPECT_EQ(limit,
            wire::kDefaultMaxFrameSize - 1024 - (std::size_t{4} * 128) - kWorkerRequestMargin);

  GenerateClientConfig big = client_config(1, 400, "conn-big");
  big.request.prompt = prompt_of_request_size(limit, 400);
  big.log_tokens = false;
  big.prefix_max_tokens = config.prefix_max_tokens;
  big.prefix_max_bytes = config.prefix_max_bytes;
  auto& heavy = world.add_client(big);
  auto& honest = world.add_client(client_config(1, 400, "conn-honest"));
  ASSERT_TRUE(world.run_until_clients_done(400 * kSecond));

  const auto r = heavy.client->results();
  ASSERT_TRUE(r[0].status);
  EXPECT_TRUE(r[0].status->ok()) << r[0].status->to_string();
  EXPECT_TRUE(r[0].tally.verified);
  EXPECT_GE(r[0].tally.migrations, 1U);
  const auto good = honest.client->results();
  ASSERT_TRUE(good[0].status);
  EXPECT_TRUE(good[0].status->ok()) << good[0].status->to_string();
  EXPECT_TRUE(good[0].tally.verified);

  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.requests_refused, 0U);
  EXPECT_EQ(stats.router.streams_refused, 0U);
  EXPECT_GE(stats.router.prefixes_truncated, 1U);  // the prefix reached its byte bound
  EXPECT_EQ(stats.workers.lost, 0U);
}

// Where a worker call's failure is classified: errors of this director's own making (a
// request over the frame limit, bad metadata, an encode failure, a call we cancelled) are
// kRequestRejected / kLocalFailure, which end only their stream (DirectorLocalFault in
// tests/director); only transport errors blame the worker's connection.
TEST(LocalFault, LocalErrorsAreNeverAWorkersFailure) {
  using director::AttemptEnd;
  EXPECT_EQ(detail::start_failure({Errc::kResourceExhausted, "frame"}),
            AttemptEnd::kRequestRejected);
  EXPECT_EQ(detail::start_failure({Errc::kInvalidArgument, "metadata"}),
            AttemptEnd::kRequestRejected);
  for (const Errc local : {Errc::kInternal, Errc::kFlowControl, Errc::kNotFound, Errc::kTls}) {
    EXPECT_EQ(detail::start_failure({local, "local"}), AttemptEnd::kLocalFailure);
  }
  for (const rpc::EndCause cause : {rpc::EndCause::kLocal, rpc::EndCause::kCancelled}) {
    rpc::Status status{rpc::StatusCode::kInternal, "encode failed"};
    status.cause = cause;
    EXPECT_EQ(detail::attempt_end(status), AttemptEnd::kLocalFailure);
  }
}

}  // namespace
}  // namespace connswap::services::testing
