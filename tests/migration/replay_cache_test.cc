// The replay cache's bounds (issue 14 item 2): live redeemed tokens per stream and per
// connection id, and what a full cache does: evict the heaviest connection id into a
// tombstone that still refuses every token it held, so one abuser cannot lock everyone out.

#include "migration/replay_cache.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace connswap::migration {
namespace {

constexpr UnixSeconds kNow = 1'000;

// A distinct 16-byte nonce per n.
Bytes nonce(std::uint64_t n) {
  Bytes out(16, 0);
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::uint8_t>(n >> (8 * i));
  }
  return out;
}

MResult<void> insert(ReplayCache& cache,
                     std::uint64_t n,
                     const std::string& connection,
                     std::uint64_t stream,
                     UnixSeconds issued_at = kNow,
                     UnixSeconds now = kNow) {
  const Bytes id = nonce(n);
  return cache.insert(ReplayEntry{id, connection, stream, issued_at, issued_at + 330}, now);
}

MigrationErrc code(const MResult<void>& r) {
  EXPECT_FALSE(r);
  return r ? MigrationErrc::kCrypto : r.error().code;
}

TEST(ReplayCache, InsertRefusesExpire) {
  ReplayCache cache(ReplayLimits{.capacity = 10});
  ASSERT_TRUE(insert(cache, 1, "a", 1, kNow));
  ASSERT_TRUE(insert(cache, 2, "a", 2, kNow + 100));
  EXPECT_TRUE(cache.refuses(nonce(1), "a", kNow));
  EXPECT_EQ(code(insert(cache, 1, "a", 1)), MigrationErrc::kReplayed);
  cache.expire(kNow + 330);
  EXPECT_FALSE(cache.refuses(nonce(1), "a", kNow));
  EXPECT_TRUE(cache.refuses(nonce(2), "a", kNow));
  EXPECT_EQ(cache.size(), 1U);
}

TEST(ReplayCache, OneStreamIsBounded) {
  ReplayCache cache(ReplayLimits{.capacity = 100, .per_connection = 100, .per_stream = 3});
  for (std::uint64_t n = 0; n < 3; ++n) {
    ASSERT_TRUE(insert(cache, n, "abuser", 7));
  }
  EXPECT_EQ(code(insert(cache, 3, "abuser", 7)), MigrationErrc::kReplayStreamLimit);
  EXPECT_TRUE(insert(cache, 4, "abuser", 8));  // another stream of the same connection
  EXPECT_EQ(cache.stats().refused_per_stream, 1U);
  cache.expire(kNow + 330);
  EXPECT_TRUE(insert(cache, 5, "abuser", 7, kNow + 330, kNow + 330));
}

TEST(ReplayCache, OneConnectionIsBoundedOthersStillRedeem) {
  ReplayCache cache(ReplayLimits{.capacity = 100, .per_connection = 5, .per_stream = 16});
  for (std::uint64_t n = 0; n < 5; ++n) {
    ASSERT_TRUE(insert(cache, n, "abuser", n));
  }
  EXPECT_EQ(code(insert(cache, 10, "abuser", 10)), MigrationErrc::kReplayConnectionLimit);
  EXPECT_TRUE(insert(cache, 11, "honest", 1));
  EXPECT_EQ(cache.stats().refused_per_connection, 1U);
}

// The attack: many connection ids of one abuser fill the cache. A full cache evicts the
// heaviest connection id into a tombstone; its tokens stay refused; the honest client
// redeems.
TEST(ReplayCache, FullCacheEvictsTheHeaviestConnectionNotEveryone) {
  ReplayCache cache(ReplayLimits{.capacity = 10, .per_connection = 6, .per_stream = 16});
  ASSERT_TRUE(insert(cache, 100, "honest", 1));
  for (std::uint64_t n = 0; n < 6; ++n) {
    ASSERT_TRUE(insert(cache, n, "abuser-1", n, kNow - 1));
  }
  for (std::uint64_t n = 6; n < 9; ++n) {
    ASSERT_TRUE(insert(cache, n, "abuser-2", n));
  }
  ASSERT_EQ(cache.size(), 10U);
  ASSERT_TRUE(insert(cache, 101, "honest", 2));
  EXPECT_EQ(cache.stats().evictions, 1U);
  EXPECT_EQ(cache.size(), 6U);  // honest 2 + abuser-2 3 + one tombstone
  // Every evicted token is still refused (the tombstone), the honest ones are recorded...
  for (std::uint64_t n = 0; n < 6; ++n) {
    EXPECT_TRUE(cache.refuses(nonce(n), "abuser-1", kNow - 1));
    EXPECT_EQ(code(insert(cache, n, "abuser-1", n, kNow - 1)), MigrationErrc::kReplayed);
  }
  EXPECT_TRUE(cache.refuses(nonce(100), "honest", kNow));
  // ...and the evicted connection's tokens issued later still redeem once.
  EXPECT_TRUE(insert(cache, 50, "abuser-1", 50, kNow + 1, kNow + 1));
  EXPECT_EQ(code(insert(cache, 50, "abuser-1", 50, kNow + 1, kNow + 1)), MigrationErrc::kReplayed);
  // The tombstone lives as long as the longest evicted token.
  cache.expire(kNow - 1 + 330);
  EXPECT_FALSE(cache.refuses(nonce(0), "abuser-1", kNow - 1));
}

TEST(ReplayCache, FullOfSingleEntriesFailsClosed) {
  ReplayCache cache(ReplayLimits{.capacity = 3});
  for (std::uint64_t n = 0; n < 3; ++n) {
    ASSERT_TRUE(insert(cache, n, "c" + std::to_string(n), 1));
  }
  EXPECT_EQ(code(insert(cache, 9, "c9", 1)), MigrationErrc::kReplayCacheFull);
  EXPECT_EQ(cache.stats().refused_full, 1U);
  for (std::uint64_t n = 0; n < 3; ++n) {
    EXPECT_TRUE(cache.refuses(nonce(n), "c" + std::to_string(n), kNow));
  }
}

}  // namespace
}  // namespace connswap::migration
