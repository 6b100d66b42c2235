// Liveness probes (issue 18): a silent stream gets its worker probed; an unanswered probe
// fails every attempt on the worker at once; an answered one fails nothing.

#include <gtest/gtest.h>

#include "director/stream_router.h"
#include "router_harness.h"

namespace connswap::director {
namespace {

using testing::Harness;

constexpr Duration kGap = 25 * kMillisecond;

DirectorConfig probing() {
  return DirectorConfig{.min_stall = 2 * kSecond,
                        .probe_factor = 1.5,
                        .min_probe = 10 * kMillisecond,
                        .probe_timeout = 100 * kMillisecond};
}

// Streams `n` tokens of `attempt` one kGap apart, running timers in between.
std::uint64_t stream_tokens(Harness& h, AttemptId attempt, std::uint64_t first, int n) {
  std::uint64_t seq = first;
  for (int i = 0; i < n; ++i, ++seq) {
    h.run_until(h.now + kGap);
    h.token(attempt, seq);
  }
  return seq;
}

std::size_t probes_of(const Harness& h, const std::string& worker) {
  std::size_t n = 0;
  for (const ProbeWorker& p : h.all<ProbeWorker>()) {
    n += p.worker == worker ? 1 : 0;
  }
  return n;
}

// Two workers and one stream on worker-a that delivered 20 tokens on pace.
struct OneStream {
  Harness h{probing()};
  StreamKey key = 0;
  AttemptId attempt = 0;
  std::uint64_t next = 0;
  OneStream() {
    h.add_worker("worker-a");
    h.add_worker("worker-b");
    key = h.open(0);
    attempt = h.last_start(key)->attempt;
    next = stream_tokens(h, attempt, 1, 20);
  }
};

TEST(StreamRouterProbe, ASilentStreamProbesItsWorkerAfterOneAndAHalfGaps) {
  OneStream one;
  Harness& h = one.h;
  EXPECT_TRUE(h.all<ProbeWorker>().empty()) << "a stream on pace probes nothing";
  const Timestamp last = h.now;
  h.run_until(last + kGap * 3 / 2 - 1);
  EXPECT_TRUE(h.all<ProbeWorker>().empty());
  h.run_until(last + kGap * 3 / 2);
  ASSERT_EQ(h.all<ProbeWorker>().size(), 1U);
  EXPECT_EQ(h.all<ProbeWorker>()[0].worker, "worker-a");
  EXPECT_EQ(h.all<ProbeWorker>()[0].worker_addr, "addr-worker-a");
  EXPECT_EQ(h.router.stats().probes, 1U);
}

TEST(StreamRouterProbe, AnUnansweredProbeFailsEveryStreamOnTheWorkerAtOnce) {
  Harness h(probing());
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  std::vector<StreamKey> keys;
  std::vector<AttemptId> attempts;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(h.open(0));
    attempts.push_back(h.last_start(keys.back())->attempt);
  }
  // Round robin: streams 0 and 2 on worker-a. All deliver, then worker-a goes quiet.
  for (std::uint64_t seq = 1; seq <= 10; ++seq) {
    h.run_until(h.now + kGap);
    for (AttemptId a : attempts) {
      h.token(a, seq);
    }
  }
  for (std::uint64_t seq = 11; seq <= 14; ++seq) {  // only worker-b's streams go on
    h.run_until(h.now + kGap);
    h.token(attempts[1], seq);
    h.token(attempts[3], seq);
  }
  const auto probes = h.all<ProbeWorker>();
  ASSERT_EQ(probes.size(), 1U) << "one probe out per worker, for both of its streams";
  EXPECT_EQ(probes[0].worker, "worker-a");
  h.router.on_probe_result("worker-a", /*answered=*/false, 0, h.now);
  h.collect();
  EXPECT_EQ(h.router.stats().probes_unanswered, 1U);
  ASSERT_EQ(h.clients[keys[0]].migrated.size(), 1U);
  ASSERT_EQ(h.clients[keys[2]].migrated.size(), 1U);
  EXPECT_EQ(h.clients[keys[0]].migrated[0].reason, "stall");
  EXPECT_EQ(h.last_start(keys[0])->worker, "worker-b");
  EXPECT_EQ(h.last_start(keys[0])->request.start_seq, 11U);
  EXPECT_TRUE(h.clients[keys[1]].migrated.empty());
  EXPECT_EQ(h.all_events<WorkerUnresponsive>().size(), 1U);
}

TEST(StreamRouterProbe, AnAnsweredProbeFailsNothingAndTheStallDeadlineStillRules) {
  OneStream one;
  Harness& h = one.h;
  const StreamKey key = one.key;
  const Timestamp last = h.now;
  h.run_until(last + 50 * kMillisecond);
  ASSERT_EQ(h.all<ProbeWorker>().size(), 1U);
  // The worker is alive (a long pause in one stream: a GC, a slow prefill).
  h.router.on_probe_result("worker-a", /*answered=*/true, h.now, h.now);
  h.collect();
  h.run_until(last + 2 * kSecond - 1);
  EXPECT_TRUE(h.clients[key].migrated.empty()) << "a live worker's slow stream is not failed";
  EXPECT_EQ(h.all<ProbeWorker>().size(), 1U) << "one probe per silence";
  h.token(one.attempt, one.next);  // it comes back: a new silence may be probed again (its mean gap
  h.run_until(h.now + kSecond);    // now counts the pause)
  EXPECT_EQ(h.all<ProbeWorker>().size(), 2U);
  EXPECT_TRUE(h.clients[key].migrated.empty());
}

TEST(StreamRouterProbe, AStreamSilentAfterTheAnswerIsProbedAgain) {
  Harness h(probing());
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey first = h.open(0);
  const StreamKey second = h.open(0);
  const StreamKey third = h.open(0);  // worker-a again (round robin)
  const AttemptId a1 = h.last_start(first)->attempt;
  const AttemptId a3 = h.last_start(third)->attempt;
  (void)second;
  std::uint64_t seq = 1;
  for (; seq <= 10; ++seq) {
    h.run_until(h.now + kGap);
    h.token(a1, seq);
    h.token(a3, seq);
  }
  h.run_until(h.now + kGap);
  h.token(a3, seq);  // only the first goes quiet
  h.run_until(h.now + kGap);
  ASSERT_EQ(probes_of(h, "worker-a"), 1U);
  const Timestamp heard = h.now;
  // The third falls silent too while the probe is out (absorbed) ...
  h.run_until(h.now + 100 * kMillisecond);
  EXPECT_EQ(probes_of(h, "worker-a"), 1U);
  // ... and the answer's packet came before that: it does not cover the third.
  h.router.on_probe_result("worker-a", /*answered=*/true, heard, h.now);
  h.collect();
  EXPECT_EQ(probes_of(h, "worker-a"), 2U);
}

TEST(StreamRouterProbe, AFreshStreamWithoutARateIsProbedAfterOneProbeTimeout) {
  Harness h(probing());
  h.add_worker("worker-a");
  const Timestamp opened = h.now;
  h.open(0);
  h.run_until(opened + 100 * kMillisecond - 1);
  EXPECT_TRUE(h.all<ProbeWorker>().empty());
  h.run_until(opened + 100 * kMillisecond);
  EXPECT_EQ(h.all<ProbeWorker>().size(), 1U);
}

TEST(StreamRouterProbe, TheLastWorkerIsNotFailedByAProbe) {
  Harness h(probing());
  h.add_worker("worker-a");
  const StreamKey key = h.open(0);
  stream_tokens(h, h.last_start(key)->attempt, 1, 10);
  h.run_until(h.now + 50 * kMillisecond);
  ASSERT_EQ(h.all<ProbeWorker>().size(), 1U);
  h.router.on_probe_result("worker-a", /*answered=*/false, 0, h.now);
  h.collect();
  EXPECT_TRUE(h.clients[key].migrated.empty()) << "nowhere to go: the stall deadline decides";
  EXPECT_EQ(h.router.stats().probes_no_alternative, 1U);
  EXPECT_EQ(h.router.stats().probes_unanswered, 0U);
}

TEST(StreamRouterProbe, ProbeTimeoutZeroTurnsProbesOff) {
  DirectorConfig config = probing();
  config.probe_timeout = 0;
  Harness h(config);
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(0);
  stream_tokens(h, h.last_start(key)->attempt, 1, 5);
  h.run_until(h.now + kSecond);
  EXPECT_TRUE(h.all<ProbeWorker>().empty());
}

TEST(StreamRouterProbe, ABlockedClientsStreamIsNotProbed) {
  Harness h(probing());
  h.add_worker("worker-a");
  const StreamKey key = h.open(0);
  stream_tokens(h, h.last_start(key)->attempt, 1, 5);
  h.router.on_client_blocked(key, true, h.now);
  h.collect();
  h.run_until(h.now + kSecond);
  EXPECT_TRUE(h.all<ProbeWorker>().empty());
}

}  // namespace
}  // namespace connswap::director
