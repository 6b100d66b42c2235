// The model server's side: golden request bodies, every chunk shape llama.cpp and vLLM
// send, the refused shapes (each naming its field), and error-body messages.

#include "openai/upstream.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace connswap::openai {
namespace {

using nlohmann::json;

// UpstreamRequest's strings and maps have no default member initializers, so designated
// initializers would trip GCC's -Wmissing-field-initializers: requests are built here.
UpstreamRequest request_for(Endpoint endpoint, std::string prompt, std::string model = "") {
  UpstreamRequest request;
  request.endpoint = endpoint;
  request.prompt = std::move(prompt);
  request.model = std::move(model);
  return request;
}

std::string body_of(const UpstreamRequest& request) {
  std::string body = upstream_body(request);
  EXPECT_TRUE(json::accept(body)) << body;
  return body;
}

TEST(Upstream, Paths) {
  EXPECT_EQ(upstream_path(Endpoint::kCompletions), "/completions");
  EXPECT_EQ(upstream_path(Endpoint::kChat), "/chat/completions");
}

TEST(UpstreamBody, CompletionsMinimal) {
  UpstreamRequest request = request_for(Endpoint::kCompletions, "hello", "tiny");
  request.max_tokens = 16;
  EXPECT_EQ(body_of(request),
            R"({"model":"tiny","prompt":"hello","max_tokens":16,"stream":true,)"
            R"("stream_options":{"include_usage":true}})");
  // No model, no max_tokens: both left out.
  EXPECT_EQ(body_of(request_for(Endpoint::kCompletions, "")),
            R"({"prompt":"","stream":true,"stream_options":{"include_usage":true}})");
}

TEST(UpstreamBody, CompletionsContinuationWithParamsAndDefaults) {
  UpstreamRequest request = request_for(Endpoint::kCompletions, "hello", "m");
  request.continuation = " wor";
  request.max_tokens = 12;
  request.params = {{"temperature", "0"},
                    {"repeat_penalty", "1.0"},             // overrides the default 1.1
                    {"stop", R"(["\n"])"},                 // an array
                    {"user", "alice"},                     // not JSON: a string
                    {"logit_bias", R"({"50256": -100})"},  // an object, sent compact
                    {"seed", "42"},
                    {"connswap_endpoint", "completions"},  // connswap's own: dropped
                    {"connswap_resume", "x"},
                    {"max_tokens", "999"},  // reserved: the reduced count is ours
                    {"max_completion_tokens", "999"},
                    {"stream", "false"},
                    {"stream_options", "{}"},
                    {"n", "3"},
                    {"model", "other"},
                    {"prompt", "other"}};
  request.defaults = {{"repeat_penalty", "1.1"}, {"top_k", "1"}, {"connswap_x", "1"}};
  EXPECT_EQ(body_of(request),
            R"({"model":"m","prompt":"hello wor","max_tokens":12,"logit_bias":{"50256":-100},)"
            R"("repeat_penalty":1.0,"seed":42,"stop":["\n"],"temperature":0,"top_k":1,)"
            R"("user":"alice","stream":true,"stream_options":{"include_usage":true}})");
}

TEST(UpstreamBody, ParamValues) {
  struct Case {
    std::string value;
    std::string sent;
  };
  const std::vector<Case> cases = {
      {"0.7", "0.7"},
      {"-3", "-3"},
      {" 7 ", "7"},  // JSON allows the spaces; sent compact
      {"true", "true"},
      {"null", "null"},
      {R"("quoted")", R"("quoted")"},
      {"not json", R"("not json")"},
      {"", R"("")"},
      {"[1, 2", R"("[1, 2")"},
      {"a\nb\"c", R"("a\nb\"c")"},
      {R"({"a": {"b": [1, {"c": null}]}})", R"({"a":{"b":[1,{"c":null}]}})"},
      {"1e999", R"("1e999")"},       // would be infinity, dumped as null
      {"\xff", "\"\xEF\xBF\xBD\""},  // invalid UTF-8: U+FFFD, never a throw
      {std::string(100, '[') + std::string(100, ']'),
       '"' + std::string(100, '[') + std::string(100, ']') + '"'},  // too deep: a string
  };
  for (const auto& c : cases) {
    UpstreamRequest request = request_for(Endpoint::kCompletions, "p");
    request.params = {{"x", c.value}};
    const std::string body = body_of(request);
    EXPECT_EQ(body,
              R"({"prompt":"p","x":)" + c.sent +
                  R"(,"stream":true,"stream_options":{"include_usage":true}})")
        << c.value;
  }
}

TEST(UpstreamBody, ChatAsTheFrontForwardsIt) {
  UpstreamRequest request =
      request_for(Endpoint::kChat, R"([{"content":"Hi","role":"user"}])", "m");
  request.max_tokens = 8;
  request.params = {{"add_generation_prompt", "true"}, {"messages", "[]"}, {"temperature", "0"}};
  // Without a continuation the client's add_generation_prompt passes through.
  EXPECT_EQ(body_of(request),
            R"({"model":"m","messages":[{"content":"Hi","role":"user"}],"max_tokens":8,)"
            R"("add_generation_prompt":true,"temperature":0,"stream":true,)"
            R"("stream_options":{"include_usage":true}})");
}

TEST(UpstreamBody, ChatContinuationIsAFinalAssistantMessage) {
  UpstreamRequest request =
      request_for(Endpoint::kChat,
                  R"([{"content":"Be brief.","role":"system"},{"content":"Hi","role":"user"}])",
                  "m");
  request.continuation = "Hel\"lo\n";
  request.max_tokens = 5;
  request.params = {{"add_generation_prompt", "true"}, {"continue_final_message", "false"}};
  EXPECT_EQ(body_of(request),
            R"({"model":"m","messages":[{"content":"Be brief.","role":"system"},)"
            R"({"content":"Hi","role":"user"},{"role":"assistant","content":"Hel\"lo\n"}],)"
            R"("max_tokens":5,"stream":true,"stream_options":{"include_usage":true},)"
            R"("add_generation_prompt":false,"continue_final_message":true})");
}

TEST(UpstreamBody, ChatPromptThatIsNoMessagesArrayIsOneUserMessage) {
  for (const std::string prompt : {"just text", R"({"role":"user"})", "[", "", "[]", " [ ] "}) {
    EXPECT_EQ(body_of(request_for(Endpoint::kChat, prompt)),
              R"({"messages":[{"role":"user","content":)" + json(prompt).dump() +
                  R"(}],"stream":true,"stream_options":{"include_usage":true}})");
  }
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(json::parse(body_of(request_for(Endpoint::kChat, deep)))["messages"][0]["content"],
            deep);
}

// --- chunks

UpstreamChunk chunk_ok(Endpoint endpoint, std::string_view data) {
  auto r = decode_upstream_chunk(endpoint, data);
  EXPECT_TRUE(r.has_value()) << data << " -> " << (r ? "" : r.error().message);
  return r ? *r : UpstreamChunk{};
}

TEST(UpstreamChunk, LlamaCppCompletions) {
  const auto token =
      chunk_ok(Endpoint::kCompletions,
               R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny.gguf",)"
               R"("choices":[{"text":"h","index":0,"logprobs":null,"finish_reason":null}]})");
  EXPECT_EQ(token.text, "h");
  EXPECT_FALSE(token.finish_reason);
  EXPECT_FALSE(token.usage);
  const auto last =
      chunk_ok(Endpoint::kCompletions,
               R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny.gguf",)"
               R"("choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}]})");
  EXPECT_EQ(last.text, "");
  EXPECT_EQ(last.finish_reason, "length");
  // llama.cpp's native server may put usage on the finishing chunk.
  const auto with_usage = chunk_ok(
      Endpoint::kCompletions,
      R"({"choices":[{"text":"!","index":0,"finish_reason":"stop"}],)"
      R"("usage":{"completion_tokens":3,"prompt_tokens":7,"total_tokens":10},"timings":{}})");
  EXPECT_EQ(with_usage.text, "!");
  EXPECT_EQ(with_usage.finish_reason, "stop");
  ASSERT_TRUE(with_usage.usage);
  EXPECT_EQ(with_usage.usage->prompt_tokens, 7u);
  EXPECT_EQ(with_usage.usage->completion_tokens, 3u);
}

TEST(UpstreamChunk, ChatDeltas) {
  const auto role = chunk_ok(
      Endpoint::kChat,
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,)"
      R"("delta":{"role":"assistant"},"logprobs":null,"finish_reason":null}],"usage":null})");
  EXPECT_EQ(role.text, "");
  EXPECT_FALSE(role.finish_reason);
  EXPECT_FALSE(role.usage);  // "usage": null is no usage
  EXPECT_EQ(
      chunk_ok(Endpoint::kChat, R"({"choices":[{"delta":{"content":"a"},"finish_reason":null}]})")
          .text,
      "a");
  EXPECT_EQ(
      chunk_ok(Endpoint::kChat, R"({"choices":[{"delta":{"role":"assistant","content":null}}]})")
          .text,
      "");
  const auto stop =
      chunk_ok(Endpoint::kChat, R"({"choices":[{"delta":{},"finish_reason":"stop"}]})");
  EXPECT_EQ(stop.text, "");
  EXPECT_EQ(stop.finish_reason, "stop");
  EXPECT_EQ(chunk_ok(Endpoint::kChat, R"({"choices":[{"index":0,"finish_reason":"length"}]})")
                .finish_reason,
            "length");  // no delta at all
  EXPECT_EQ(
      chunk_ok(Endpoint::kChat, R"({"choices":[{"delta":{"content":"a"}}],"error":null})").text,
      "a");  // a null error is no error
  EXPECT_EQ(chunk_ok(Endpoint::kChat, R"({"choices":[{"delta":{"content":"\u00e9\n"}}]})").text,
            "\xC3\xA9\n");
}

TEST(UpstreamChunk, UsageOnlyChunk) {
  // OpenAI's and vLLM's include_usage shape: empty choices, then usage.
  for (const auto endpoint : {Endpoint::kChat, Endpoint::kCompletions}) {
    const auto usage =
        chunk_ok(endpoint,
                 R"({"id":"x","choices":[],"usage":{"prompt_tokens":5,"total_tokens":6,)"
                 R"("completion_tokens":1,"prompt_tokens_details":null}})");
    EXPECT_EQ(usage.text, "");
    EXPECT_FALSE(usage.finish_reason);
    ASSERT_TRUE(usage.usage);
    EXPECT_EQ(usage.usage->prompt_tokens, 5u);
    EXPECT_EQ(usage.usage->completion_tokens, 1u);
  }
  const auto big = chunk_ok(
      Endpoint::kChat, R"({"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":0}})");
  EXPECT_EQ(big.usage->prompt_tokens, 18446744073709551615u);
}

TEST(UpstreamChunk, ServerErrorsInTheStream) {
  struct Case {
    std::string_view data;
    std::string message;
  };
  const auto cases = std::to_array<Case>({
      {R"({"error":{"message":"CUDA out of memory","type":"server_error","code":500}})",
       "CUDA out of memory"},
      {R"({"error":"boom"})", "boom"},
      {R"({"object":"error","message":"old vLLM","type":"BadRequestError","code":400})",
       "old vLLM"},
      {R"({"error":{"code":500}})", R"({"code":500})"},
      {R"({"choices":[{"text":"a"}],"error":{"message":"late"}})", "late"},
  });
  for (const auto& c : cases) {
    for (const auto endpoint : {Endpoint::kChat, Endpoint::kCompletions}) {
      const auto r = decode_upstream_chunk(endpoint, c.data);
      ASSERT_FALSE(r) << c.data;
      EXPECT_EQ(r.error().code, ChunkErrc::kServerError) << c.data;
      EXPECT_EQ(r.error().message, c.message);
    }
  }
  const std::string long_message = R"({"error":{"message":")" + std::string(5000, 'x') + "\"}}";
  const auto r = decode_upstream_chunk(Endpoint::kChat, long_message);
  ASSERT_FALSE(r);
  EXPECT_LE(r.error().message.size(), 300u);
}

TEST(UpstreamChunk, NotJson) {
  for (const std::string_view data : {std::string_view("{"),
                                      std::string_view(""),
                                      std::string_view("[DONE]"),
                                      std::string_view(R"({"choices":[{"text":"a"}]} x)"),
                                      std::string_view("{\"choices\":[{\"text\":\"\xff\"}]}")}) {
    const auto r = decode_upstream_chunk(Endpoint::kCompletions, data);
    ASSERT_FALSE(r) << data;
    EXPECT_EQ(r.error().code, ChunkErrc::kNotJson) << data;
  }
}

TEST(UpstreamChunk, BadShapesNameTheirField) {
  struct Case {
    Endpoint endpoint;
    std::string data;
    std::string_view field;  // must appear in the message
  };
  const std::vector<Case> cases = {
      {Endpoint::kCompletions, "[]", "the chunk"},
      {Endpoint::kCompletions, "\"text\"", "the chunk"},
      {Endpoint::kCompletions, "{}", "no choices and no usage"},
      {Endpoint::kCompletions, R"({"choices":[]})", "no choices and no usage"},
      {Endpoint::kCompletions, R"({"choices":null,"usage":null})", "no choices and no usage"},
      {Endpoint::kCompletions, R"({"choices":{"text":"a"}})", "choices"},
      {Endpoint::kCompletions, R"({"choices":[5]})", "choices[0]"},
      {Endpoint::kCompletions, R"({"choices":[{"text":5}]})", "choices[0].text"},
      {Endpoint::kCompletions, R"({"choices":[{"text":["a"]}]})", "choices[0].text"},
      {Endpoint::kCompletions,
       R"({"choices":[{"text":"a","finish_reason":1}]})",
       "choices[0].finish_reason"},
      {Endpoint::kChat, R"({"choices":[{"delta":"a"}]})", "choices[0].delta"},
      {Endpoint::kChat, R"({"choices":[{"delta":{"content":7}}]})", "choices[0].delta.content"},
      {Endpoint::kChat,
       R"({"choices":[{"delta":{},"finish_reason":true}]})",
       "choices[0].finish_reason"},
      {Endpoint::kChat, R"({"choices":[],"usage":"5"})", "usage"},
      {Endpoint::kChat, R"({"choices":[],"usage":{"prompt_tokens":-1}})", "usage.prompt_tokens"},
      {Endpoint::kChat,
       R"({"choices":[],"usage":{"completion_tokens":1.5}})",
       "usage.completion_tokens"},
      {Endpoint::kChat,
       R"({"choices":[],"usage":{"completion_tokens":"2"}})",
       "usage.completion_tokens"},
      {Endpoint::kChat,
       R"({"choices":[{"delta":{"content":"a"}}],"x":)" + std::string(100, '[') +
           std::string(100, ']') + "}",
       "deeper"},
  };
  for (const auto& c : cases) {
    const auto r = decode_upstream_chunk(c.endpoint, c.data);
    ASSERT_FALSE(r) << c.data;
    EXPECT_EQ(r.error().code, ChunkErrc::kBadShape) << c.data;
    EXPECT_NE(r.error().message.find(c.field), std::string::npos)
        << c.data << " -> " << r.error().message;
  }
  // The message says what was found.
  EXPECT_EQ(
      decode_upstream_chunk(Endpoint::kCompletions, R"({"choices":[{"text":5}]})").error().message,
      "choices[0].text is number, not a string or null");
}

// --- error bodies

TEST(UpstreamErrorMessage, KnownShapes) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"error":{"message":"The model `x` does not exist.","type":"NotFoundError"}})",
       "The model `x` does not exist."},
      {R"({"error":"Service Unavailable"})", "Service Unavailable"},
      {R"({"detail":"Not Found"})", "Not Found"},
      {R"({"detail":[{"loc":["body","prompt"],"msg":"field required"}]})",
       R"([{"loc":["body","prompt"],"msg":"field required"}])"},
      {R"({"object":"error","message":"old vLLM","code":400})", "old vLLM"},
      {R"({"error":{"message":""},"detail":"the detail"})", "the detail"},
      {R"({"error":{"message":"two\nlines\ttab"}})", "two lines tab"},
      {"Internal Server Error", "Internal Server Error"},
      {"<html>\r\n<h1>502</h1>\r\n</html>", "<html>  <h1>502</h1>  </html>"},
      {R"({"ok":true})", R"({"ok":true})"},  // JSON without a message: the body itself
      {"", ""},
      {std::string("a\0b", 3), "a b"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(upstream_error_message(c.body), c.message) << c.body;
  }
}

TEST(UpstreamErrorMessage, Bounded) {
  const std::string body(10'000, 'b');
  const std::string raw = upstream_error_message(body);
  EXPECT_EQ(raw, std::string(200, 'b') + "...");
  const std::string message =
      upstream_error_message(R"({"error":{"message":")" + std::string(10'000, 'm') + "\"}}");
  EXPECT_EQ(message, std::string(256, 'm') + "...");
  // A cut never splits a UTF-8 character: "é" is 2 bytes, starting at byte 199.
  const std::string utf8 = std::string(199, 'a') + "\xC3\xA9" + std::string(50, 'z');
  EXPECT_EQ(upstream_error_message(utf8), std::string(199, 'a') + "...");
  const std::string deep = std::string(100'000, '[');
  EXPECT_LE(upstream_error_message(deep).size(), 300u);
}

}  // namespace
}  // namespace connswap::openai
