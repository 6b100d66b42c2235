// StreamRouter on its MigrationStateMachines: transitions with reasons, the machine's
// timeouts, operator moves, resumed streams and the resume point of a failed stream.

#include <algorithm>

#include <gtest/gtest.h>

#include "director/router_harness.h"
#include "director/stream_router.h"

namespace connswap::director {
namespace {

using migration::MigrationEvent;
using migration::MigrationState;
using testing::Harness;
using testing::iota_seqs;
using testing::text_for;

constexpr Duration kTick = 500 * kMillisecond;

void feed(Harness& h, AttemptId attempt, std::uint64_t first, std::uint64_t last) {
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    h.now += kTick;
    h.token(attempt, seq);
  }
}

bool history_has(const migration::MigrationStateMachine& m,
                 MigrationEvent event,
                 const std::string& reason_part) {
  return std::any_of(m.history().begin(), m.history().end(), [&](const migration::Transition& t) {
    return t.event == event && t.reason.find(reason_part) != std::string::npos;
  });
}

TEST(StreamRouterMachine, EveryFailoverIsATransitionWithItsReason) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(20);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 5);
  h.router.on_worker_error(a, FailureReason::kWorkerError, "boom", h.now);
  h.collect();
  const auto* m = h.router.machine(key);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state(), MigrationState::kStarting);
  EXPECT_TRUE(history_has(*m, MigrationEvent::kWorkerSelected, "attempt on worker-a"));
  EXPECT_TRUE(history_has(*m, MigrationEvent::kFirstToken, "first token from worker-a"));
  EXPECT_TRUE(history_has(*m, MigrationEvent::kWorkerFailed, "error on worker-a"));
  EXPECT_TRUE(history_has(*m, MigrationEvent::kWorkerSelected, "attempt on worker-b"));
  feed(h, h.last_start(key)->attempt, 6, 20);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 20));
  EXPECT_EQ(h.router.stats().illegal_transitions, 0U);
  // The StateChanged events tell the binding each state, the worker after it.
  const auto changes = h.all_events<StateChanged>();
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().state, MigrationState::kCompleted);
  EXPECT_EQ(std::count_if(changes.begin(),
                          changes.end(),
                          [](const StateChanged& c) {
                            return c.state == MigrationState::kStreaming && c.worker == "worker-b";
                          }),
            1);
}

TEST(StreamRouterMachine, OperatorMoveIsMakeBeforeBreak) {
  Harness h;
  for (const char* w : {"worker-a", "worker-b", "worker-c"}) {
    h.add_worker(w);
  }
  const StreamKey key = h.open(30);
  const AttemptId a = h.last_start(key)->attempt;
  ASSERT_EQ(h.last_start(key)->worker, "worker-a");
  feed(h, a, 1, 10);

  EXPECT_FALSE(h.router.move_stream(key + 100, "worker-c", h.now));  // unknown stream
  auto bad = h.router.move_stream(key, "worker-zz", h.now);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kUnavailable);
  auto same = h.router.move_stream(key, "worker-a", h.now);
  ASSERT_TRUE(same);
  EXPECT_FALSE(*same);  // already there

  auto moved = h.router.move_stream(key, "worker-c", h.now);
  h.collect();
  ASSERT_TRUE(moved);
  EXPECT_TRUE(*moved);
  const auto c = h.last_start(key);
  EXPECT_EQ(c->worker, "worker-c");
  EXPECT_EQ(c->request.start_seq, 11U);
  EXPECT_FALSE(h.cancelled.contains(a));  // the old attempt keeps streaming meanwhile
  EXPECT_EQ(h.router.status(key)->state, MigrationState::kHandover);
  auto twice = h.router.move_stream(key, "worker-b", h.now);
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);  // already handing over

  h.now += kTick;
  h.token(c->attempt, 11);
  EXPECT_TRUE(h.cancelled[a]);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].reason, "move");
  EXPECT_EQ(h.clients[key].migrated[0].to, "worker-c");
  feed(h, c->attempt, 12, 30);
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 30));
  EXPECT_EQ(h.router.stats().moves, 1U);
  EXPECT_EQ(h.router.stats().drains, 0U);
  EXPECT_EQ(h.router.stats().failovers, 0U);
}

TEST(StreamRouterMachine, HandoverTimeoutAbandonsTheStandby) {
  // The standby never delivers; the machine's handover timeout (1 s) comes before the
  // standby's first-token deadline (5 s).
  Harness h(DirectorConfig{.first_token_timeout = 5 * kSecond, .handover_timeout = 1 * kSecond});
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(40);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 3);
  EXPECT_EQ(h.router.on_worker_draining("worker-a", h.now), 1U);
  h.collect();
  const AttemptId b = h.last_start(key)->attempt;
  for (std::uint64_t seq = 4; seq <= 8; ++seq) {  // 2.5 s of the old worker alone
    h.now += kTick;
    h.router.on_timeout(h.now);
    h.token(a, seq);
  }
  EXPECT_TRUE(h.cancelled[b]);
  EXPECT_FALSE(h.cancelled.contains(a));
  EXPECT_EQ(h.router.status(key)->state, MigrationState::kStreaming);
  EXPECT_TRUE(history_has(*h.router.machine(key), MigrationEvent::kTimeout, "handover timeout"));
  EXPECT_TRUE(h.clients[key].migrated.empty());
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 8));
}

TEST(StreamRouterMachine, ResumedStreamStartsAtItsSeqWithItsWindow) {
  Harness h(DirectorConfig{.delivered_window = 4});
  h.add_worker("worker-a");
  std::vector<std::string> window;
  for (std::uint64_t seq = 3; seq <= 10; ++seq) {  // not all 10: only a window is kept
    window.push_back(text_for(seq));
  }
  auto key = h.router.open_stream(
      StreamSpec{"conn-9", 7, {.prompt = "p", .max_tokens = 15, .start_seq = 11}, window}, h.now);
  ASSERT_TRUE(key);
  h.collect();
  const auto s = h.last_start(*key);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->request.start_seq, 11U);
  // The window is bounded like any stream's: the last delivered_window tokens.
  EXPECT_EQ(s->prefix.tokens(),
            (std::vector<std::string>{text_for(7), text_for(8), text_for(9), text_for(10)}));
  feed(h, s->attempt, 11, 15);
  EXPECT_EQ(h.clients[*key].seqs, iota_seqs(11, 15));
  EXPECT_EQ(h.clients[*key].finish->tokens, 5U);
}

TEST(StreamRouterMachine, AFailedStreamSaysWhereItStopped) {
  Harness h(DirectorConfig{.worker_wait = 2 * kSecond});
  h.add_worker("worker-a");
  const StreamKey key = h.open(50);
  const AttemptId a = h.last_start(key)->attempt;
  feed(h, a, 1, 6);
  const auto point = h.router.resume_point(key);
  ASSERT_TRUE(point);
  EXPECT_EQ(point->next_seq, 7U);
  EXPECT_EQ(point->window.size(), 6U);
  h.router.on_worker_error(a, FailureReason::kWorkerError, "boom", h.now);  // no other worker
  h.collect();
  EXPECT_EQ(h.router.status(key)->state, MigrationState::kSelecting);
  const Timestamp failed_at = h.now;
  h.run_until(failed_at + 2 * kSecond - 1);  // the machine's select timeout: not yet
  EXPECT_FALSE(h.clients[key].finish);
  h.run_until(failed_at + 2 * kSecond);
  const auto& f = h.clients[key].finish;
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, StatusCode::kUnavailable);
  EXPECT_EQ(f->next_seq, 7U);
  EXPECT_EQ(f->window.back(), text_for(6));
  EXPECT_FALSE(h.router.resume_point(key));
}

// Issue 14 item 7: a resumed stream keeps the failures it had (the ticket carries them),
// so the migration limit does not restart on every resume. With the limit used up, the
// first failure after the resume ends the stream even though another worker is free; a
// fresh stream in the same spot fails over.
TEST(StreamRouterMachine, AResumedStreamKeepsItsFailoversAgainstTheLimit) {
  for (const std::uint32_t prior : {0U, 2U}) {
    SCOPED_TRACE("prior failovers " + std::to_string(prior));
    Harness h(DirectorConfig{.migration_limit = 2});
    h.add_worker("worker-a");
    h.add_worker("worker-b");
    StreamSpec spec{"conn-9", 7, {.prompt = "p", .max_tokens = 30, .start_seq = 11}, {}};
    spec.prior_failovers = prior;
    auto key = h.router.open_stream(std::move(spec), h.now);
    ASSERT_TRUE(key);
    h.collect();
    const AttemptId a = h.last_start(*key)->attempt;
    feed(h, a, 11, 12);
    h.router.on_worker_error(a, FailureReason::kWorkerError, "boom", h.now);
    h.collect();
    const auto& f = h.clients[*key].finish;
    if (prior == 0) {
      EXPECT_FALSE(f);
      EXPECT_EQ(h.router.resume_point(*key)->failovers, 1U);
    } else {
      ASSERT_TRUE(f);
      EXPECT_EQ(f->code, StatusCode::kUnavailable);
      EXPECT_NE(f->message.find("migration limit (2) reached"), std::string::npos) << f->message;
      EXPECT_EQ(f->failovers, 2U);  // what the next ticket carries
      EXPECT_EQ(f->next_seq, 13U);
    }
  }
}

}  // namespace
}  // namespace connswap::director
