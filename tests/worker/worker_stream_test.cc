#include "worker/worker_stream.h"

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

constexpr Duration kInterval = 500 * kMillisecond;

TEST(WorkerStream, EmitsTokensThenDone) {
  DemoGenerator gen;
  WorkerStream s({.prompt = "hello", .max_tokens = 2}, {}, kInterval, 0);
  auto t1 = s.poll(0, FailureAction::kServe, gen);
  ASSERT_TRUE(t1 && std::holds_alternative<TokenItem>(*t1));
  EXPECT_EQ(std::get<TokenItem>(*t1).seq, 1U);
  EXPECT_EQ(std::get<TokenItem>(*t1).text, "often ");
  EXPECT_FALSE(s.poll(1, FailureAction::kServe, gen));
  auto t2 = s.poll(kInterval, FailureAction::kServe, gen);
  ASSERT_TRUE(t2);
  EXPECT_EQ(std::get<TokenItem>(*t2).text, "closes ");
  EXPECT_LE(s.deadline(), kInterval);  // Done is due now
  auto done = s.poll(kInterval, FailureAction::kServe, gen);
  ASSERT_TRUE(done && std::holds_alternative<DoneItem>(*done));
  EXPECT_EQ(std::get<DoneItem>(*done).tokens, 2U);
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.deadline(), kNever);
}

TEST(WorkerStream, ErrorEndsStream) {
  DemoGenerator gen;
  WorkerStream s({.prompt = "p", .max_tokens = 10}, {}, kInterval, 0);
  ASSERT_TRUE(s.poll(0, FailureAction::kServe, gen));
  auto err = s.poll(kInterval, FailureAction::kError, gen);
  ASSERT_TRUE(err && std::holds_alternative<ErrorItem>(*err));
  EXPECT_TRUE(s.finished());
  EXPECT_FALSE(s.poll(2 * kInterval, FailureAction::kServe, gen));
}

TEST(WorkerStream, HangStopsEverything) {
  DemoGenerator gen;
  WorkerStream s({.prompt = "p", .max_tokens = 10}, {}, kInterval, 0);
  EXPECT_FALSE(s.poll(0, FailureAction::kHang, gen));
  EXPECT_EQ(s.deadline(), kNever);
  EXPECT_FALSE(s.poll(kInterval, FailureAction::kServe, gen));
}

// Records the prefix it was given, to check the stream keeps a bounded, ordered history.
class RecordingGenerator final : public Generator {
 public:
  std::string token(const GenerateRequest&,
                    std::uint64_t seq,
                    std::span<const std::string> prefix) const override {
    last_prefix.assign(prefix.begin(), prefix.end());
    return "t" + std::to_string(seq) + " ";
  }
  mutable std::vector<std::string> last_prefix;
};

TEST(WorkerStream, PrefixContinuesDirectorHistoryWithinWindow) {
  RecordingGenerator gen;
  WorkerStream s({.prompt = "p", .max_tokens = 0, .start_seq = 31}, {"t29 ", "t30 "}, 0, 0, 3);
  ASSERT_TRUE(s.poll(0, FailureAction::kServe, gen));
  EXPECT_EQ(gen.last_prefix, (std::vector<std::string>{"t29 ", "t30 "}));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(s.poll(0, FailureAction::kServe, gen));
  }
  // Token 42 was generated with the 3 before it.
  EXPECT_EQ(gen.last_prefix, (std::vector<std::string>{"t38 ", "t39 ", "t40 "}));
  EXPECT_EQ(s.prefix_view().size(), 3U);
  EXPECT_EQ(s.prefix_view().back(), "t41 ");
}

}  // namespace
}  // namespace connswap::worker
