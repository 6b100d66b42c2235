// decode_request: every rejection names its parameter, with OpenAI's status, type and code.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "openai/request.h"

namespace connswap::openai {
namespace {

using namespace std::string_literals;

const DecodeLimits kLimits{.max_tokens = 4096, .default_max_tokens = 16};

struct Rejected {
  Endpoint endpoint;
  std::string body;
  std::string param;
  std::string code;
};

constexpr auto kChat = Endpoint::kChat;
constexpr auto kText = Endpoint::kCompletions;

// A chat body with `extra` fields after a valid `messages`.
std::string chat(const std::string& extra) {
  return R"({"messages":[{"role":"user","content":"x"}])" + (extra.empty() ? "" : "," + extra) +
         "}";
}
std::string text(const std::string& extra) {
  return R"({"prompt":"x",)" + extra + "}";
}
std::string messages(const std::string& array) {
  return R"({"messages":)" + array + "}";
}

class OpenAiRejects : public testing::TestWithParam<Rejected> {};

TEST_P(OpenAiRejects, NamesTheParameter) {
  const Rejected& c = GetParam();
  auto r = decode_request(c.endpoint, c.body, kLimits);
  ASSERT_FALSE(r.has_value()) << c.body;
  const ApiError& e = r.error();
  EXPECT_EQ(e.http_status, 400) << c.body;
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.param, c.param) << c.body;
  EXPECT_EQ(e.code, c.code) << c.body << ": " << e.message;
  if (!c.param.empty()) {
    EXPECT_NE(e.message.find(c.param), std::string::npos) << e.message;
  }
}

const Rejected kUnsupported[] = {
    {kChat, chat(R"("n":2)"), "n", "unsupported_parameter"},
    {kChat, chat(R"("n":0)"), "n", "unsupported_parameter"},
    {kText, text(R"("best_of":3)"), "best_of", "unsupported_parameter"},
    {kChat,
     chat(R"("tools":[{"type":"function","function":{"name":"f"}}])"),
     "tools",
     "unsupported_parameter"},
    {kChat, chat(R"("tool_choice":"auto")"), "tool_choice", "unsupported_parameter"},
    {kChat, chat(R"("tool_choice":{"type":"function"})"), "tool_choice", "unsupported_parameter"},
    {kChat, chat(R"("functions":[{"name":"f"}])"), "functions", "unsupported_parameter"},
    {kChat, chat(R"("function_call":"auto")"), "function_call", "unsupported_parameter"},
    {kChat, chat(R"("logprobs":true)"), "logprobs", "unsupported_parameter"},
    {kText, text(R"("logprobs":5)"), "logprobs", "unsupported_parameter"},
    {kChat, chat(R"("top_logprobs":2)"), "top_logprobs", "unsupported_parameter"},
    {kChat,
     chat(R"("response_format":{"type":"json_object"})"),
     "response_format",
     "unsupported_parameter"},
    {kChat, chat(R"("response_format":{})"), "response_format", "unsupported_parameter"},
    {kText, text(R"("echo":true)"), "echo", "unsupported_parameter"},
    {kText, text(R"("suffix":"end")"), "suffix", "unsupported_parameter"},
    {kChat, chat(R"("audio":{"voice":"x"})"), "audio", "unsupported_parameter"},
    {kChat, chat(R"("modalities":["text","audio"])"), "modalities", "unsupported_parameter"},
    {kText, R"({"prompt":["a","b"]})", "prompt", "unsupported_value"},
    {kText, R"({"prompt":[1,2,3]})", "prompt", "unsupported_value"},
    {kText, R"({"prompt":[[1,2]]})", "prompt", "unsupported_value"},
    {kText, R"({"prompt":[]})", "prompt", "unsupported_value"},
    {kChat,
     messages(R"([{"role":"user","content":[{"type":"image_url","image_url":{}}]}])"),
     "messages[0].content[0].type",
     "unsupported_value"},
};
INSTANTIATE_TEST_SUITE_P(Unsupported, OpenAiRejects, testing::ValuesIn(kUnsupported));

const Rejected kWrongTypes[] = {
    {kChat, chat(R"("model":5)"), "model", "invalid_type"},
    {kChat, chat(R"("stream":"yes")"), "stream", "invalid_type"},
    {kChat, chat(R"("stream":true,"stream_options":true)"), "stream_options", "invalid_type"},
    {kChat,
     chat(R"("stream":true,"stream_options":{"include_usage":1})"),
     "stream_options.include_usage",
     "invalid_type"},
    {kChat, chat(R"("max_tokens":"10")"), "max_tokens", "invalid_type"},
    {kChat, chat(R"("max_tokens":10.5)"), "max_tokens", "invalid_type"},
    {kChat, chat(R"("max_tokens":10.0)"), "max_tokens", "invalid_type"},
    {kChat, chat(R"("max_tokens":1e30)"), "max_tokens", "invalid_type"},
    {kChat, chat(R"("max_completion_tokens":true)"), "max_completion_tokens", "invalid_type"},
    {kChat, chat(R"("temperature":"hot")"), "temperature", "invalid_type"},
    {kChat, chat(R"("top_p":[1])"), "top_p", "invalid_type"},
    {kChat, chat(R"("seed":1.5)"), "seed", "invalid_type"},
    {kChat, chat(R"("top_k":"40")"), "top_k", "invalid_type"},
    {kChat, chat(R"("stop":5)"), "stop", "invalid_type"},
    {kChat, chat(R"("stop":["a",1])"), "stop", "invalid_type"},
    {kChat, chat(R"("logit_bias":[])"), "logit_bias", "invalid_type"},
    {kChat, chat(R"("user":42)"), "user", "invalid_type"},
    {kChat, chat(R"("n":"2")"), "n", "invalid_type"},
    {kChat, chat(R"("tools":{})"), "tools", "invalid_type"},
    {kText, text(R"("echo":"no")"), "echo", "invalid_type"},
    {kText, text(R"("suffix":1)"), "suffix", "invalid_type"},
    {kChat, chat(R"("response_format":"text")"), "response_format", "invalid_type"},
    {kText, R"({"prompt":5})", "prompt", "invalid_type"},
    {kText, R"({"prompt":{"text":"x"}})", "prompt", "invalid_type"},
    {kChat, R"({"messages":"hi"})", "messages", "invalid_type"},
    {kChat, messages(R"(["hi"])"), "messages[0]", "invalid_type"},
    {kChat, messages(R"([{"role":1,"content":"x"}])"), "messages[0].role", "invalid_type"},
    {kChat, messages(R"([{"role":"user","content":5}])"), "messages[0].content", "invalid_type"},
    {kChat,
     messages(R"([{"role":"user","content":"a"},{"role":"user","content":["x"]}])"),
     "messages[1].content[0]",
     "invalid_type"},
    {kChat,
     messages(R"([{"role":"user","content":[{"type":"text","text":7}]}])"),
     "messages[0].content[0].text",
     "invalid_type"},
    {kChat,
     messages(R"([{"role":"user","content":"x","name":3}])"),
     "messages[0].name",
     "invalid_type"},
};
INSTANTIATE_TEST_SUITE_P(WrongTypes, OpenAiRejects, testing::ValuesIn(kWrongTypes));

const Rejected kBadValues[] = {
    {kChat, chat(R"("max_tokens":-1)"), "max_tokens", "invalid_value"},
    {kChat, chat(R"("max_tokens":0)"), "max_tokens", "invalid_value"},
    {kChat, chat(R"("max_tokens":4097)"), "max_tokens", "invalid_value"},
    {kChat, chat(R"("max_tokens":18446744073709551615)"), "max_tokens", "invalid_value"},
    {kChat, chat(R"("max_tokens":-9223372036854775808)"), "max_tokens", "invalid_value"},
    {kText, text(R"("max_completion_tokens":100000)"), "max_completion_tokens", "invalid_value"},
    {kChat,
     chat(R"("max_tokens":5,"max_completion_tokens":-5)"),
     "max_completion_tokens",
     "invalid_value"},
    {kChat, chat(R"("stream_options":{"include_usage":true})"), "stream_options", "invalid_value"},
    {kChat, chat(R"("stream":false,"stream_options":{})"), "stream_options", "invalid_value"},
    {kChat, "{}", "messages", "missing_required_parameter"},
    {kChat, R"({"messages":null})", "messages", "missing_required_parameter"},
    {kChat, R"({"messages":[]})", "messages", "empty_array"},
    {kText, "{}", "prompt", "missing_required_parameter"},
    {kChat, messages(R"([{"content":"x"}])"), "messages[0].role", "missing_required_parameter"},
    {kChat, messages(R"([{"role":"robot","content":"x"}])"), "messages[0].role", "invalid_value"},
    {kChat, messages(R"([{"role":"user"}])"), "messages[0].content", "missing_required_parameter"},
    {kChat,
     messages(R"([{"role":"user","content":[{"type":"text"}]}])"),
     "messages[0].content[0].text",
     "missing_required_parameter"},
};
INSTANTIATE_TEST_SUITE_P(BadValues, OpenAiRejects, testing::ValuesIn(kBadValues));

// Bodies that are not a JSON object at all: no parameter to name.
const Rejected kBadBodies[] = {
    {kChat, "", "", "invalid_json"},
    {kChat, "{", "", "invalid_json"},
    {kChat, R"({"messages":[{"role":"user","content":"x"}]} trailing)", "", "invalid_json"},
    {kChat, R"({"a":1,})", "", "invalid_json"},
    {kChat, "{'a':1}", "", "invalid_json"},
    {kText, "{\"prompt\":\"bad \xff byte\"}", "", "invalid_json"},
    {kText, "{\"prompt\":\"overlong \xc0\xaf\"}", "", "invalid_json"},
    {kText, "{\"prompt\":\"surrogate \xed\xa0\x80\"}", "", "invalid_json"},
    {kText, "{\"prompt\":\"cut \xe6\x97\"}", "", "invalid_json"},
    {kText, R"({"prompt":"lone \ud800"})", "", "invalid_json"},
    {kText, "{\"prompt\":\"nul \0 inside\"}"s, "", "invalid_json"},
    {kChat, "[]", "", "invalid_type"},
    {kChat, R"("text")", "", "invalid_type"},
    {kChat, "null", "", "invalid_type"},
    {kChat, "42", "", "invalid_type"},
};
INSTANTIATE_TEST_SUITE_P(BadBodies, OpenAiRejects, testing::ValuesIn(kBadBodies));

TEST(OpenAiRequestLimits, DeepNestingIsRejectedBeforeParsing) {
  for (const std::string& body :
       {std::string(100'000, '['),
        std::string(100'000, '{'),
        R"({"prompt":"x","a":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}"}) {
    auto r = decode_request(Endpoint::kCompletions, body, kLimits);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().http_status, 400);
    EXPECT_EQ(r.error().code, "invalid_json");
    EXPECT_NE(r.error().message.find("deeper than 64"), std::string::npos);
  }
}

TEST(OpenAiRequestLimits, DepthLimitIsExactAndIgnoresBracketsInStrings) {
  const DecodeLimits limits{.max_depth = 3};
  // Depth 3: object > array > object.
  EXPECT_TRUE(
      decode_request(Endpoint::kChat, R"({"messages":[{"role":"user","content":"[[{{"}]})", limits)
          .has_value());
  EXPECT_TRUE(decode_request(Endpoint::kCompletions, R"({"prompt":"\"[[[[","x":[[]]})", limits)
                  .has_value());
  auto deep = decode_request(Endpoint::kCompletions, R"({"prompt":"x","x":[[[]]]})", limits);
  ASSERT_FALSE(deep.has_value());
  EXPECT_EQ(deep.error().code, "invalid_json");
}

TEST(OpenAiRequestLimits, OversizedBodyIs413) {
  const DecodeLimits limits{.max_body_bytes = 32};
  const std::string body = R"({"prompt":")" + std::string(40, 'a') + R"("})";
  auto r = decode_request(Endpoint::kCompletions, body, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().http_status, 413);
  EXPECT_EQ(r.error().code, "request_too_large");
}

TEST(OpenAiError, EncodesLikeOpenAi) {
  const ApiError e = invalid_request("max_tokens", "invalid_value", "Bad \"max\"\n");
  EXPECT_EQ(encode_error(e),
            R"({"error":{"message":"Bad \"max\"\n","type":"invalid_request_error",)"
            R"("param":"max_tokens","code":"invalid_value"}})");
  const ApiError none{.http_status = 503, .type = "server_error", .message = "no worker"};
  const auto j = nlohmann::json::parse(encode_error(none));
  EXPECT_EQ(j["error"]["message"], "no worker");
  EXPECT_EQ(j["error"]["type"], "server_error");
  EXPECT_TRUE(j["error"]["param"].is_null());
  EXPECT_TRUE(j["error"]["code"].is_null());
  EXPECT_EQ(j.size(), 1u);
  EXPECT_EQ(j["error"].size(), 4u);
}

TEST(OpenAiError, InvalidUtf8InAMessageIsReplacedNotThrown) {
  const ApiError e{.message = "model `\xff\xfe` not found"};
  const auto j = nlohmann::json::parse(encode_error(e));
  EXPECT_EQ(j["error"]["message"], "model `\xef\xbf\xbd\xef\xbf\xbd` not found");
}

}  // namespace
}  // namespace connswap::openai
