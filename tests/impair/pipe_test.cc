// The impaired pipe: each impairment alone, measured over many datagrams with a fixed seed,
// and determinism (same seed, same outcome).

#include "impair/pipe.h"

#include <vector>

#include <gtest/gtest.h>

namespace connswap::impair {
namespace {

constexpr Duration kMs = kMillisecond;

Datagram numbered(std::uint64_t n, std::size_t bytes = 100) {
  return Datagram{n, Bytes(bytes, 0)};
}

// Pushes `count` datagrams, one every `gap`, and drains everything; returns (flow, time
// popped) per delivered datagram, polling at each deadline.
struct Out {
  std::uint64_t flow;
  Timestamp at;
};
std::vector<Out> run(Pipe& pipe, std::uint64_t count, Duration gap, std::size_t bytes = 100) {
  std::vector<Out> out;
  Timestamp now = kSecond;
  auto drain = [&](Timestamp until) {
    while (pipe.deadline() <= until) {
      now = std::max(now, pipe.deadline());
      while (auto d = pipe.pop(now)) {
        out.push_back({d->flow, now});
      }
    }
  };
  for (std::uint64_t i = 0; i < count; ++i) {
    const Timestamp arrival = kSecond + i * gap;
    drain(arrival);
    now = arrival;
    pipe.push(now, numbered(i, bytes), false);
  }
  drain(kNever - 1);
  return out;
}

TEST(Pipe, UnimpairedIsImmediateAndInOrder) {
  Pipe pipe(Profile{}, 1);
  pipe.push(5, numbered(7), false);
  EXPECT_EQ(pipe.deadline(), 5U);
  auto d = pipe.pop(5);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->flow, 7U);
  EXPECT_FALSE(pipe.pop(5));
  EXPECT_EQ(pipe.deadline(), kNever);
}

TEST(Pipe, DelayHoldsEachDatagram) {
  Pipe pipe(Profile{.delay = 50 * kMs}, 1);
  pipe.push(kSecond, numbered(1), false);
  EXPECT_FALSE(pipe.pop(kSecond + 50 * kMs - 1));
  EXPECT_TRUE(pipe.pop(kSecond + 50 * kMs));
}

TEST(Pipe, LossRateMatchesTheProfile) {
  Pipe pipe(Profile{.loss = 0.05}, 42);
  const auto out = run(pipe, 20'000, kMs);
  EXPECT_EQ(pipe.stats().lost + out.size(), 20'000U);
  EXPECT_NEAR(static_cast<double>(pipe.stats().lost) / 20'000, 0.05, 0.006);
}

TEST(Pipe, JitterStaysInBoundsAndKeepsOrder) {
  Pipe pipe(Profile{.delay = 50 * kMs, .jitter = 10 * kMs}, 3);
  const auto out = run(pipe, 5'000, 20 * kMs);  // gap > 2 x jitter: bounds are exact
  ASSERT_EQ(out.size(), 5'000U);
  Duration lo = kNever, hi = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i].flow, i) << "jitter alone reordered";
    const Duration delay = out[i].at - (kSecond + i * 20 * kMs);
    lo = std::min(lo, delay);
    hi = std::max(hi, delay);
  }
  EXPECT_GE(lo, 40 * kMs);
  EXPECT_LE(hi, 60 * kMs);
  EXPECT_LT(lo, 42 * kMs);  // the whole range is used
  EXPECT_GT(hi, 58 * kMs);
}

TEST(Pipe, JitterNeverReordersBackToBackDatagrams) {
  Pipe pipe(Profile{.delay = 50 * kMs, .jitter = 10 * kMs}, 4);
  const auto out = run(pipe, 2'000, 100 * kMicrosecond);
  ASSERT_EQ(out.size(), 2'000U);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i].flow, i);
  }
}

TEST(Pipe, ReorderSendsSomeDatagramsAhead) {
  Pipe pipe(Profile{.delay = 50 * kMs, .reorder = 0.1}, 5);
  const auto out = run(pipe, 2'000, kMs);
  ASSERT_EQ(out.size(), 2'000U);
  std::size_t overtakes = 0;
  for (std::size_t i = 1; i < out.size(); ++i) {
    overtakes += out[i].flow < out[i - 1].flow ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(pipe.stats().reordered) / 2'000, 0.1, 0.02);
  EXPECT_GT(overtakes, 100U);
}

TEST(Pipe, DuplicateSendsTwoCopies) {
  Pipe pipe(Profile{.duplicate = 0.2}, 6);
  const auto out = run(pipe, 5'000, kMs);
  EXPECT_EQ(out.size(), 5'000U + pipe.stats().duplicated);
  EXPECT_NEAR(static_cast<double>(pipe.stats().duplicated) / 5'000, 0.2, 0.02);
}

TEST(Pipe, RateLimitPacesAndTailDrops) {
  // 100 KB/s, 10 KB queue: 1000-byte datagrams leave 10 ms apart; a burst of 30 keeps 10.
  Pipe pipe(Profile{.rate_bytes_per_s = 100'000, .queue_bytes = 10'000}, 7);
  for (std::uint64_t i = 0; i < 30; ++i) {
    pipe.push(kSecond, numbered(i, 1'000), false);
  }
  EXPECT_EQ(pipe.stats().queue_drops, 20U);
  std::vector<Timestamp> times;
  for (Timestamp t = pipe.deadline(); t != kNever; t = pipe.deadline()) {
    ASSERT_TRUE(pipe.pop(t));
    times.push_back(t);
  }
  ASSERT_EQ(times.size(), 10U);
  for (std::size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(times[i], kSecond + (i + 1) * 10 * kMs);
  }
}

TEST(Pipe, BlackholedDatagramsAreDropped) {
  Pipe pipe(Profile{.delay = 10 * kMs}, 8);
  pipe.push(kSecond, numbered(1), false);
  pipe.push(kSecond, numbered(2), true);
  EXPECT_EQ(pipe.stats().blackholed, 1U);
  auto d = pipe.pop(kSecond + 10 * kMs);
  ASSERT_TRUE(d);  // in flight before the link went down: still arrives
  EXPECT_EQ(d->flow, 1U);
  EXPECT_EQ(pipe.deadline(), kNever);
}

TEST(Pipe, SameSeedSameOutcome) {
  const Profile p{
      .loss = 0.1, .delay = 30 * kMs, .jitter = 10 * kMs, .reorder = 0.05, .duplicate = 0.05};
  Pipe a(p, 99), b(p, 99), c(p, 100);
  const auto oa = run(a, 3'000, kMs), ob = run(b, 3'000, kMs), oc = run(c, 3'000, kMs);
  ASSERT_EQ(oa.size(), ob.size());
  for (std::size_t i = 0; i < oa.size(); ++i) {
    ASSERT_EQ(oa[i].flow, ob[i].flow);
    ASSERT_EQ(oa[i].at, ob[i].at);
  }
  EXPECT_NE(a.stats().lost, c.stats().lost);  // another seed, another outcome
}

TEST(Profile, ValidateNamesTheBadField) {
  EXPECT_TRUE(validate(Profile{.loss = 0.05, .delay = 50 * kMs, .jitter = 10 * kMs}));
  auto bad_loss = validate(Profile{.loss = 1.5});
  ASSERT_FALSE(bad_loss);
  EXPECT_NE(bad_loss.error().detail.find("loss"), std::string::npos);
  auto bad_jitter = validate(Profile{.delay = 5 * kMs, .jitter = 10 * kMs});
  ASSERT_FALSE(bad_jitter);
  EXPECT_NE(bad_jitter.error().detail.find("jitter"), std::string::npos);
  EXPECT_FALSE(validate(Profile{.rate_bytes_per_s = 1, .queue_bytes = 0}));
  EXPECT_FALSE(validate(Profile{.duplicate = -0.1}));
}

}  // namespace
}  // namespace connswap::impair
