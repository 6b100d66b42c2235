// StreamRouter failure handling: in-band error, stall, heartbeat loss, drain, limits, waits.

#include <gtest/gtest.h>

#include "director/router_harness.h"
#include "director/stream_router.h"

namespace connswap::director {
namespace {

using testing::Harness;
using testing::iota_seqs;
using testing::text_for;

constexpr Duration kTick = 500 * kMillisecond;

// Feeds seqs [first, last] from `attempt`, one per `tick`.
void feed(Harness& h, AttemptId attempt, std::uint64_t first, std::uint64_t last, Duration tick) {
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    h.now += tick;
    h.token(attempt, seq);
  }
}

TEST(StreamRouterFailover, InBandErrorAtThirtyMigratesAtThirtyOne) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(60);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 30, kTick);
  h.now += 100 * kMillisecond;
  h.router.on_worker_error(a, FailureReason::kWorkerError, "simulated failure", h.now);
  h.collect();

  const auto b = h.last_start(key);
  EXPECT_EQ(b->worker, "worker-b");
  EXPECT_EQ(b->request.start_seq, 31U);
  ASSERT_EQ(b->prefix.size(), 30U);
  EXPECT_EQ(b->prefix.tokens().front(), text_for(1));
  EXPECT_EQ(b->prefix.tokens().back(), text_for(30));
  EXPECT_TRUE(h.cancelled[a]);
  ASSERT_EQ(h.all_events<WorkerFailed>().size(), 1U);
  EXPECT_EQ(h.all_events<WorkerFailed>()[0].worker, "worker-a");
  ASSERT_EQ(h.all_events<MigratingStream>().size(), 1U);

  h.now += 50 * kMillisecond;
  h.token(b->attempt, 30);  // a worker resending the last delivered token: duplicate
  feed(h, b->attempt, 31, 60, kTick);

  const auto& c = h.clients[key];
  EXPECT_EQ(c.seqs, iota_seqs(1, 60));
  ASSERT_EQ(c.migrated.size(), 1U);
  EXPECT_EQ(c.migrated[0].from, "worker-a");
  EXPECT_EQ(c.migrated[0].to, "worker-b");
  EXPECT_EQ(c.migrated[0].reason, "error");
  EXPECT_EQ(c.migrated[0].resume_seq, 31U);
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->code, StatusCode::kOk);
  EXPECT_EQ(c.finish->tokens, 60U);
  const auto gaps = h.all_events<FailoverGap>();
  ASSERT_EQ(gaps.size(), 1U);
  EXPECT_EQ(gaps[0].gap, 100 * kMillisecond + 50 * kMillisecond + kTick);
  EXPECT_EQ(h.router.stats().duplicates_dropped, 1U);
  // The failed worker is on hold, so new streams avoid it.
  EXPECT_EQ(h.pool.find("worker-a")->state, WorkerState::kFailed);
}

TEST(StreamRouterFailover, StallDeadlineAdaptsToTokenRate) {
  struct Case {
    const char* name;
    Duration tick;
    Duration expected_window;  // max(min_stall 2 s, 4 x tick)
  };
  const auto cases = std::to_array<Case>({
      {"fast tokens use min_stall", 100 * kMillisecond, 2 * kSecond},
      {"slow tokens use factor x gap", 1 * kSecond, 4 * kSecond},
  });
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    Harness h;
    h.add_worker("worker-a");
    h.add_worker("worker-b");
    const StreamKey key = h.open(100);
    const AttemptId a = h.last_start(key)->attempt;
    feed(h, a, 1, 10, tc.tick);
    const Timestamp last = h.now;
    h.run_until(last + tc.expected_window - 1);
    EXPECT_EQ(h.last_start(key)->attempt, a) << "stalled too early";
    h.run_until(last + tc.expected_window);
    const auto b = h.last_start(key);
    ASSERT_NE(b->attempt, a);
    EXPECT_EQ(b->request.start_seq, 11U);
    ASSERT_EQ(h.clients[key].migrated.size(), 1U);
    EXPECT_EQ(h.clients[key].migrated[0].reason, "stall");
    EXPECT_EQ(h.router.stats().stalls, 1U);
  }
}

TEST(StreamRouterFailover, FirstTokenDeadline) {
  Harness h(DirectorConfig{.first_token_timeout = 3 * kSecond, .probe_timeout = 0});  // no probes
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const Timestamp opened = h.now;
  const StreamKey key = h.open(10);
  EXPECT_EQ(h.router.deadline(), opened + 3 * kSecond);
  h.run_until(opened + 3 * kSecond);
  EXPECT_EQ(h.last_start(key)->worker, "worker-b");
  EXPECT_EQ(h.last_start(key)->request.start_seq, 1U);
  EXPECT_EQ(h.clients[key].migrated.at(0).reason, "stall");
}

TEST(StreamRouterFailover, HeartbeatLossMigrates) {
  Harness h(DirectorConfig{.heartbeat_timeout = 15 * kSecond});
  const Timestamp t0 = h.now;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(0);
  const AttemptId a = h.last_start(key)->attempt;
  // worker-a keeps streaming but stops heartbeating; worker-b heartbeats every 5 s.
  std::uint64_t seq = 1;
  for (Timestamp t = t0 + kTick; t < t0 + 15 * kSecond; t += kTick) {
    h.run_until(t);
    if ((t - t0) % (5 * kSecond) == 0) {
      h.heartbeat("worker-b");
    }
    h.token(a, seq++);
  }
  EXPECT_TRUE(h.clients[key].migrated.empty());
  h.run_until(t0 + 15 * kSecond);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].reason, "heartbeat_lost");
  EXPECT_EQ(h.clients[key].migrated[0].resume_seq, seq);
  EXPECT_EQ(h.last_start(key)->worker, "worker-b");
  EXPECT_EQ(h.pool.find("worker-a")->state, WorkerState::kLost);
  EXPECT_EQ(h.pool.counts().lost, 1U);
}

TEST(StreamRouterFailover, DrainIsMakeBeforeBreak) {
  struct Case {
    const char* name;
    bool old_delivers_first;  // the draining worker wins the race for the next seq
  };
  for (const auto& tc :
       std::to_array<Case>({{"old worker first", true}, {"new worker first", false}})) {
    SCOPED_TRACE(tc.name);
    // No retries: a standby behind the old worker takes over at its first duplicate (the
    // restart rule is in stream_router_handover_test.cc).
    Harness h(DirectorConfig{.handover_retries = 0});
    h.add_worker("worker-a");
    h.add_worker("worker-b");
    const StreamKey key = h.open(30);
    const AttemptId a = h.last_start(key)->attempt;
    feed(h, a, 1, 10, kTick);
    h.router.on_worker_draining("worker-a", h.now);
    h.collect();
    const auto b = h.last_start(key);
    ASSERT_NE(b->attempt, a);
    EXPECT_EQ(b->worker, "worker-b");
    EXPECT_EQ(b->request.start_seq, 11U);
    EXPECT_EQ(b->prefix.size(), 10U);
    EXPECT_FALSE(h.cancelled.contains(a));  // the old attempt keeps streaming
    EXPECT_TRUE(h.clients[key].migrated.empty());
    EXPECT_EQ(h.router.status(key)->state, migration::MigrationState::kHandover);

    h.now += kTick;
    if (tc.old_delivers_first) {
      h.token(a, 11);
      h.now += 20 * kMillisecond;
      h.token(b->attempt, 11);  // overlap: dropped, but proves the new attempt alive
    } else {
      h.token(b->attempt, 11);
      h.token(a, 11);  // overlap from the old attempt, now cancelled: stale
    }
    EXPECT_TRUE(h.cancelled[a]);
    ASSERT_EQ(h.clients[key].migrated.size(), 1U);
    EXPECT_EQ(h.clients[key].migrated[0].reason, "drain");
    EXPECT_EQ(h.clients[key].migrated[0].resume_seq, tc.old_delivers_first ? 12U : 11U);
    h.token(a, 12);  // the old worker continues until it sees the cancel: ignored
    feed(h, b->attempt, 12, 30, kTick);
    EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 30));
    EXPECT_EQ(h.clients[key].finish->code, StatusCode::kOk);
    EXPECT_EQ(h.router.stats().drains, 1U);
    EXPECT_EQ(h.router.stats().failovers, 0U);
    for (const auto& g : h.all_events<FailoverGap>()) {
      // One token interval plus the 20 ms skew between the two workers: no detection delay.
      EXPECT_LE(g.gap, kTick + 20 * kMillisecond) << "drain must not add a failover gap";
    }
  }
}

// A standby that was started at the drain but answers only after the old worker went on
// (a model server busy with another request) takes over behind the stream and regenerates
// tokens the client already has. Those duplicates are its progress: no stall while it
// catches up, then it continues the stream. (Out of restarts: handover_retries 0.)
TEST(StreamRouterFailover, StandbyCatchingUpThroughDuplicatesIsNotAStall) {
  Harness h(DirectorConfig{.handover_retries = 0});
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(200);
  const AttemptId a = h.last_start(key)->attempt;
  constexpr Duration kFast = 10 * kMillisecond;
  feed(h, a, 1, 100, kFast);  // EWMA gap 10 ms: the stall window is min_stall (2 s)
  h.router.on_worker_draining("worker-a", h.now);
  h.collect();
  const AttemptId b = h.last_start(key)->attempt;
  ASSERT_NE(b, a);
  feed(h, a, 101, 150, kFast);  // the old worker keeps the stream meanwhile
  feed(h, b, 101, 101, kFast);  // the standby's first token: a duplicate, it takes over
  ASSERT_TRUE(h.cancelled[a]);
  // 3 s of duplicates, one per ~60 ms, the router's timers running in between: longer
  // than min_stall (2 s) without a forwarded token.
  for (std::uint64_t seq = 102; seq <= 150; ++seq) {
    h.run_until(h.now + 3 * kSecond / 49);
    h.token(b, seq);
  }
  EXPECT_EQ(h.router.stats().stalls, 0U);
  feed(h, b, 151, 200, kFast);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 200));
  EXPECT_EQ(h.clients[key].finish->code, StatusCode::kOk);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].reason, "drain");
}

TEST(StreamRouterFailover, DrainOldFailsBeforeSwitchPromotesStandby) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(20);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 5, kTick);
  h.router.on_worker_draining("worker-a", h.now);
  h.collect();
  const AttemptId b = h.last_start(key)->attempt;
  const std::size_t starts = h.all<StartAttempt>().size();
  h.router.on_worker_error(a, FailureReason::kConnectionLost, "closed", h.now);
  h.collect();
  EXPECT_EQ(h.all<StartAttempt>().size(), starts);  // no new attempt: the standby takes over
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].to, "worker-b");
  EXPECT_EQ(h.clients[key].migrated[0].reason, "connection_lost");
  feed(h, b, 6, 20, kTick);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 20));
}

TEST(StreamRouterFailover, MigrationLimitEndsUnavailable) {
  Harness h(DirectorConfig{.migration_limit = 3});
  for (const char* w : {"w1", "w2", "w3", "w4", "w5"}) {
    h.add_worker(w);
  }
  const StreamKey key = h.open(100);
  std::uint64_t seq = 1;
  for (int failure = 1; failure <= 4; ++failure) {
    const AttemptId attempt = h.last_start(key)->attempt;
    h.token(attempt, seq++);
    h.router.on_worker_error(attempt, FailureReason::kWorkerError, "boom", h.now);
    h.collect();
  }
  const auto& c = h.clients[key];
  EXPECT_EQ(c.migrated.size(), 3U);
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->code, StatusCode::kUnavailable);
  EXPECT_NE(c.finish->message.find("migration limit"), std::string::npos);
  EXPECT_EQ(c.seqs, iota_seqs(1, 4));
  EXPECT_EQ(h.router.active_streams(), 0U);
}

TEST(StreamRouterFailover, NoWorkerWaitsThenUnavailableOrContinues) {
  struct Case {
    const char* name;
    bool register_in_time;
  };
  for (const auto& tc :
       std::to_array<Case>({{"nobody comes", false}, {"worker registers", true}})) {
    SCOPED_TRACE(tc.name);
    Harness h(DirectorConfig{.worker_wait = 5 * kSecond});
    const Timestamp t0 = h.now;
    const StreamKey key = h.open(3);
    EXPECT_FALSE(h.last_start(key));
    ASSERT_EQ(h.all_events<WaitingForWorker>().size(), 1U);
    EXPECT_EQ(h.router.deadline(), t0 + 5 * kSecond);
    h.run_until(t0 + 2 * kSecond);
    if (tc.register_in_time) {
      h.add_worker("worker-a");
      const auto s = h.last_start(key);
      ASSERT_TRUE(s);
      EXPECT_EQ(h.clients[key].assigned, std::vector<std::string>{"worker-a"});
      feed(h, s->attempt, 1, 3, kTick);
      EXPECT_EQ(h.clients[key].finish->code, StatusCode::kOk);
      EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 3));
    } else {
      h.run_until(t0 + 5 * kSecond);
      ASSERT_TRUE(h.clients[key].finish);
      EXPECT_EQ(h.clients[key].finish->code, StatusCode::kUnavailable);
      EXPECT_EQ(h.router.deadline(), kNever);
    }
  }
}

TEST(StreamRouterFailover, SingleWorkerRecoversWithinWait) {
  // The seed's one-worker case: worker-a errors, is held off, then comes back.
  Harness h(DirectorConfig{.failure_hold = 2 * kSecond, .worker_wait = 5 * kSecond});
  h.add_worker("worker-a");
  const StreamKey key = h.open(10);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 4, kTick);
  const Timestamp failed_at = h.now;
  h.router.on_worker_error(a, FailureReason::kWorkerError, "simulated", h.now);
  h.collect();
  EXPECT_EQ(h.router.status(key)->state, migration::MigrationState::kSelecting);
  h.run_until(failed_at + 2 * kSecond);  // the failure hold ends: the pool wakes the stream
  const auto again = h.last_start(key);
  ASSERT_NE(again->attempt, a);
  EXPECT_EQ(again->worker, "worker-a");
  EXPECT_EQ(again->request.start_seq, 5U);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].from, "worker-a");
  feed(h, again->attempt, 5, 10, kTick);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 10));
}

TEST(StreamRouterFailover, BlockedClientSuspendsStallDetection) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(100);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 10, 100 * kMillisecond);
  // The client stops reading: the binding pauses the worker, so silence is not a stall.
  h.router.on_client_blocked(key, true, h.now);
  for (int i = 0; i < 12; ++i) {  // a minute, with heartbeats keeping the workers alive
    h.run_until(h.now + 5 * kSecond);
    h.heartbeat("worker-a");
    h.heartbeat("worker-b");
  }
  EXPECT_EQ(h.last_start(key)->attempt, a);
  EXPECT_EQ(h.router.stats().stalls, 0U);
  // Unblocked: progress is measured afresh from now (min_stall 2 s, the old rate ignored).
  const Timestamp resumed = h.now;
  h.router.on_client_blocked(key, false, h.now);
  h.run_until(resumed + 2 * kSecond - 1);
  EXPECT_EQ(h.last_start(key)->attempt, a);
  feed(h, a, 11, 12, 100 * kMillisecond);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 12));
  h.run_until(h.now + 2 * kSecond);
  EXPECT_NE(h.last_start(key)->attempt, a) << "a real stall after unblocking still migrates";
  EXPECT_EQ(h.clients[key].migrated.at(0).reason, "stall");
}

}  // namespace
}  // namespace connswap::director
