// The response encoders: every chunk kind parsed back and checked field by field.

#include "openai/response.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace connswap::openai {
namespace {

using namespace std::string_literals;
using nlohmann::json;

StreamContext chat_context(bool include_usage = false) {
  return StreamContext{.endpoint = Endpoint::kChat,
                       .id = "chatcmpl-abc",
                       .created = 1'700'000'000,
                       .model = "synthetic",
                       .include_usage = include_usage};
}

StreamContext text_context(bool include_usage = false) {
  return StreamContext{.endpoint = Endpoint::kCompletions,
                       .id = "cmpl-xyz",
                       .created = 42,
                       .model = "m",
                       .include_usage = include_usage};
}

// The fields every chunk of `context` carries, and its single choice (or none).
json parse_chunk(const std::string& text, const StreamContext& context) {
  json j = json::parse(text);
  EXPECT_EQ(j["id"], context.id);
  EXPECT_EQ(j["object"],
            context.endpoint == Endpoint::kChat ? "chat.completion.chunk" : "text_completion");
  EXPECT_EQ(j["created"], context.created);
  EXPECT_EQ(j["model"], context.model);
  EXPECT_TRUE(j["choices"].is_array());
  EXPECT_EQ(j.contains("usage"), context.include_usage) << text;
  return j;
}

json only_choice(const json& chunk) {
  EXPECT_EQ(chunk["choices"].size(), 1u);
  const json& c = chunk["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_TRUE(c["logprobs"].is_null());
  return c;
}

TEST(OpenAiChunks, ChatSequence) {
  const ChunkEncoder enc(chat_context());
  const auto opening = enc.opening();
  ASSERT_TRUE(opening.has_value());
  EXPECT_EQ(*opening,
            R"({"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,)"
            R"("model":"synthetic","choices":[{"index":0,"delta":{"role":"assistant",)"
            R"("content":""},"logprobs":null,"finish_reason":null}]})");
  json c = only_choice(parse_chunk(*opening, enc.context()));
  EXPECT_EQ(c["delta"], (json{{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(c["finish_reason"].is_null());

  c = only_choice(parse_chunk(enc.token("Hello"), enc.context()));
  EXPECT_EQ(c["delta"], (json{{"content", "Hello"}}));
  EXPECT_TRUE(c["finish_reason"].is_null());

  c = only_choice(parse_chunk(enc.finish(FinishReason::kLength), enc.context()));
  EXPECT_EQ(c["delta"], json::object());
  EXPECT_EQ(c["finish_reason"], "length");
  c = only_choice(parse_chunk(enc.finish(FinishReason::kStop), enc.context()));
  EXPECT_EQ(c["finish_reason"], "stop");
}

TEST(OpenAiChunks, ChatWithUsage) {
  const ChunkEncoder enc(chat_context(/*include_usage=*/true));
  for (const std::string& chunk :
       {*enc.opening(), enc.token("a"), enc.finish(FinishReason::kStop)}) {
    const json j = parse_chunk(chunk, enc.context());
    EXPECT_TRUE(j["usage"].is_null());  // OpenAI: usage null on every chunk but the last
  }
  const json u =
      parse_chunk(enc.usage({.prompt_tokens = 7, .completion_tokens = 30}), enc.context());
  EXPECT_EQ(u["choices"], json::array());
  EXPECT_EQ(u["usage"],
            (json{{"prompt_tokens", 7}, {"completion_tokens", 30}, {"total_tokens", 37}}));
}

TEST(OpenAiChunks, CompletionsSequence) {
  const ChunkEncoder enc(text_context());
  EXPECT_FALSE(enc.opening().has_value());
  EXPECT_EQ(enc.token("Hi"),
            R"({"id":"cmpl-xyz","object":"text_completion","created":42,"model":"m",)"
            R"("choices":[{"text":"Hi","index":0,"logprobs":null,"finish_reason":null}]})");
  json c = only_choice(parse_chunk(enc.token(" there"), enc.context()));
  EXPECT_EQ(c["text"], " there");
  EXPECT_TRUE(c["finish_reason"].is_null());
  c = only_choice(parse_chunk(enc.finish(FinishReason::kLength), enc.context()));
  EXPECT_EQ(c["text"], "");
  EXPECT_EQ(c["finish_reason"], "length");

  const ChunkEncoder with_usage(text_context(true));
  const json u = parse_chunk(with_usage.usage({.prompt_tokens = 1, .completion_tokens = 2}),
                             with_usage.context());
  EXPECT_EQ(u["choices"], json::array());
  EXPECT_EQ(u["usage"]["total_tokens"], 3);
}

TEST(OpenAiChunks, TextIsEscapedAndNeverBreaksAnSseLine) {
  const ChunkEncoder enc(chat_context());
  const std::vector<std::string> texts = {
      "quote \" backslash \\ slash /",
      "line\nfeed\r\ncarriage\ttab",
      "nul\0bell\x07"
      "esc\x1b"s,
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
      "sep \xe2\x80\xa8 \xe2\x80\xa9",  // U+2028/2029: legal raw in JSON and in SSE
      "</script>",
  };
  for (const auto& t : texts) {
    const std::string chunk = enc.token(t);
    EXPECT_EQ(chunk.find('\n'), std::string::npos);
    EXPECT_EQ(chunk.find('\r'), std::string::npos);
    EXPECT_EQ(chunk.find('\0'), std::string::npos);
    EXPECT_EQ(only_choice(parse_chunk(chunk, enc.context()))["delta"]["content"], t);
  }
  EXPECT_NE(enc.token("a\nb").find(R"("a\nb")"), std::string::npos);
  EXPECT_NE(enc.token("\x01").find(R"("\u0001")"), std::string::npos);
}

TEST(OpenAiChunks, InvalidUtf8BecomesReplacementCharacter) {
  const ChunkEncoder enc(StreamContext{.endpoint = Endpoint::kChat,
                                       .id = "chatcmpl-\xff",
                                       .created = 0,
                                       .model = "m\xc3",
                                       .include_usage = false});
  const json j =
      json::parse(enc.token("a\xe6\x97"
                            "b\xff"));
  EXPECT_EQ(j["choices"][0]["delta"]["content"],
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd");
  EXPECT_EQ(j["id"], "chatcmpl-\xef\xbf\xbd");
  EXPECT_EQ(j["model"], "m\xef\xbf\xbd");
}

TEST(OpenAiBodies, ChatCompletion) {
  const json j = json::parse(encode_completion(chat_context(),
                                               "Hi \xe2\x9c\x93",
                                               FinishReason::kStop,
                                               {.prompt_tokens = 3, .completion_tokens = 2}));
  EXPECT_EQ(j["id"], "chatcmpl-abc");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["created"], 1'700'000'000);
  EXPECT_EQ(j["model"], "synthetic");
  ASSERT_EQ(j["choices"].size(), 1u);
  const json& c = j["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_EQ(c["message"], (json{{"role", "assistant"}, {"content", "Hi \xe2\x9c\x93"}}));
  EXPECT_TRUE(c["logprobs"].is_null());
  EXPECT_EQ(c["finish_reason"], "stop");
  EXPECT_EQ(j["usage"],
            (json{{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}}));
}

TEST(OpenAiBodies, TextCompletionInOpenAiFieldOrder) {
  EXPECT_EQ(encode_completion(text_context(),
                              "x\ny",
                              FinishReason::kLength,
                              {.prompt_tokens = 1, .completion_tokens = 4}),
            R"({"id":"cmpl-xyz","object":"text_completion","created":42,"model":"m",)"
            R"("choices":[{"text":"x\ny","index":0,"logprobs":null,"finish_reason":"length"}],)"
            R"("usage":{"prompt_tokens":1,"completion_tokens":4,"total_tokens":5}})");
}

TEST(OpenAiBodies, Models) {
  const std::vector<std::string> models = {"synthetic", "llama-3"};
  const json j = json::parse(encode_models(models, 99));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(
      j["data"][1],
      (json{{"id", "llama-3"}, {"object", "model"}, {"created", 99}, {"owned_by", "connswap"}}));
  EXPECT_EQ(encode_models({}, 0), R"({"object":"list","data":[]})");
}

TEST(OpenAiNames, FinishReasonsAndIds) {
  EXPECT_EQ(finish_reason_from_director("done"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_director("length"), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from_director("stop"), FinishReason::kStop);
  EXPECT_EQ(to_string(FinishReason::kStop), "stop");
  EXPECT_EQ(to_string(FinishReason::kLength), "length");
  EXPECT_EQ(id_prefix(Endpoint::kChat), "chatcmpl-");
  EXPECT_EQ(id_prefix(Endpoint::kCompletions), "cmpl-");
  EXPECT_EQ(to_string(Endpoint::kChat), "chat");
  EXPECT_EQ(to_string(Endpoint::kCompletions), "completions");
}

TEST(OpenAiUtf8Joiner, HoldsBackASplitCharacter) {
  Utf8Joiner joiner;
  // U+1F600 (4 bytes) split 1 + 2 + 1, with ASCII around it.
  EXPECT_EQ(joiner.push("a\xf0"), "a");
  EXPECT_EQ(joiner.push("\x9f\x98"), "");
  EXPECT_EQ(joiner.push("\x80"
                        "b"),
            "\xf0\x9f\x98\x80"
            "b");
  EXPECT_EQ(joiner.push("\xc3"), "");
  EXPECT_EQ(joiner.push("\xa9"), "\xc3\xa9");
  EXPECT_EQ(joiner.push("\xe6\x97"), "");
  EXPECT_EQ(joiner.flush(), "\xe6\x97");  // the stream ended mid-character
  EXPECT_EQ(joiner.flush(), "");
  // Bytes that cannot start a longer sequence are passed on at once.
  EXPECT_EQ(joiner.push("x\xff"), "x\xff");
  EXPECT_EQ(joiner.push("\x80"), "\x80");
}

}  // namespace
}  // namespace connswap::openai
