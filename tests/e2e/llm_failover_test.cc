// Failover with real model servers: each worker is the sidecar of its own llama.cpp server
// (llama-cpp-python serving a tiny model generated for the test, tests/llm), clients are
// curl on the director's HTTP front. Greedy decoding over a fixed model is deterministic,
// so the strongest claim can be checked: whatever fails mid-answer (the model server
// killed or hung, the worker killed, stopped or drained), every stream's text equals, byte
// for byte, the text of an uninterrupted run straight from a server.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/http_client.h"
#include "e2e/llama_server.h"

namespace connswap::e2e {
namespace {

using nlohmann::json;

// ~0.45 s per stream at ~1 ms a token (the server's context is 512 tokens, prompt included)
constexpr int kTokens = 450;
constexpr const char* kModel = kTinyModel;
const std::vector<std::string> kPrompts = {
    "hello world", "The quick brown fox", "{\"json\": [1, 2"};

// The streams queue at a server that serves one request at a time: first-token limits are
// far above a queue of three answers, so only the failure under test moves a stream.
Flags llm_director_flags() {
  return {{"--http-addr", "127.0.0.1:0"},
          {"--worker-wait-ms", "20000"},
          {"--first-token-timeout-ms", "20000"}};
}

Flags llm_worker_flags(const LlamaServer& server) {
  return {{"--backend", "openai"},
          {"--backend-url", server.url()},
          {"--model", kModel},
          {"--backend-param", "repeat_penalty=1.0"},  // the server's 1.1 is history-dependent
          {"--backend-first-token-ms", "20000"},
          {"--backend-health-interval-ms", "200"}};
}

// What a client sends: greedy, without repeat_penalty (not an OpenAI parameter: the
// workers send it, --backend-param).
json completion_body(const std::string& prompt) {
  return {{"model", kModel},
          {"prompt", prompt},
          {"max_tokens", kTokens},
          {"temperature", 0},
          {"stream", true},
          {"stream_options", {{"include_usage", true}}}};
}

// A cluster with one model server per worker: worker-a and its director first, so that
// every stream is placed on worker-a; worker-b joins before the failure.
class LlmFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    server_a_ = std::make_unique<LlamaServer>("llama-a");
    server_b_ = std::make_unique<LlamaServer>("llama-b");
    ASSERT_TRUE(server_a_->ready() && server_b_->ready());
    for (const std::string& p : kPrompts) {
      want_.push_back(server_b_->reference(p, kTokens));
      ASSERT_EQ(want_.back().size(), static_cast<std::size_t>(kTokens)) << p;
    }
  }

  // Starts the director, worker-a and worker-b, with worker-b's server stopped so that
  // worker-b stays unavailable (its health probe hangs) while three curl streams are placed
  // on worker-a (the first one streaming before the others are sent); then lets
  // worker-b's server go and returns once it is healthy and the first stream has received
  // 30 tokens. Everything between the first curl and the return
  // takes milliseconds, so the first answer is still mid-way when the test strikes.
  void start_streams(const Flags& a_flags = {}, const Flags& director_flags = {}) {
    Flags d = llm_director_flags();
    for (const auto& [k, v] : director_flags) {
      d[k] = v;
    }
    c_.start_director(d);
    Flags a = llm_worker_flags(*server_a_);
    for (const auto& [k, v] : a_flags) {
      a[k] = v;
    }
    Node& worker_a = c_.start_worker("worker-a", a);
    ASSERT_TRUE(worker_a.process->wait_for_log({"model server healthy"}, kStartBudget))
        << c_.logs();
    ASSERT_TRUE(server_b_->process().signal(SIGSTOP));
    Node& worker_b = c_.start_worker("worker-b", llm_worker_flags(*server_b_));
    // The first stream first: once it streams, the server serves it to the end before it
    // takes the other two, which queue behind it.
    for (std::size_t i = 0; i < kPrompts.size(); ++i) {
      curls_.push_back(&curl_post(
          c_, "curl-" + std::to_string(i), "/v1/completions", completion_body(kPrompts[i])));
      if (i == 0) {
        ASSERT_TRUE(wait_events(*curls_[0], 1)) << c_.logs();
      }
    }
    ASSERT_TRUE(c_.director().process->wait_for_log(
        {"worker=worker-a", "worker assigned"}, kStartBudget, kPrompts.size()))
        << c_.logs();
    ASSERT_TRUE(server_b_->process().signal(SIGCONT));
    ASSERT_TRUE(worker_b.process->wait_for_log({"model server healthy"}, kStartBudget))
        << c_.logs();
    ASSERT_TRUE(wait_events(*curls_[0], 30)) << c_.logs();
  }

  // Every stream: the uninterrupted text, one migration from worker-a to worker-b for one
  // of `reasons`, a clean end with usage counting only the client's prompt and tokens.
  // With `some_may_stay`, a stream may also have finished on worker-a without moving, as
  // long as one stream moved: a drain is make-before-break, so worker-a keeps serving a
  // stream while its standby waits in worker-b's queue (one request at a time, in an order
  // the model server picks), and a stream that finishes first never needs to move.
  void expect_every_stream_exact(const std::vector<std::string>& reasons,
                                 bool some_may_stay = false) {
    std::size_t moved = 0;
    for (std::size_t i = 0; i < curls_.size(); ++i) {
      const SseAnswer a = parse_sse(curl_output(c_, *curls_[i]));
      EXPECT_EQ(a.text, want_[i]) << "stream " << i << "\n" << c_.logs();
      EXPECT_EQ(a.finish_reason, "length") << i;
      EXPECT_TRUE(a.done) << i;
      EXPECT_TRUE(a.errors.empty()) << i;
      EXPECT_EQ(a.completion_tokens(), kTokens) << i;
      if (some_may_stay && a.comments.empty()) {
        continue;
      }
      ASSERT_EQ(a.comments.size(), 1U) << "stream " << i << ": one migration\n" << c_.logs();
      ++moved;
      const std::string& m = a.comments[0];
      EXPECT_NE(m.find("from=worker-a to=worker-b"), std::string::npos) << m;
      const std::string reason = log_field(m, "reason");
      EXPECT_NE(std::find(reasons.begin(), reasons.end(), reason), reasons.end()) << m;
    }
    EXPECT_GE(moved, 1U) << c_.logs();
  }

  Cluster c_;
  std::unique_ptr<LlamaServer> server_a_, server_b_;
  std::vector<std::string> want_;
  std::vector<testing::Process*> curls_;
};

TEST_F(LlmFailover, ModelServerKilledMidAnswer) {
  start_streams();
  ASSERT_TRUE(server_a_->process().signal(SIGKILL));
  // The worker sees its request reset (or refused, for the queued ones) and fails each
  // stream in-band; the director moves it.
  expect_every_stream_exact({"error"});
  EXPECT_FALSE(c_.find_node("worker-a")->process->stderr_lines({"model server unhealthy"}).empty());
}

TEST_F(LlmFailover, ModelServerHungIsTheWorkersStall) {
  // The director's own stall detection is made slow (10 s) so that the worker's stall
  // deadline is what notices the stopped server.
  start_streams({{"--backend-stall-ms", "300"}, {"--backend-first-token-ms", "3000"}},
                {{"--min-stall-ms", "10000"}});
  ASSERT_TRUE(server_a_->process().signal(SIGSTOP));
  expect_every_stream_exact({"error"});
  EXPECT_FALSE(c_.find_node("worker-a")->process->stderr_lines({"model server stalled"}).empty());
  ASSERT_TRUE(server_a_->process().signal(SIGCONT));
}

TEST_F(LlmFailover, WorkerKilled) {
  start_streams();
  ASSERT_TRUE(c_.find_node("worker-a")->process->signal(SIGKILL));
  expect_every_stream_exact({"connection_lost", "reset", "stall", "heartbeat_lost"});
}

TEST_F(LlmFailover, WorkerStopped) {
  start_streams();
  ASSERT_TRUE(c_.find_node("worker-a")->process->signal(SIGSTOP));
  // The streaming one stalls (500 ms); the queued ones go with the lost heartbeats (1.5 s).
  expect_every_stream_exact({"stall", "heartbeat_lost"});
}

TEST_F(LlmFailover, WorkerDrained) {
  start_streams();
  ASSERT_TRUE(c_.find_node("worker-a")->process->signal(SIGTERM));
  expect_every_stream_exact({"drain"}, /*some_may_stay=*/true);
}

// A worker whose model server is down when it starts registers as unavailable: the
// director places nothing on it, and every stream is served by the healthy worker.
TEST_F(LlmFailover, ServerDownAtStartGetsNoStreams) {
  ASSERT_TRUE(server_a_->process().signal(SIGKILL));
  ASSERT_TRUE(server_a_->process().wait_exit(kStartBudget));
  c_.start_director(llm_director_flags());
  Node& a = c_.start_worker("worker-a", llm_worker_flags(*server_a_));
  ASSERT_TRUE(a.process->wait_for_log({"model server unhealthy"}, kStartBudget)) << c_.logs();
  Node& b = c_.start_worker("worker-b", llm_worker_flags(*server_b_));
  ASSERT_TRUE(b.process->wait_for_log({"model server healthy"}, kStartBudget)) << c_.logs();
  for (std::size_t i = 0; i < kPrompts.size(); ++i) {
    curls_.push_back(&curl_post(
        c_, "curl-" + std::to_string(i), "/v1/completions", completion_body(kPrompts[i])));
  }
  for (std::size_t i = 0; i < curls_.size(); ++i) {
    const SseAnswer ans = parse_sse(curl_output(c_, *curls_[i]));
    EXPECT_EQ(ans.text, want_[i]) << i;
    EXPECT_TRUE(ans.comments.empty()) << "no migration: nothing was placed on worker-a";
  }
  EXPECT_TRUE(a.process->stderr_lines({"token source"}).empty()) << c_.logs();
}

}  // namespace
}  // namespace connswap::e2e
