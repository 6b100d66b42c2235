// The model server the LLM e2e tests stand on (tests/e2e/llama_server.h): it starts, lists
// its model, and decodes greedily and deterministically, so that a text continuation of a
// prompt plus the first k characters of an answer reproduces the rest of that answer byte
// for byte, on another server process. The failover tests' "identical text" claim rests on
// these facts.

#include "e2e/llama_server.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace connswap::e2e {
namespace {

constexpr const char* kPrompt = "hello world";
constexpr int kTokens = 64;

TEST(LlamaServerTest, StartsAndListsTheModel) {
  LlamaServer server;
  ASSERT_TRUE(server.ready());
  EXPECT_EQ(server.url(), "http://" + server.address() + "/v1");
  std::string body;
  ASSERT_EQ(server.get_models(&body), 200);
  const auto models = nlohmann::json::parse(body, nullptr, false);
  ASSERT_TRUE(models.is_object()) << body;
  ASSERT_EQ(models["data"].size(), 1U) << body;
  EXPECT_EQ(models["data"][0]["id"], kTinyModel) << body;
}

TEST(LlamaServerTest, TwoServersGiveIdenticalGreedyText) {
  LlamaServer a("llama-a");
  LlamaServer b("llama-b");
  ASSERT_TRUE(a.ready() && b.ready());
  const SseAnswer answer = a.complete(kPrompt, kTokens);
  // One character per token and per chunk (the character-level vocabulary), never EOS.
  EXPECT_EQ(answer.text.size(), static_cast<std::size_t>(kTokens));
  EXPECT_EQ(answer.chunks, static_cast<std::size_t>(kTokens) + 1) << "+1: the finish chunk";
  EXPECT_EQ(answer.finish_reason, "length");
  // Not a degenerate model: the answer varies, and depends on the prompt.
  EXPECT_GE(std::set<char>(answer.text.begin(), answer.text.end()).size(), 8U) << answer.text;
  EXPECT_NE(a.reference("something else", kTokens), answer.text);
  EXPECT_EQ(b.reference(kPrompt, kTokens), answer.text);
  EXPECT_EQ(a.reference(kPrompt, kTokens), answer.text) << "a second run on the same server";
}

TEST(LlamaServerTest, TextContinuationOnAnotherServerReproducesTheRest) {
  LlamaServer a("llama-a");
  LlamaServer b("llama-b");
  ASSERT_TRUE(a.ready() && b.ready());
  const std::string full = a.reference(kPrompt, kTokens);
  ASSERT_EQ(full.size(), static_cast<std::size_t>(kTokens));
  for (const int k : {10, 40}) {
    const std::string rest = b.reference(kPrompt + full.substr(0, k), kTokens - k);
    EXPECT_EQ(rest, full.substr(k)) << "k=" << k << " full=" << full;
  }
}

}  // namespace
}  // namespace connswap::e2e
