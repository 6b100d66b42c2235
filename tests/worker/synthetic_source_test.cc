#include "worker/synthetic_source.h"

#include <algorithm>
#include <vector>

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

// The spacing of the first n tokens of a stream of `source` (virtual time: each token is
// polled exactly at its deadline).
std::vector<Duration> intervals(SyntheticSource& source,
                                const std::string& prompt,
                                std::size_t n,
                                std::uint64_t start_seq = 1) {
  auto s = start(source, {.prompt = prompt, .max_tokens = 0, .start_seq = start_seq});
  std::vector<Duration> out;
  Timestamp last = 0;
  for (std::size_t i = 0; i <= n; ++i) {
    const Timestamp due = s->deadline();
    EXPECT_TRUE(s->poll(due));
    if (i > 0) {
      out.push_back(due - last);
    }
    last = due;
  }
  return out;
}

TEST(SyntheticSource, JitterIsUniformWithinTheBoundsAndAveragesTheInterval) {
  constexpr Duration kTick = 25 * kMillisecond;
  SyntheticSource source({.token_interval = kTick, .prefix_window = 0, .jitter_pct = 50});
  const std::vector<Duration> gaps = intervals(source, "bench #1", 20'000);
  Duration lo = kNever, hi = 0;
  double sum = 0;
  std::size_t below = 0;  // under the interval: about half
  for (const Duration g : gaps) {
    lo = std::min(lo, g);
    hi = std::max(hi, g);
    sum += static_cast<double>(g);
    below += g < kTick ? 1 : 0;
  }
  EXPECT_GE(lo, kTick / 2);
  EXPECT_LE(hi, kTick + kTick / 2);
  EXPECT_LT(lo, kTick / 2 + kTick / 50) << "uniform: the extremes are reached";
  EXPECT_GT(hi, kTick + kTick / 2 - kTick / 50);
  EXPECT_NEAR(sum / static_cast<double>(gaps.size()), static_cast<double>(kTick), 0.01 * kTick);
  EXPECT_NEAR(static_cast<double>(below) / static_cast<double>(gaps.size()), 0.5, 0.02);
}

TEST(SyntheticSource, JitterRepeatsPerPromptAndAcrossWorkers) {
  constexpr Duration kTick = 10 * kMillisecond;
  SyntheticSource a({.token_interval = kTick, .prefix_window = 0, .jitter_pct = 50});
  SyntheticSource b({.token_interval = kTick, .prefix_window = 0, .jitter_pct = 50});
  const auto first = intervals(a, "bench #7", 100);
  EXPECT_EQ(first, intervals(b, "bench #7", 100)) << "same prompt: same intervals";
  EXPECT_NE(first, intervals(a, "bench #8", 100)) << "streams do not jitter in lockstep";
  // A stream resumed at seq 51 on another worker continues the same sequence.
  const auto resumed = intervals(b, "bench #7", 50, 51);
  EXPECT_EQ(resumed, std::vector<Duration>(first.begin() + 50, first.end()));
}

TEST(SyntheticSource, NoJitterIsSteady) {
  constexpr Duration kTick = 25 * kMillisecond;
  SyntheticSource source({.token_interval = kTick, .prefix_window = 0});
  for (const Duration g : intervals(source, "bench #1", 100)) {
    ASSERT_EQ(g, kTick);
  }
}

TEST(SyntheticSource, PrefillDelaysEveryCallsFirstToken) {
  constexpr Duration kTick = 25 * kMillisecond;
  constexpr Duration kPrefill = 300 * kMillisecond;
  SyntheticSource source({.token_interval = kTick, .prefix_window = 4, .prefill = kPrefill});
  for (const std::uint64_t start_seq : {std::uint64_t{1}, std::uint64_t{40}}) {
    auto s = start(source, {.prompt = "p", .max_tokens = 0, .start_seq = start_seq});
    EXPECT_EQ(s->deadline(), kPrefill) << start_seq;
    EXPECT_FALSE(s->poll(kPrefill - 1));
    auto t = s->poll(kPrefill);
    ASSERT_TRUE(t && std::holds_alternative<TokenItem>(*t));
    EXPECT_EQ(std::get<TokenItem>(*t).seq, start_seq);
    EXPECT_EQ(s->deadline(), kPrefill + kTick) << "then the normal pace";
  }
}

}  // namespace
}  // namespace connswap::worker
