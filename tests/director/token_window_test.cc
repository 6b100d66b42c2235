#include "director/token_window.h"

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

TEST(TokenWindow, KeepsTheLastLimitTokensOldestFirst) {
  TokenWindow w(7);
  EXPECT_TRUE(w.tokens().empty());
  std::deque<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    // Lengths from 0 to 300 bytes: one- and two-byte length prefixes.
    const std::string token(static_cast<std::size_t>(i % 301), static_cast<char>('a' + i % 26));
    w.push(token);
    expected.push_back(token);
    if (expected.size() > 7) {
      expected.pop_front();
    }
    ASSERT_EQ(w.size(), expected.size());
    ASSERT_EQ(w.tokens(), std::vector<std::string>(expected.begin(), expected.end())) << i;
  }
}

TEST(TokenWindow, LimitOneAndBinaryTokens) {
  TokenWindow w(1);
  w.push(std::string("\0\x80\xff", 3));
  w.push("x");
  EXPECT_EQ(w.tokens(), std::vector<std::string>{"x"});
  w.push(std::string("\0\x80", 2));
  EXPECT_EQ(w.tokens(), std::vector<std::string>{std::string("\0\x80", 2)});
}

TEST(TokenWindow, MemoryStaysNearTheLiveBytes) {
  TokenWindow w(256);
  for (int i = 0; i < 100'000; ++i) {
    w.push("mountain ");  // 9 bytes + 1 length byte
  }
  EXPECT_EQ(w.size(), 256U);
  // Live: 2,560 bytes; compaction keeps the buffer under 4/3 of that, plus string growth.
  EXPECT_LE(w.capacity_bytes(), 2 * 4 * 2560 / 3);
}

// The byte bound drops the oldest tokens until the text fits; a token larger than the
// bound is dropped itself. push() reports how many went, tail_tokens() the newest `tail`.
TEST(TokenWindow, ByteBoundDropsOldestAndReportsIt) {
  TokenWindow w(/*max_tokens=*/100, /*max_bytes=*/10, /*tail=*/2);
  EXPECT_EQ(w.push("abcd"), 0U);
  EXPECT_EQ(w.push("efgh"), 0U);
  EXPECT_EQ(w.push("ij"), 0U);  // exactly 10 bytes
  EXPECT_EQ(w.text_bytes(), 10U);
  EXPECT_EQ(w.tail_tokens(), (std::vector<std::string>{"efgh", "ij"}));
  EXPECT_EQ(w.push("k"), 1U);  // 11 bytes: "abcd" goes
  EXPECT_EQ(w.tokens(), (std::vector<std::string>{"efgh", "ij", "k"}));
  EXPECT_EQ(w.push("lmnopqrst"), 2U);  // 16 bytes: "efgh" and "ij" go
  EXPECT_EQ(w.tokens(), (std::vector<std::string>{"k", "lmnopqrst"}));
  EXPECT_EQ(w.tail_tokens(), w.tokens());
  EXPECT_EQ(w.push("this one is too long"), 3U);  // 20 > 10 alone: dropped too
  EXPECT_EQ(w.size(), 0U);
  EXPECT_EQ(w.text_bytes(), 0U);
  EXPECT_TRUE(w.tail_tokens().empty());
  EXPECT_EQ(w.push(""), 0U);
  EXPECT_EQ(w.push("xy"), 0U);
  EXPECT_EQ(w.tokens(), (std::vector<std::string>{"", "xy"}));
}

// Against a model: random token sizes under random bounds; tokens(), tail_tokens(),
// text_bytes() and the drop counts always match a deque.
TEST(TokenWindow, MatchesADequeUnderBothBounds) {
  std::mt19937 rng(13);
  for (int round = 0; round < 50; ++round) {
    const std::size_t max_tokens = 1 + rng() % 40;
    const std::size_t max_bytes = 1 + rng() % 600;
    const std::size_t tail = rng() % 50;
    TokenWindow w(max_tokens, max_bytes, tail);
    std::deque<std::string> model;
    std::size_t bytes = 0;
    for (int i = 0; i < 400; ++i) {
      const std::size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 8;
      const std::string token(len, static_cast<char>('a' + i % 26));
      model.push_back(token);
      bytes += len;
      std::size_t dropped = 0;
      while (!model.empty() && (model.size() > max_tokens || bytes > max_bytes)) {
        bytes -= model.front().size();
        model.pop_front();
        ++dropped;
      }
      ASSERT_EQ(w.push(token), dropped) << round << " " << i;
      ASSERT_EQ(w.text_bytes(), bytes);
      ASSERT_EQ(w.tokens(), std::vector<std::string>(model.begin(), model.end()));
      const std::size_t n = std::min(tail, model.size());
      ASSERT_EQ(w.tail_tokens(), std::vector<std::string>(model.end() - n, model.end()));
    }
  }
}

// Tightening the bounds (a whole prefix falling back to the window) drops the oldest
// tokens and gives the buffer's slack back.
TEST(TokenWindow, SetLimitsDropsAndShrinks) {
  TokenWindow w(TokenWindow::kUnbounded, 1 << 20, 4);
  for (int i = 0; i < 10'000; ++i) {
    w.push("token" + std::to_string(i % 10) + " ");
  }
  EXPECT_EQ(w.size(), 10'000U);
  EXPECT_GE(w.capacity_bytes(), 80'000U);
  EXPECT_EQ(w.set_limits(4, 1 << 20), 9'996U);
  EXPECT_EQ(w.tokens(), (std::vector<std::string>{"token6 ", "token7 ", "token8 ", "token9 "}));
  EXPECT_EQ(w.tail_tokens(), w.tokens());
  EXPECT_LE(w.capacity_bytes(), 128U);
  w.push("more ");
  EXPECT_EQ(w.tokens().back(), "more ");
  EXPECT_EQ(w.size(), 4U);
}

// A whole 2,048-token answer of demo-sized tokens costs its text plus one length byte per
// token, plus the vector's growth slack.
TEST(TokenWindow, WholePrefixCostsTextPlusOneBytePerToken) {
  TokenWindow w(32'768, 1 << 20, 256);
  std::size_t text = 0;
  for (int i = 0; i < 2048; ++i) {
    const std::string token = i % 2 == 0 ? "mountain " : "a ";
    text += token.size();
    w.push(token);
  }
  EXPECT_EQ(w.text_bytes(), text);
  EXPECT_LE(w.capacity_bytes(), 2 * (text + 2048));
  EXPECT_EQ(w.tail_tokens().size(), 256U);
}

}  // namespace
}  // namespace connswap::director
