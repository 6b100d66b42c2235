// The director's OpenAI-compatible HTTP front, driven by the real curl: one chat or
// completions request across one worker failure, for each way a worker can fail. The text
// that arrives equals the text of the same request served without a failure, the finish
// reason and usage are right, and the one migration shows as an SSE comment line.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/http_client.h"

namespace connswap::e2e {
namespace {

using nlohmann::json;

constexpr int kTokens = 100;  // x 25 ms = 2.5 s: a failure lands mid-stream

enum class Failure { kError, kKill, kStop, kDrain };

std::string name_of(Failure f) {
  switch (f) {
    case Failure::kError:
      return "Error";
    case Failure::kKill:
      return "Sigkill";
    case Failure::kStop:
      return "Sigstop";
    case Failure::kDrain:
      return "Drain";
  }
  return "";
}

// worker-b (healthy) and worker-a registered; round robin puts the first stream on
// worker-a. kError makes worker-a fail in-band 2 s after it starts.
void start_cluster(Cluster& c, Failure f) {
  Flags director = {{"--http-addr", "127.0.0.1:0"}};
  if (f == Failure::kDrain) {
    director["--min-stall-ms"] = "3000";  // only make-before-break can be gap-free
  }
  c.start_director(director);
  c.start_worker("worker-b");
  Flags a;
  if (f == Failure::kError) {
    a = {{"--fail-mode", "error"}, {"--fail-after-ms", "2000"}};
  }
  c.start_worker("worker-a", a);
}

void inflict(Cluster& c, Failure f) {
  testing::Process& a = *c.find_node("worker-a")->process;
  switch (f) {
    case Failure::kError:
      break;  // scheduled by --fail-after-ms
    case Failure::kKill:
      ASSERT_TRUE(a.signal(SIGKILL));
      break;
    case Failure::kStop:
      ASSERT_TRUE(a.signal(SIGSTOP));
      break;
    case Failure::kDrain:
      ASSERT_TRUE(a.signal(SIGTERM));
      break;
  }
}

class HttpFailover : public ::testing::TestWithParam<Failure> {};

TEST_P(HttpFailover, ChatStreamContinuesWordForWord) {
  Cluster c;
  start_cluster(c, GetParam());
  const json body = chat_body(kTokens, /*stream=*/true, "tell me a long story");
  auto& curl = curl_post(c, "curl-chat", "/v1/chat/completions", body);
  ASSERT_TRUE(wait_events(curl, 6)) << c.logs();
  inflict(c, GetParam());
  const SseAnswer got = parse_sse(curl_output(c, curl));

  // The same request again, now served by worker-b alone: the uninterrupted text.
  auto& again = curl_post(c, "curl-reference", "/v1/chat/completions", body);
  const SseAnswer want = parse_sse(curl_output(c, again));

  ASSERT_FALSE(want.text.empty());
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.finish_reason, "length");
  EXPECT_TRUE(got.done);
  EXPECT_FALSE(got.event_after_done);
  EXPECT_TRUE(got.errors.empty());
  EXPECT_TRUE(got.ids_equal);
  ASSERT_TRUE(got.usage.is_object()) << "no usage chunk";
  EXPECT_EQ(got.usage.value("completion_tokens", 0), kTokens);
  EXPECT_EQ(got.usage.value("total_tokens", 0),
            got.usage.value("prompt_tokens", 0) + got.usage.value("completion_tokens", 0));
  ASSERT_EQ(got.comments.size(), 1U) << "one migration comment expected";
  EXPECT_EQ(c.director().process->stderr_lines({"migrating connection to new worker"}).size(), 1U);
  EXPECT_EQ(got.comments[0].rfind("migrated from=worker-a to=worker-b reason=", 0), 0U)
      << got.comments[0];
  EXPECT_TRUE(want.comments.empty());
}

TEST_P(HttpFailover, CompletionWithoutStreamIsOneWholeBody) {
  Cluster c;
  start_cluster(c, GetParam());
  const json body = {{"prompt", "once upon a time"}, {"max_tokens", kTokens}, {"stream", false}};
  auto& curl = curl_post(c, "curl-completion", "/v1/completions", body);
  // No byte arrives before the end: the failure follows worker-a's assignment instead.
  ASSERT_TRUE(c.director().process->wait_for_log({"worker=worker-a", "worker assigned to stream"},
                                                 kStartBudget))
      << c.logs();
  inflict(c, GetParam());
  const json got = json::parse(curl_output(c, curl), nullptr, false);
  auto& again = curl_post(c, "curl-reference", "/v1/completions", body);
  const json want = json::parse(curl_output(c, again), nullptr, false);
  ASSERT_TRUE(got.is_object() && want.is_object());
  EXPECT_EQ(got["object"], "text_completion");
  EXPECT_EQ(got["choices"][0]["text"], want["choices"][0]["text"]);
  EXPECT_EQ(got["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(got["usage"]["completion_tokens"], kTokens);
  // One migration, from worker-a to worker-b (the answer itself cannot show it).
  const auto moves = c.director().process->stderr_lines({"migrating connection to new worker"});
  ASSERT_EQ(moves.size(), 1U) << c.logs();
  EXPECT_EQ(log_field(moves[0], "from_worker"), "worker-a");
  EXPECT_EQ(log_field(moves[0], "to_worker"), "worker-b");
}

INSTANTIATE_TEST_SUITE_P(
    EachFailure,
    HttpFailover,
    ::testing::Values(Failure::kError, Failure::kKill, Failure::kStop, Failure::kDrain),
    [](const auto& p) { return name_of(p.param); });

}  // namespace
}  // namespace connswap::e2e
