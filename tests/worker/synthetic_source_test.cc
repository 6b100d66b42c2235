#include "worker/synthetic_source.h"

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

constexpr Duration kInterval = 500 * kMillisecond;

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

std::unique_ptr<TokenStream> start(
    SyntheticSource& source,
    GenerateRequest req,
    std::vector<std::string> prefix = {},
    Notify notify = [] {}) {
  auto stream =
      source.start({.request = std::move(req), .prefix = std::move(prefix), .now = 0}, notify);
  EXPECT_TRUE(stream);
  return std::move(*stream);
}

TEST(SyntheticSource, PacesTokensThenDoneAndNeverNotifies) {
  int notified = 0;
  SyntheticSource source({.token_interval = kInterval, .prefix_window = 4});
  auto s = start(source, {.prompt = "hello", .max_tokens = 2}, {}, [&] { ++notified; });
  EXPECT_EQ(s->deadline(), 0U);  // the first token is due at once
  auto t1 = s->poll(0);
  ASSERT_TRUE(t1 && std::holds_alternative<TokenItem>(*t1));
  EXPECT_EQ(std::get<TokenItem>(*t1).text, "often ");  // demo_token("hello", 1)
  EXPECT_EQ(s->deadline(), kInterval);
  EXPECT_FALSE(s->poll(kInterval - 1));
  ASSERT_TRUE(s->poll(kInterval));
  EXPECT_EQ(s->deadline(), 0U);  // Done is due at once
  auto done = s->poll(kInterval);
  ASSERT_TRUE(done && std::holds_alternative<DoneItem>(*done));
  EXPECT_EQ(std::get<DoneItem>(*done).tokens, 2U);
  EXPECT_EQ(std::get<DoneItem>(*done).reason, FinishReason::kLength);
  EXPECT_EQ(s->deadline(), kNever);
  EXPECT_FALSE(s->poll(10 * kInterval));
  EXPECT_EQ(notified, 0) << "a paced source is driven by deadline(), never by Notify";
}

TEST(SyntheticSource, CancelEndsTheStream) {
  SyntheticSource source({.token_interval = 0, .prefix_window = 4});
  auto s = start(source, {.prompt = "p", .max_tokens = 0});
  ASSERT_TRUE(s->poll(0));
  s->cancel();
  s->cancel();
  EXPECT_EQ(s->deadline(), kNever);
  EXPECT_FALSE(s->poll(0));
}

TEST(SyntheticSource, UnpacedHasATokenOnEveryPoll) {
  SyntheticSource source({.token_interval = 0, .prefix_window = 4});
  auto s = start(source, {.prompt = "p", .max_tokens = 0, .start_seq = 7});
  for (std::uint64_t seq = 7; seq < 1007; ++seq) {
    ASSERT_LE(s->deadline(), 0U);
    auto t = s->poll(0);
    ASSERT_TRUE(t && std::holds_alternative<TokenItem>(*t));
    ASSERT_EQ(std::get<TokenItem>(*t).seq, seq);
    ASSERT_EQ(std::get<TokenItem>(*t).text, demo_token("p", seq));
  }
}

TEST(SyntheticSource, PrefixContinuesDirectorHistoryWithinWindow) {
  RecordingGenerator gen;
  SyntheticSource source({.token_interval = 0, .prefix_window = 3}, &gen);
  auto s = start(source, {.prompt = "p", .max_tokens = 0, .start_seq = 31}, {"t29 ", "t30 "});
  ASSERT_TRUE(s->poll(0));
  EXPECT_EQ(gen.last_prefix, (std::vector<std::string>{"t29 ", "t30 "}));
  for (int i = 0; i < 11; ++i) {
    ASSERT_TRUE(s->poll(0));
  }
  // Token 42 was generated with the 3 before it.
  EXPECT_EQ(gen.last_prefix, (std::vector<std::string>{"t39 ", "t40 ", "t41 "}));
}

TEST(SyntheticSource, ZeroWindowGivesNoPrefix) {
  RecordingGenerator gen;
  SyntheticSource source({.token_interval = 0, .prefix_window = 0}, &gen);
  auto s = start(source, {.prompt = "p", .max_tokens = 0});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s->poll(0));
    EXPECT_TRUE(gen.last_prefix.empty());
  }
}

}  // namespace
}  // namespace connswap::worker
