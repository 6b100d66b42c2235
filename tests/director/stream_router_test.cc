#include "director/stream_router.h"

#include <gtest/gtest.h>

#include "director/router_harness.h"  // tests/director

namespace connswap::director {
namespace {

using testing::Harness;
using testing::iota_seqs;
using testing::text_for;

constexpr Duration kTick = 500 * kMillisecond;

TEST(StreamRouter, NormalStreamForwardsOneToN) {
  Harness h;
  h.add_worker("worker-a");
  const StreamKey key = h.open(60);
  const auto start = h.last_start(key);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->worker, "worker-a");
  EXPECT_EQ(start->worker_addr, "addr-worker-a");
  EXPECT_EQ(start->request.start_seq, 1U);
  EXPECT_EQ(start->request.prompt, "p");
  EXPECT_TRUE(start->prefix.empty());
  const AttemptId attempt = start->attempt;
  for (std::uint64_t seq = 1; seq <= 60; ++seq) {
    h.now += kTick;
    h.token(attempt, seq);
  }
  const auto& c = h.clients[key];
  EXPECT_EQ(c.assigned, std::vector<std::string>{"worker-a"});
  EXPECT_EQ(c.seqs, iota_seqs(1, 60));
  EXPECT_EQ(c.texts[29], text_for(30));
  EXPECT_TRUE(c.migrated.empty());
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->code, StatusCode::kOk);
  EXPECT_EQ(c.finish->tokens, 60U);
  EXPECT_EQ(h.router.active_streams(), 0U);
  // The worker's Done after the last token is for a forgotten attempt: ignored.
  h.router.on_worker_done(attempt, {}, h.now);
  EXPECT_EQ(h.router.stats().stale_dropped, 1U);
  EXPECT_EQ(h.pool.find("worker-a")->streams, 0U);
}

TEST(StreamRouter, WorkerDoneFinishesStream) {
  Harness h;
  h.add_worker("worker-a");
  const StreamKey key = h.open(0);  // unbounded: the worker decides when it ends
  const AttemptId attempt = h.last_start(key)->attempt;
  h.token(attempt, 1);
  h.router.on_worker_done(attempt, {}, h.now);
  h.collect();
  ASSERT_TRUE(h.clients[key].finish);
  EXPECT_EQ(h.clients[key].finish->code, StatusCode::kOk);
  EXPECT_EQ(h.clients[key].finish->tokens, 1U);
  EXPECT_FALSE(h.cancelled.contains(attempt));  // it ended by itself
}

TEST(StreamRouter, DuplicatesAreDroppedAndCounted) {
  Harness h;
  h.add_worker("worker-a");
  const StreamKey key = h.open(5);
  const AttemptId attempt = h.last_start(key)->attempt;
  for (std::uint64_t seq : {1, 2, 2, 1, 3, 3, 4, 5}) {
    h.token(attempt, seq);
  }
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 5));
  EXPECT_EQ(h.router.stats().duplicates_dropped, 3U);
  EXPECT_TRUE(h.clients[key].migrated.empty());
}

TEST(StreamRouter, GapMigratesFromNextSeq) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  const StreamKey key = h.open(20);
  const AttemptId a = h.last_start(key)->attempt;
  for (std::uint64_t seq = 1; seq <= 10; ++seq) {
    h.token(a, seq);
  }
  h.token(a, 12);  // skipped 11: protocol error
  const auto next = h.last_start(key);
  ASSERT_NE(next->attempt, a);
  EXPECT_EQ(next->worker, "worker-b");
  EXPECT_EQ(next->request.start_seq, 11U);
  EXPECT_TRUE(h.cancelled[a]);
  ASSERT_EQ(h.clients[key].migrated.size(), 1U);
  EXPECT_EQ(h.clients[key].migrated[0].reason, "gap");
  EXPECT_EQ(h.clients[key].migrated[0].resume_seq, 11U);
  h.token(a, 11);  // late token from the failed attempt: stale
  for (std::uint64_t seq = 11; seq <= 20; ++seq) {
    h.token(next->attempt, seq);
  }
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(1, 20));
  EXPECT_EQ(h.router.stats().gaps, 1U);
  EXPECT_EQ(h.router.stats().stale_dropped, 1U);
}

TEST(StreamRouter, StartSeqResumesAndValidates) {
  Harness h;
  h.add_worker("worker-a");
  const StreamKey key = h.open(10, 7);
  EXPECT_EQ(h.last_start(key)->request.start_seq, 7U);
  for (std::uint64_t seq = 7; seq <= 10; ++seq) {
    h.token(h.last_start(key)->attempt, seq);
  }
  EXPECT_EQ(h.clients[key].seqs, iota_seqs(7, 10));
  auto bad = h.router.open_stream("c", 9, {.prompt = "p", .max_tokens = 3, .start_seq = 0}, h.now);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  // Past the end: Assigned with no worker, then Done "done"; no worker is called.
  const StreamKey empty = h.open(3, 4);
  EXPECT_EQ(h.clients[empty].assigned, std::vector<std::string>{""});
  ASSERT_TRUE(h.clients[empty].finish);
  EXPECT_EQ(h.clients[empty].finish->code, StatusCode::kOk);
  EXPECT_EQ(h.clients[empty].finish->message, "done");
  EXPECT_EQ(h.clients[empty].finish->tokens, 0U);
  EXPECT_FALSE(h.last_start(empty));
}

TEST(StreamRouter, ClientCancelStopsAttempt) {
  Harness h;
  h.add_worker("worker-a");
  const StreamKey key = h.open(0);
  const AttemptId attempt = h.last_start(key)->attempt;
  h.token(attempt, 1);
  h.router.on_client_cancel(key, h.now);
  h.collect();
  EXPECT_TRUE(h.cancelled[attempt]);
  ASSERT_TRUE(h.clients[key].finish);
  EXPECT_EQ(h.clients[key].finish->code, StatusCode::kCancelled);
  EXPECT_EQ(h.router.active_streams(), 0U);
  // Lazy timers may leave a stale (early) deadline; firing it leaves only the pool's.
  h.advance_to(h.router.deadline());
  EXPECT_EQ(h.router.deadline(), h.pool.deadline());
  h.token(attempt, 2);
  EXPECT_EQ(h.clients[key].seqs.size(), 1U);
}

// Fails the stream's primary attempt after it delivered 1..n; returns the next StartAttempt.
std::optional<StartAttempt> fail_after(Harness& h, StreamKey key, std::uint64_t n) {
  const AttemptId a = h.last_start(key)->attempt;
  for (std::uint64_t seq = 1; seq <= n; ++seq) {
    h.token(a, seq);
  }
  h.router.on_worker_error(a, FailureReason::kStreamReset, "reset", h.now);
  h.collect();
  auto next = h.last_start(key);
  EXPECT_NE(next->attempt, a);
  return next;
}

std::vector<std::string> texts(std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    out.push_back(text_for(seq));
  }
  return out;
}

// A model server continues an answer from all of it: after a failure at seq N of a
// 2,000-token stream the next attempt gets tokens 1..N-1, not the newest window.
TEST(StreamRouter, SecondAttemptGetsTheWholePrefix) {
  Harness h;
  h.add_worker("worker-a");
  h.add_worker("worker-b");
  h.add_worker("worker-c");
  const StreamKey key = h.open(2000);
  const auto b = fail_after(h, key, 1500);
  EXPECT_EQ(b->worker, "worker-b");
  EXPECT_EQ(b->request.start_seq, 1501U);
  EXPECT_EQ(b->prefix.tokens(), texts(1, 1500));
  EXPECT_EQ(h.router.stats().prefixes_truncated, 0U);
  EXPECT_GE(h.router.stats().prefix_bytes, 1500U * text_for(1500).size());
  // A resume snapshot still carries only the newest delivered_window (256) tokens.
  EXPECT_EQ(h.router.resume_point(key)->window, texts(1245, 1500));
  // ...and the third attempt again everything before it.
  const auto c = fail_after(h, key, 0);
  EXPECT_EQ(c->prefix.tokens(), texts(1, 1500));
  h.router.on_client_cancel(key, h.now);
  h.collect();
  EXPECT_EQ(h.router.stats().prefix_bytes, 0U);  // the gauge drops with the stream
}

// Past prefix_max_tokens or prefix_max_bytes (and for unbounded streams past the window)
// the prefix falls back to the newest delivered_window tokens, counted once per stream.
TEST(StreamRouter, PrefixBeyondItsBoundsFallsBackToTheWindow) {
  struct Case {
    const char* name;
    DirectorConfig config;
    std::uint32_t max_tokens;
    std::uint64_t fail_at;
    std::vector<std::string> prefix;
    std::uint64_t truncated;
  };
  // text_for(1..9) is 3 bytes: 1..8 fit 26 bytes, 1..9 do not.
  const auto cases = std::to_array<Case>({
      {"within both bounds",
       {.delivered_window = 4, .prefix_max_tokens = 10},
       20,
       10,
       texts(1, 10),
       0},
      {"token bound", {.delivered_window = 4, .prefix_max_tokens = 10}, 20, 11, texts(8, 11), 1},
      {"max_tokens below the token bound",
       {.delivered_window = 4, .prefix_max_tokens = 100},
       12,
       11,
       texts(1, 11),
       0},
      {"byte bound", {.delivered_window = 4, .prefix_max_bytes = 26}, 20, 9, texts(6, 9), 1},
      {"just within the byte bound",
       {.delivered_window = 4, .prefix_max_bytes = 26},
       20,
       8,
       texts(1, 8),
       0},
      {"unbounded stream", {.delivered_window = 4}, 0, 10, texts(7, 10), 1},
      {"unbounded stream within the window", {.delivered_window = 4}, 0, 4, texts(1, 4), 0},
  });
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    Harness h(tc.config);
    h.add_worker("worker-a");
    h.add_worker("worker-b");
    const StreamKey key = h.open(tc.max_tokens);
    EXPECT_EQ(fail_after(h, key, tc.fail_at)->prefix.tokens(), tc.prefix);
    EXPECT_EQ(h.router.stats().prefixes_truncated, tc.truncated);
  }
}

// A resumed stream keeps the whole prefix only when the client gave all of it.
TEST(StreamRouter, ResumedStreamKeepsAWholePrefixOnlyWhenGivenOne) {
  for (const bool whole : {true, false}) {
    SCOPED_TRACE(whole ? "whole" : "window only");
    Harness h(DirectorConfig{.delivered_window = 4});
    h.add_worker("worker-a");
    StreamSpec spec{"conn-1", 7, {.prompt = "p", .max_tokens = 40, .start_seq = 21}, {}};
    spec.window = whole ? texts(1, 20) : texts(13, 20);
    auto key = h.router.open_stream(std::move(spec), h.now);
    ASSERT_TRUE(key);
    h.collect();
    EXPECT_EQ(h.last_start(*key)->prefix.tokens(), whole ? texts(1, 20) : texts(17, 20));
    EXPECT_EQ(h.router.stats().prefixes_truncated, whole ? 0U : 1U);
  }
  // An unbounded stream keeps only the window even when given everything.
  Harness h(DirectorConfig{.delivered_window = 4});
  h.add_worker("worker-a");
  auto key = h.router.open_stream(
      StreamSpec{"conn-1", 8, {.prompt = "p", .max_tokens = 0, .start_seq = 21}, texts(1, 20)},
      h.now);
  ASSERT_TRUE(key);
  h.collect();
  EXPECT_EQ(h.last_start(*key)->prefix.tokens(), texts(17, 20));
  EXPECT_EQ(h.router.stats().prefixes_truncated, 1U);
}

}  // namespace
}  // namespace connswap::director
