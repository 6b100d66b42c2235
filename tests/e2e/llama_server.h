// A real OpenAI-compatible model server for the e2e tests: llama.cpp through
// llama-cpp-python's server (tests/llm/serve.py), serving a tiny generated model
// (tests/llm/make_model.py), one process per LlamaServer on 127.0.0.1 port 0.

#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "e2e/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace connswap::e2e {

// The model's name in the API (serve.py --alias).
inline constexpr const char* kTinyModel = "connswap-tiny";

// The Python of the venv scripts/llm_env.sh made (env CONNSWAP_LLM_PYTHON, set by CTest) and
// tests/llm (env CONNSWAP_LLM_DIR). Empty, with a GTest failure, when unset.
std::string llm_python();
std::filesystem::path llm_dir();

// The tiny model's .gguf, made by make_model.py (seed 1234) once per test binary in a
// TempDir of its own. Empty, with a GTest failure, if it could not be made.
const std::filesystem::path& tiny_model();

// A /v1/completions request body that decodes greedily and deterministically: temperature
// 0 and repeat_penalty 1.0 (the server's default 1.1 penalises only the tokens sampled in
// this request, so a continuation would diverge).
nlohmann::json greedy_completion_body(const std::string& prompt, int max_tokens, bool stream);

class LlamaServer {
 public:
  // Starts serve.py (logs as <name>.out/.err in a TempDir of its own) and waits for its
  // ready file and then for GET /v1/models to answer 200. ready() says whether it did; a
  // failure is also reported to GTest, with the server's stderr.
  explicit LlamaServer(const std::string& name = "llama");
  // stop() if still running.
  ~LlamaServer();
  LlamaServer(const LlamaServer&) = delete;
  LlamaServer& operator=(const LlamaServer&) = delete;

  bool ready() const { return ready_; }
  // "127.0.0.1:PORT" and "http://127.0.0.1:PORT/v1" (what a worker's --backend-url takes).
  std::string address() const;
  std::string url() const;
  // The child (for SIGKILL / SIGSTOP / SIGCONT) and its pid.
  testing::Process& process() { return *process_; }
  pid_t pid() const { return process_->pid(); }

  // GET /v1/models: the HTTP status (0 if no answer) and the body in `body` if non-null.
  int get_models(std::string* body = nullptr);
  // One uninterrupted streaming POST /v1/completions (greedy_completion_body) straight to
  // the server, parsed.
  SseAnswer complete(const std::string& prompt, int max_tokens);
  // complete()'s text; a GTest failure unless the stream ended with finish_reason "length"
  // and [DONE].
  std::string reference(const std::string& prompt, int max_tokens);

  // SIGCONT then SIGTERM; a GTest failure unless it exits 0 within the start budget.
  void stop();

 private:
  // Runs curl with `args` (after its path and common flags) and returns its stdout; a
  // GTest failure unless it exits within the stream budget.
  std::string curl(const std::vector<std::string>& args);

  testing::TempDir dir_{"connswap-llama"};
  std::string name_;
  std::unique_ptr<testing::Process> process_;
  std::string address_;
  bool ready_ = false;
  int curls_ = 0;  // uniquifies curl's log names
};

}  // namespace connswap::e2e
