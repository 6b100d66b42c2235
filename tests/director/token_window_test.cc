#include "director/token_window.h"

#include <deque>
#include <string>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

TEST(TokenWindow, KeepsTheLastLimitTokensOldestFirst) {
  TokenWindow w;
  EXPECT_TRUE(w.tokens().empty());
  std::deque<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    // Lengths from 0 to 300 bytes: one- and two-byte length prefixes.
    const std::string token(static_cast<std::size_t>(i % 301), static_cast<char>('a' + i % 26));
    w.push(token, 7);
    expected.push_back(token);
    if (expected.size() > 7) {
      expected.pop_front();
    }
    ASSERT_EQ(w.size(), expected.size());
    ASSERT_EQ(w.tokens(), std::vector<std::string>(expected.begin(), expected.end())) << i;
  }
}

TEST(TokenWindow, LimitOneAndBinaryTokens) {
  TokenWindow w;
  w.push(std::string("\0\x80\xff", 3), 1);
  w.push("x", 1);
  EXPECT_EQ(w.tokens(), std::vector<std::string>{"x"});
  w.push(std::string("\0\x80", 2), 1);
  EXPECT_EQ(w.tokens(), std::vector<std::string>{std::string("\0\x80", 2)});
}

TEST(TokenWindow, MemoryStaysNearTheLiveBytes) {
  TokenWindow w;
  for (int i = 0; i < 100'000; ++i) {
    w.push("mountain ", 256);  // 9 bytes + 1 length byte
  }
  EXPECT_EQ(w.size(), 256U);
  // Live: 2,560 bytes; compaction keeps the buffer under 4/3 of that, plus string growth.
  EXPECT_LE(w.capacity_bytes(), 2 * 4 * 2560 / 3);
}

}  // namespace
}  // namespace connswap::director
