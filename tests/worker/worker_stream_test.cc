#include "worker/worker_stream.h"

#include <gtest/gtest.h>

#include "worker/synthetic_source.h"

namespace connswap::worker {
namespace {

constexpr Duration kInterval = 500 * kMillisecond;

SyntheticSource paced({.token_interval = kInterval, .prefix_window = 256});
SyntheticSource unpaced({.token_interval = 0, .prefix_window = 256});

// A WorkerStream over a synthetic source (DemoGenerator), started at `now` = 0.
WorkerStream synthetic(GenerateRequest req, SyntheticSource& source = paced) {
  const std::uint64_t start_seq = req.start_seq;
  auto stream = source.start({.request = std::move(req), .prefix = {}, .now = 0}, [] {});
  EXPECT_TRUE(stream);
  return WorkerStream(std::move(*stream), start_seq);
}

TEST(WorkerStream, EmitsTokensThenDone) {
  WorkerStream s = synthetic({.prompt = "hello", .max_tokens = 2});
  auto t1 = s.poll(0, FailureAction::kServe);
  ASSERT_TRUE(t1 && std::holds_alternative<TokenItem>(*t1));
  EXPECT_EQ(std::get<TokenItem>(*t1).seq, 1U);
  EXPECT_EQ(std::get<TokenItem>(*t1).text, "often ");
  EXPECT_FALSE(s.poll(1, FailureAction::kServe));
  EXPECT_EQ(s.deadline(), kInterval);
  auto t2 = s.poll(kInterval, FailureAction::kServe);
  ASSERT_TRUE(t2);
  EXPECT_EQ(std::get<TokenItem>(*t2).text, "closes ");
  EXPECT_LE(s.deadline(), kInterval);  // Done is due now
  auto done = s.poll(kInterval, FailureAction::kServe);
  ASSERT_TRUE(done && std::holds_alternative<DoneItem>(*done));
  EXPECT_EQ(std::get<DoneItem>(*done).tokens, 2U);
  EXPECT_EQ(std::get<DoneItem>(*done).reason, FinishReason::kLength);
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.deadline(), kNever);
}

TEST(WorkerStream, InjectedErrorEndsStream) {
  WorkerStream s = synthetic({.prompt = "p", .max_tokens = 10});
  ASSERT_TRUE(s.poll(0, FailureAction::kServe));
  // Due or not, the failure action wins at once.
  auto err = s.poll(1, FailureAction::kError);
  ASSERT_TRUE(err && std::holds_alternative<ErrorItem>(*err));
  EXPECT_EQ(std::get<ErrorItem>(*err).cause, ErrorCause::kInjected);
  EXPECT_EQ(std::get<ErrorItem>(*err).message, "simulated worker failure");
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.deadline(), kNever);
  EXPECT_FALSE(s.poll(2 * kInterval, FailureAction::kServe));
}

TEST(WorkerStream, HangStopsEverything) {
  WorkerStream s = synthetic({.prompt = "p", .max_tokens = 10});
  EXPECT_FALSE(s.poll(0, FailureAction::kHang));
  EXPECT_EQ(s.deadline(), kNever);
  EXPECT_FALSE(s.poll(kInterval, FailureAction::kServe));
}

TEST(WorkerStream, CrashEmitsNothingButKeepsTheStream) {
  WorkerStream s = synthetic({.prompt = "p", .max_tokens = 10});
  EXPECT_FALSE(s.poll(0, FailureAction::kCrash));
  EXPECT_FALSE(s.finished());
  EXPECT_TRUE(s.poll(0, FailureAction::kServe));
}

TEST(WorkerStream, CancelFinishesTheStream) {
  WorkerStream s = synthetic({.prompt = "p", .max_tokens = 0}, unpaced);
  ASSERT_TRUE(s.poll(0, FailureAction::kServe));
  s.cancel();
  s.cancel();  // idempotent
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.deadline(), kNever);
  EXPECT_FALSE(s.poll(0, FailureAction::kServe));
}

TEST(WorkerStream, ResumesAtStartSeq) {
  WorkerStream s = synthetic({.prompt = "hello", .max_tokens = 3, .start_seq = 2}, unpaced);
  auto t2 = s.poll(0, FailureAction::kServe);
  ASSERT_TRUE(t2);
  EXPECT_EQ(std::get<TokenItem>(*t2).seq, 2U);
  EXPECT_EQ(std::get<TokenItem>(*t2).text, "closes ");
  ASSERT_TRUE(s.poll(0, FailureAction::kServe));
  auto done = s.poll(0, FailureAction::kServe);
  ASSERT_TRUE(done && std::holds_alternative<DoneItem>(*done));
  EXPECT_EQ(std::get<DoneItem>(*done).tokens, 2U);
}

}  // namespace
}  // namespace connswap::worker
