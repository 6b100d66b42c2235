// Many streams through one router: completes quickly (no timing asserts) and stays exact.

#include <gtest/gtest.h>

#include "director/router_harness.h"
#include "director/stream_router.h"

namespace connswap::director {
namespace {

TEST(StreamRouterScale, TenThousandStreamsWithAFailover) {
  constexpr std::size_t kStreams = 10'000;
  constexpr std::uint64_t kTokens = 20;
  DirectorConfig config;
  WorkerPool pool(config);
  StreamRouter router(config, pool);
  Timestamp now = kSecond;
  for (const char* w : {"worker-a", "worker-b", "worker-c"}) {
    (void)pool.on_register({w, "u", "m", 0, true, false}, now);
  }
  std::unordered_map<StreamKey, AttemptId> attempt_of;
  std::unordered_map<AttemptId, std::string> worker_of;
  std::unordered_map<StreamKey, std::uint64_t> received;
  std::size_t ok = 0;
  auto drain = [&] {
    while (auto a = router.poll_action()) {
      if (auto* s = std::get_if<StartAttempt>(&*a)) {
        attempt_of[s->stream] = s->attempt;
        worker_of[s->attempt] = s->worker;
      } else if (auto* t = std::get_if<ForwardToken>(&*a)) {
        ASSERT_EQ(t->seq, ++received[t->stream]);
      } else if (auto* f = std::get_if<FinishStream>(&*a)) {
        ok += f->code == StatusCode::kOk ? 1 : 0;
      }
    }
    while (router.poll_event()) {
    }
  };
  std::vector<StreamKey> keys;
  for (std::size_t i = 0; i < kStreams; ++i) {
    keys.push_back(*router.open_stream("conn", i, {.prompt = "p", .max_tokens = kTokens}, now));
  }
  drain();
  for (std::uint64_t seq = 1; seq <= kTokens; ++seq) {
    now += 100 * kMillisecond;
    if (seq == 10) {
      router.on_worker_lost("worker-a", FailureReason::kHeartbeatLost, now);
      drain();
    }
    for (StreamKey key : keys) {
      // Resume from what the stream has received (migrated streams restart there).
      const std::uint64_t next = received[key] + 1;
      if (next <= kTokens && next <= seq) {
        router.on_worker_token(attempt_of[key], next, "t ", now);
      }
    }
    router.on_timeout(now);
    drain();
  }
  EXPECT_EQ(ok, kStreams);
  EXPECT_EQ(router.active_streams(), 0U);
  EXPECT_EQ(router.stats().tokens_forwarded, kStreams * kTokens);
  EXPECT_EQ(router.stats().failovers, router.stats().attempts_started - kStreams);
  EXPECT_GT(router.stats().failovers, kStreams / 4);
}

}  // namespace
}  // namespace connswap::director
