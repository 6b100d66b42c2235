// StreamRouter make-before-break pacing at LLM pace (issue 18, drain): when a drain standby
// starts, what happens when it comes up behind the old worker, and how many start at once.
// Virtual time; a 25 ms token interval.

#include <gtest/gtest.h>

#include "director/router_harness.h"
#include "director/stream_router.h"

namespace connswap::director {
namespace {

using migration::MigrationState;
using testing::Harness;
using testing::iota_seqs;

constexpr Duration kInterval = 25 * kMillisecond;

// Feeds seqs [first, last] from `attempt`, one per interval.
void feed(Harness& h, AttemptId attempt, std::uint64_t first, std::uint64_t last) {
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    h.now += kInterval;
    h.token(attempt, seq);
  }
}

Duration only_gap(const Harness& h) {
  const auto gaps = h.all_events<FailoverGap>();
  EXPECT_EQ(gaps.size(), 1U);
  return gaps.empty() ? -1 : gaps[0].gap;
}

// `n` streams of `max_tokens` on worker-a (worker-b registered after them, so they stay
// there), each fed seqs 1..`fed` one interval apart: the start of a many-stream drain.
struct Fleet {
  Fleet(const DirectorConfig& config, int n, std::uint32_t max_tokens, std::uint64_t fed)
      : h(config) {
    h.add_worker("worker-a");
    for (int i = 0; i < n; ++i) {
      keys.push_back(h.open(max_tokens));
      old.push_back(h.last_start(keys.back())->attempt);
    }
    h.add_worker("worker-b");
    for (std::uint64_t seq = 1; seq <= fed; ++seq) {
      round(seq);
    }
  }
  // One interval later, the old worker's `seq` on every stream.
  void round(std::uint64_t seq) {
    h.now += kInterval;
    for (AttemptId a : old) {
      h.token(a, seq);
    }
  }
  Harness h;
  std::vector<StreamKey> keys;
  std::vector<AttemptId> old;
};

// A drain notice late in the old worker's interval: starting the standby then would leave
// it 5 ms for its first token, so it starts right after the old worker's next token, at the
// seq after it, and takes over within the interval (the old worker's token 12 comes late).
TEST(StreamRouterHandover, DrainStandbyStartsRightAfterTheOldWorkersToken) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(40);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 10);
  h.now += 20 * kMillisecond;
  EXPECT_EQ(h.router.on_worker_draining("worker-a", h.now), 1U);
  h.collect();
  EXPECT_EQ(h.last_start(key)->attempt, a) << "no standby yet";
  EXPECT_EQ(h.router.status(key)->state, MigrationState::kStreaming);

  h.now += 5 * kMillisecond;
  h.token(a, 11);
  const auto b = h.last_start(key);
  ASSERT_NE(b->attempt, a);
  EXPECT_EQ(b->worker, "worker-b");
  EXPECT_EQ(b->request.start_seq, 12U);
  EXPECT_EQ(b->prefix.size(), 11U);
  EXPECT_EQ(h.router.status(key)->state, MigrationState::kHandover);

  h.now += 8 * kMillisecond;  // the standby's first token: before the old worker's 12
  h.token(b->attempt, 12);
  EXPECT_TRUE(h.cancelled[a]);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].resume_seq, 12U);
  h.now += 17 * kMillisecond;
  h.token(a, 12);  // stale
  feed(h, b->attempt, 13, 40);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 40));
  EXPECT_EQ(h.router.stats().drains, 1U);
  EXPECT_EQ(h.router.stats().duplicates_dropped, 0U);
  EXPECT_LE(only_gap(h), kInterval) << "the drain must not lose an interval";
}

// The standby's first token is one the old worker already sent: it runs behind, and taking
// over would cost the rest of an interval. The old worker keeps the stream, the standby is
// restarted after the old worker's next token, and the second one takes over in time.
TEST(StreamRouterHandover, StandbyBehindTheOldWorkerIsRestartedNotPromoted) {
  Harness h(DirectorConfig{.handover_retries = 1});
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(40);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 10);
  h.router.on_worker_draining("worker-a", h.now);  // just after token 10: starts at once
  h.collect();
  const AttemptId b = h.last_start(key)->attempt;
  ASSERT_NE(b, a);
  EXPECT_EQ(h.last_start(key)->request.start_seq, 11U);

  h.now += kInterval;
  h.token(a, 11);
  h.now += 10 * kMillisecond;
  h.token(b, 11);  // behind: a duplicate
  EXPECT_TRUE(h.cancelled[b]);
  EXPECT_FALSE(h.cancelled.contains(a));
  EXPECT_TRUE(h.clients[key].migrated.empty());
  EXPECT_EQ(h.router.stats().handover_retries, 1U);
  EXPECT_EQ(h.last_start(key)->attempt, b) << "restarted only after a's next token";
  EXPECT_EQ(h.router.status(key)->state, MigrationState::kStreaming);

  h.now += 15 * kMillisecond;
  h.token(a, 12);
  const auto c = h.last_start(key);
  ASSERT_NE(c->attempt, b);
  EXPECT_EQ(c->worker, "worker-b");
  EXPECT_EQ(c->request.start_seq, 13U);
  h.now += 6 * kMillisecond;
  h.token(c->attempt, 13);
  EXPECT_TRUE(h.cancelled[a]);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].resume_seq, 13U);
  feed(h, c->attempt, 14, 40);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 40));
  EXPECT_LE(only_gap(h), kInterval);
  EXPECT_EQ(h.router.stats().drains, 1U);
  EXPECT_EQ(h.router.stats().failovers, 0U);
}

// Out of retries, a standby behind the old worker takes over behind (it is alive): the
// stream goes on, one partial interval later.
TEST(StreamRouterHandover, OutOfRetriesTheStandbyTakesOverBehind) {
  Harness h(DirectorConfig{.handover_retries = 1});
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(40);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 10);
  h.router.on_worker_draining("worker-a", h.now);
  h.collect();
  AttemptId standby = h.last_start(key)->attempt;
  std::uint64_t seq = 11;
  for (int loss = 0; loss < 2; ++loss, ++seq) {
    h.now += kInterval;
    h.token(a, seq);
    standby = h.last_start(key)->attempt;  // the restart comes at once (early in a's interval)
    h.now += 2 * kMillisecond;
    h.token(standby, seq);
  }
  EXPECT_EQ(h.router.stats().handover_retries, 1U);
  EXPECT_TRUE(h.cancelled[a]);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].resume_seq, seq);
  h.now += kInterval;
  h.token(standby, seq);
  feed(h, standby, seq + 1, 40);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 40));
}

// A standby more than one token behind (its start took longer than an interval) would come
// up behind again if restarted: it takes over at once, retries or not.
TEST(StreamRouterHandover, StandbyFarBehindTakesOverWithoutRestart) {
  Harness h;  // handover_retries 2
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(40);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 10);
  h.router.on_worker_draining("worker-a", h.now);
  h.collect();
  const AttemptId b = h.last_start(key)->attempt;
  ASSERT_NE(b, a);
  feed(h, a, 11, 13);
  h.now += 5 * kMillisecond;
  h.token(b, 11);  // three tokens behind
  EXPECT_TRUE(h.cancelled[a]);
  EXPECT_FALSE(h.cancelled.contains(b));
  EXPECT_EQ(h.router.stats().handover_retries, 0U);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].resume_seq, 14U);
  for (std::uint64_t seq = 12; seq <= 40; ++seq) {
    h.now += kInterval;
    h.token(b, seq);
  }
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 40));
}

// The number of standbys starting at once adapts: with 8 streams and handover_window 4,
// the first round's standbys all come up behind, which halves the window (once for the
// round, not once per standby): the restarts go two at a time, and each win widens it by
// one again.
TEST(StreamRouterHandover, StandbysBehindHalveTheWindowWinsWidenIt) {
  Fleet f(DirectorConfig{.handover_window = 4}, 8, 40, 0);
  Harness& h = f.h;
  const auto& keys = f.keys;
  const auto& old = f.old;
  std::uint64_t seq = 1;
  auto old_round = [&] {  // the old worker's next token on every stream
    h.now += kInterval;
    for (AttemptId a : old) {
      h.token(a, seq);
    }
    ++seq;
  };
  auto live_standbys = [&] {
    std::vector<AttemptId> out;
    for (StreamKey k : keys) {
      const auto st = h.router.status(k);
      if (st && !st->standby.empty()) {
        out.push_back(h.last_start(k)->attempt);
      }
    }
    return out;
  };
  for (int i = 0; i < 10; ++i) {
    old_round();
  }
  h.router.on_worker_draining("worker-a", h.now);
  h.collect();
  ASSERT_EQ(live_standbys().size(), 4U);
  old_round();  // seq 11 from the old worker first: every standby's 11 is behind
  h.now += 2 * kMillisecond;
  for (AttemptId b : live_standbys()) {
    h.token(b, 11);
  }
  EXPECT_EQ(h.router.stats().handover_retries, 4U);
  // The window is now 2 (halved once): the restarts right after those duplicates fill it.
  EXPECT_EQ(live_standbys().size(), 2U);
  h.now += 3 * kMillisecond;
  for (AttemptId b : live_standbys()) {
    h.token(b, 12);  // won: the window widens to 3, then 4
  }
  EXPECT_EQ(h.router.stats().drains, 2U);
  EXPECT_TRUE(live_standbys().empty()) << "the others start after their old worker's token";
  h.now += 20 * kMillisecond;
  std::size_t started = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (h.router.status(keys[i])->worker == "worker-a") {
      h.token(old[i], 12);
      started += h.router.status(keys[i])->standby.empty() ? 0 : 1;
    }
  }
  EXPECT_EQ(started, 4U) << "window back at 4";
}

// Standbys that come up far behind (no start makes it in time: an overloaded machine) take
// over and leave the window as it is: the drain goes on at full width, not one at a time.
TEST(StreamRouterHandover, StandbysFarBehindDoNotShrinkTheWindow) {
  Fleet f(DirectorConfig{.handover_window = 2}, 4, 40, 10);
  Harness& h = f.h;
  const auto& keys = f.keys;
  const auto& old = f.old;
  h.router.on_worker_draining("worker-a", h.now);
  h.collect();
  const AttemptId b0 = h.last_start(keys[0])->attempt;
  const AttemptId b1 = h.last_start(keys[1])->attempt;
  ASSERT_NE(b0, old[0]);
  ASSERT_NE(b1, old[1]);
  for (std::uint64_t seq = 11; seq <= 13; ++seq) {
    f.round(seq);
  }
  h.now += 2 * kMillisecond;
  h.token(b0, 11);  // three behind: takes over
  h.token(b1, 11);
  EXPECT_EQ(h.router.stats().drains, 2U);
  h.now += 20 * kMillisecond;
  h.token(old[2], 14);
  h.token(old[3], 14);
  EXPECT_FALSE(h.router.status(keys[2])->standby.empty());
  EXPECT_FALSE(h.router.status(keys[3])->standby.empty()) << "the window is still 2";
}

// A drain of many streams starts at most handover_window standbys at once; the others start
// after a later token of the old worker, as slots free up. Nothing lost or repeated.
TEST(StreamRouterHandover, HandoverWindowBoundsStandbysStartingAtOnce) {
  Fleet f(DirectorConfig{.handover_window = 2}, 4, 30, 10);
  Harness& h = f.h;
  const auto& keys = f.keys;
  const auto& old = f.old;
  const std::size_t before = h.all<StartAttempt>().size();
  EXPECT_EQ(h.router.on_worker_draining("worker-a", h.now), 4U);
  h.collect();
  ASSERT_EQ(h.all<StartAttempt>().size(), before + 2);
  // Round 1: streams 0 and 1 have standbys; they win seq 11, which frees both slots, and
  // streams 2 and 3 start theirs after the old worker's 11.
  std::vector<AttemptId> now_serving = old;
  h.now += 5 * kMillisecond;
  for (int i = 0; i < 2; ++i) {
    now_serving[i] = h.last_start(keys[i])->attempt;
    h.token(now_serving[i], 11);
  }
  h.now += 20 * kMillisecond;
  for (int i = 2; i < 4; ++i) {
    h.token(old[i], 11);
  }
  ASSERT_EQ(h.all<StartAttempt>().size(), before + 4);
  h.now += 5 * kMillisecond;
  for (int i = 2; i < 4; ++i) {
    now_serving[i] = h.last_start(keys[i])->attempt;
    EXPECT_EQ(h.last_start(keys[i])->request.start_seq, 12U);
    h.token(now_serving[i], 12);
  }
  for (std::uint64_t seq = 12; seq <= 30; ++seq) {
    h.now += kInterval;
    for (int i = 0; i < 4; ++i) {
      if (seq > 12 || i < 2) {
        h.token(now_serving[i], seq);
      }
    }
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(h.cancelled[old[i]]);
    EXPECT_EQ(h.clients[keys[i]].seqs, iota_seqs(1, 30));
  }
  EXPECT_EQ(h.router.stats().drains, 4U);
  EXPECT_EQ(h.router.stats().duplicates_dropped, 0U);
  for (const auto& g : h.all_events<FailoverGap>()) {
    EXPECT_LE(g.gap, kInterval);
  }
}

// A handover waiting for the old worker's next token dies with that attempt: the stream
// fails over as usual, and the new worker can later be drained in its turn.
TEST(StreamRouterHandover, WaitingHandoverDoesNotOutliveItsPrimary) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(40);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 10);
  h.now += 20 * kMillisecond;
  h.router.on_worker_draining("worker-a", h.now);
  h.router.on_worker_error(a, FailureReason::kWorkerError, "boom", h.now);
  h.collect();
  const auto b = h.last_start(key);
  ASSERT_NE(b->attempt, a);
  EXPECT_EQ(b->request.start_seq, 11U);
  feed(h, b->attempt, 11, 13);
  EXPECT_EQ(h.last_start(key)->attempt, b->attempt) << "no standby beside the new primary";
  h.add_worker("worker-c");
  EXPECT_EQ(h.router.on_worker_draining("worker-b", h.now), 1U);
  h.collect();
  const auto c = h.last_start(key);
  EXPECT_EQ(c->worker, "worker-c");
  h.now += 5 * kMillisecond;
  h.token(c->attempt, 14);
  feed(h, c->attempt, 15, 40);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 40));
  EXPECT_EQ(h.router.stats().drains, 1U);
  EXPECT_EQ(h.router.stats().failovers, 1U);
}

}  // namespace
}  // namespace connswap::director
