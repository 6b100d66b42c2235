// decode_request: the accepted forms of both endpoints and what they decode to.

#include "openai/request.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace connswap::openai {
namespace {

using nlohmann::json;

const DecodeLimits kLimits{.max_tokens = 4096, .default_max_tokens = 16};

CompletionRequest decode_ok(Endpoint endpoint, const std::string& body) {
  auto r = decode_request(endpoint, body, kLimits);
  EXPECT_TRUE(r.has_value()) << body << " -> " << (r ? "" : encode_error(r.error()));
  return r ? *r : CompletionRequest{};
}

TEST(OpenAiRequest, ChatMinimal) {
  const auto r = decode_ok(Endpoint::kChat, R"({"messages":[{"role":"user","content":"Hello"}]})");
  EXPECT_EQ(r.endpoint, Endpoint::kChat);
  EXPECT_EQ(r.model, "");
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_EQ(r.max_tokens, 16u);  // the default
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, "user");
  EXPECT_EQ(r.messages[0].text, "Hello");
  EXPECT_EQ(r.prompt, R"([{"content":"Hello","role":"user"}])");  // canonical: keys sorted
  EXPECT_TRUE(r.params.empty());
  EXPECT_TRUE(r.ignored_keys.empty());
}

TEST(OpenAiRequest, ChatEveryRoleAndContentForm) {
  const auto r = decode_ok(Endpoint::kChat, R"({"model":"m1","messages":[
      {"role":"system","content":"S"},
      {"role":"developer","content":[{"type":"text","text":"D1"},{"type":"text","text":"D2"}]},
      {"role":"user","content":"U","name":"bob"},
      {"role":"assistant","content":null},
      {"role":"assistant","content":""},
      {"role":"tool","content":"T","tool_call_id":"x"}]})");
  ASSERT_EQ(r.messages.size(), 6u);
  EXPECT_EQ(r.model, "m1");
  EXPECT_EQ(r.messages[1].role, "developer");
  EXPECT_EQ(r.messages[1].text, "D1D2");
  EXPECT_EQ(r.messages[3].text, "");
  EXPECT_EQ(r.messages[5].role, "tool");
  // The prompt is the messages array itself, unknown message keys included.
  const json prompt = json::parse(r.prompt);
  ASSERT_TRUE(prompt.is_array());
  EXPECT_EQ(prompt.size(), 6u);
  EXPECT_EQ(prompt[5]["tool_call_id"], "x");
  EXPECT_TRUE(prompt[3]["content"].is_null());
}

TEST(OpenAiRequest, CompletionsPromptForms) {
  EXPECT_EQ(decode_ok(Endpoint::kCompletions, R"({"prompt":"Once upon"})").prompt, "Once upon");
  EXPECT_EQ(decode_ok(Endpoint::kCompletions, R"({"prompt":["Only one"]})").prompt, "Only one");
  EXPECT_EQ(decode_ok(Endpoint::kCompletions, R"({"prompt":""})").prompt, "");
  const auto r = decode_ok(Endpoint::kCompletions, R"({"prompt":"x","messages":[]})");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.ignored_keys, std::vector<std::string>{"messages"});  // not this endpoint's
}

TEST(OpenAiRequest, StreamAndUsage) {
  const auto r = decode_ok(Endpoint::kChat,
                           R"({"messages":[{"role":"user","content":"x"}],"stream":true,
                               "stream_options":{"include_usage":true,"continuous_usage_stats":1}})");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  const auto off =
      decode_ok(Endpoint::kCompletions,
                R"({"prompt":"x","stream":true,"stream_options":{"include_usage":false}})");
  EXPECT_TRUE(off.stream);
  EXPECT_FALSE(off.include_usage);
}

TEST(OpenAiRequest, NullMeansDefault) {
  const auto r = decode_ok(Endpoint::kCompletions,
                           R"({"prompt":"x","model":null,"stream":null,"stream_options":null,
                               "max_tokens":null,"temperature":null,"n":null,"tools":null,
                               "logprobs":null,"suffix":null})");
  EXPECT_EQ(r.max_tokens, 16u);
  EXPECT_FALSE(r.stream);
  EXPECT_TRUE(r.params.empty());
  EXPECT_TRUE(r.ignored_keys.empty());
}

TEST(OpenAiRequest, MaxTokensBoundaries) {
  const auto with = [](const std::string& field) {
    return decode_ok(Endpoint::kCompletions, R"({"prompt":"x",)" + field + "}").max_tokens;
  };
  EXPECT_EQ(with(R"("max_tokens":1)"), 1u);
  EXPECT_EQ(with(R"("max_tokens":4096)"), 4096u);  // == limits.max_tokens
  EXPECT_EQ(with(R"("max_completion_tokens":7)"), 7u);
  EXPECT_EQ(with(R"("max_tokens":5,"max_completion_tokens":9)"), 9u);  // the newer name wins
}

TEST(OpenAiRequest, PassThroughKeepsCompactJson) {
  const auto r = decode_ok(Endpoint::kChat, R"({"messages":[{"role":"user","content":"x"}],
      "temperature": 0.7, "top_p": 1, "top_k": 40, "min_p": 0.05, "seed": -3,
      "stop": ["\n", "END"], "presence_penalty": -0.5, "frequency_penalty": 0,
      "repeat_penalty": 1.1, "repetition_penalty": 1.0, "logit_bias": {"50256": -100},
      "user": "u-1", "typical_p": 0.9, "ignore_eos": false, "stop_token_ids": [2, 3]})");
  const std::map<std::string, std::string> expected{{"temperature", "0.7"},
                                                    {"top_p", "1"},
                                                    {"top_k", "40"},
                                                    {"min_p", "0.05"},
                                                    {"seed", "-3"},
                                                    {"stop", R"(["\n","END"])"},
                                                    {"presence_penalty", "-0.5"},
                                                    {"frequency_penalty", "0"},
                                                    {"repeat_penalty", "1.1"},
                                                    {"repetition_penalty", "1.0"},
                                                    {"logit_bias", R"({"50256":-100})"},
                                                    {"user", R"("u-1")"},
                                                    {"typical_p", "0.9"},
                                                    {"ignore_eos", "false"},
                                                    {"stop_token_ids", "[2,3]"}};
  EXPECT_EQ(r.params, expected);
  EXPECT_EQ(decode_ok(Endpoint::kCompletions, R"({"prompt":"x","stop":"."})").params.at("stop"),
            R"(".")");
}

TEST(OpenAiRequest, NeutralValuesOfUnsupportedParametersAreAccepted) {
  const auto r = decode_ok(Endpoint::kCompletions, R"({"prompt":"x","n":1,"best_of":1,
      "tools":[],"functions":[],"tool_choice":"none","function_call":"none","logprobs":0,
      "top_logprobs":0,"response_format":{"type":"text"},"echo":false,"suffix":"",
      "modalities":["text"]})");
  EXPECT_TRUE(r.params.empty());
  EXPECT_TRUE(r.ignored_keys.empty());
  (void)decode_ok(Endpoint::kChat,
                  R"({"messages":[{"role":"user","content":"x"}],"logprobs":false})");
}

TEST(OpenAiRequest, UnknownKeysAreIgnoredAndListed) {
  const auto r = decode_ok(Endpoint::kChat, R"({"messages":[{"role":"user","content":"x"}],
      "zeta":1,"metadata":{"a":"b"},"store":true,"parallel_tool_calls":false})");
  EXPECT_EQ(r.ignored_keys,
            (std::vector<std::string>{"metadata", "parallel_tool_calls", "store", "zeta"}));
  EXPECT_TRUE(r.params.empty());
}

TEST(OpenAiRequest, ToGenerateRequest) {
  const auto chat = decode_ok(Endpoint::kChat,
                              R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":5,
                                  "temperature":0.2})");
  const auto g = chat.to_generate_request();
  EXPECT_EQ(g.prompt(), chat.prompt);
  EXPECT_EQ(g.max_tokens(), 5u);
  EXPECT_EQ(g.params().at("temperature"), "0.2");
  EXPECT_EQ(g.params().at("connswap_endpoint"), "chat");
  EXPECT_EQ(g.params().size(), 2u);
  EXPECT_EQ(g.start_seq(), 0u);
  EXPECT_FALSE(g.has_resume());

  const auto text = decode_ok(Endpoint::kCompletions, R"({"prompt":"abc"})");
  const auto h = text.to_generate_request();
  EXPECT_EQ(h.prompt(), "abc");
  EXPECT_EQ(h.max_tokens(), 16u);
  EXPECT_EQ(h.params().at("connswap_endpoint"), "completions");
}

TEST(OpenAiRequest, UnicodeInPromptSurvives) {
  const auto r = decode_ok(Endpoint::kCompletions, R"({"prompt":"caf\u00e9 \ud83d\ude00 日本"})");
  EXPECT_EQ(r.prompt, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac");
}

TEST(OpenAiRequest, PassThroughListIsExplicit) {
  const auto& names = pass_through_parameters();
  for (const char* must : {"temperature",
                           "top_p",
                           "top_k",
                           "min_p",
                           "seed",
                           "stop",
                           "presence_penalty",
                           "frequency_penalty",
                           "repeat_penalty",
                           "repetition_penalty",
                           "logit_bias",
                           "user"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), must), names.end()) << must;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

}  // namespace
}  // namespace connswap::openai
