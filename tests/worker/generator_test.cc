#include "worker/generator.h"

#include <array>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

// Golden values, computed independently (Python) from the documented algorithm. If one of
// these changes, every deployed client and worker disagrees: do not "fix" the test.
struct Golden {
  std::string_view prompt;
  std::uint64_t seq;
  std::uint64_t hash;
  std::string_view token;
};
constexpr auto kGolden = std::to_array<Golden>({
    {"", 1, 0x89cd31291d2aefa4ULL, "mountain "},
    {"hello", 1, 0xfa60786ad0fd424aULL, "often "},
    {"hello", 2, 0xdb65b161c60df829ULL, "closes "},
    {"hello", 31, 0x302c3ec53e562794ULL, "copper "},
    {"Tell me a story", 1, 0x23ae8becf9e81c9bULL, "across "},
    {"Tell me a story", 1000000, 0xec3e6ae213cb69d3ULL, "earth "},
});

TEST(DemoGenerator, MatchesGoldenValues) {
  DemoGenerator gen;
  for (const auto& g : kGolden) {
    SCOPED_TRACE(std::string(g.prompt) + "#" + std::to_string(g.seq));
    EXPECT_EQ(demo_hash(g.prompt, g.seq), g.hash);
    EXPECT_EQ(demo_token(g.prompt, g.seq), g.token);
    GenerateRequest req{.prompt = std::string(g.prompt)};
    EXPECT_EQ(gen.token(req, g.seq, {}), g.token);
  }
}

TEST(DemoGenerator, JoinedTokensReadLikeASentence) {
  std::string text;
  for (std::uint64_t seq = 1; seq <= 12; ++seq) {
    text += demo_token("Tell me a story", seq);
  }
  EXPECT_EQ(text, "across old olive young violet olive still depart teacher key glass bakes ");
}

TEST(DemoGenerator, IgnoresPrefixAndParams) {
  DemoGenerator gen;
  GenerateRequest a{.prompt = "p"};
  GenerateRequest b{.prompt = "p", .max_tokens = 9, .start_seq = 5, .params = {{"t", "1"}}};
  std::array<std::string, 2> prefix = {"x ", "y "};
  EXPECT_EQ(gen.token(a, 7, {}), gen.token(b, 7, prefix));
}

TEST(DemoGenerator, WordTableIsDistinctAndLowercase) {
  std::set<std::string_view> words;
  for (int i = 0; i < 256; ++i) {
    auto w = demo_word(static_cast<std::uint8_t>(i));
    ASSERT_FALSE(w.empty());
    for (char c : w) {
      EXPECT_TRUE(c >= 'a' && c <= 'z') << w;
    }
    words.insert(w);
  }
  EXPECT_EQ(words.size(), 256U);
}

TEST(DemoGenerator, UsesManyWords) {
  std::set<std::string> seen;
  for (std::uint64_t seq = 1; seq <= 2000; ++seq) {
    seen.insert(demo_token("spread", seq));
  }
  EXPECT_GT(seen.size(), 200U);
}

}  // namespace
}  // namespace connswap::worker
