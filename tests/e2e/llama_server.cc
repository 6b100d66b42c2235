#include "e2e/llama_server.h"

#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "e2e/cluster.h"

namespace connswap::e2e {

using nlohmann::json;

namespace {

// Loading the model takes ~1 s alone; the budget allows for a host busy compiling.
constexpr std::chrono::milliseconds kLlamaStartBudget = 60s;
constexpr int kModelSeed = 1234;

std::string env_or_fail(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set: run this test through CTest (its llm_env fixture "
                  << "makes the venv with scripts/llm_env.sh BUILD_DIR)";
    return {};
  }
  return value;
}

}  // namespace

std::string llm_python() {
  return env_or_fail("CONNSWAP_LLM_PYTHON");
}

std::filesystem::path llm_dir() {
  return env_or_fail("CONNSWAP_LLM_DIR");
}

const std::filesystem::path& tiny_model() {
  static testing::TempDir dir("connswap-model");
  static const std::filesystem::path model = [] {
    const std::filesystem::path out = dir.path() / "tiny.gguf";
    testing::Process make(testing::ProcessOptions{.args = {llm_python(),
                                                           (llm_dir() / "make_model.py").string(),
                                                           out.string(),
                                                           "--seed",
                                                           std::to_string(kModelSeed)},
                                                  .env = {},
                                                  .log_dir = dir.path(),
                                                  .name = "make-model"});
    const auto status = make.wait_exit(kLlamaStartBudget);
    if (!status || !status->ok() || !std::filesystem::exists(out)) {
      ADD_FAILURE() << "make_model.py failed: "
                    << (status ? testing::to_string(*status) : "no exit") << "\n"
                    << make.stderr_text();
      return std::filesystem::path();
    }
    return out;
  }();
  return model;
}

json greedy_completion_body(const std::string& prompt, int max_tokens, bool stream) {
  return {{"model", kTinyModel},
          {"prompt", prompt},
          {"max_tokens", max_tokens},
          {"temperature", 0},
          {"repeat_penalty", 1.0},
          {"stream", stream}};
}

LlamaServer::LlamaServer(const std::string& name) : name_(name) {
  const std::filesystem::path ready_file = dir_.path() / (name + ".ready");
  process_ = std::make_unique<testing::Process>(
      testing::ProcessOptions{.args = {llm_python(),
                                       (llm_dir() / "serve.py").string(),
                                       "--model",
                                       tiny_model().string(),
                                       "--ready-file",
                                       ready_file.string(),
                                       "--alias",
                                       kTinyModel},
                              .env = {},
                              .log_dir = dir_.path(),
                              .name = name});
  const auto ready = testing::wait_ready_file(ready_file, kLlamaStartBudget, process_.get());
  if (!ready || !ready->contains("addr")) {
    ADD_FAILURE() << name << " wrote no ready file:\n" << process_->stderr_text();
    return;
  }
  address_ = ready->at("addr");
  // The ready file comes once uvicorn serves; the 200 proves the app answers too.
  ready_ = testing::poll_until([&] { return get_models() == 200 || !process_->running(); },
                               kLlamaStartBudget) &&
           process_->running();
  if (!ready_) {
    ADD_FAILURE() << name << " at " << address_ << " never answered GET /v1/models with 200:\n"
                  << process_->stderr_text();
  }
}

LlamaServer::~LlamaServer() {
  stop();
}

std::string LlamaServer::address() const {
  return address_;
}

std::string LlamaServer::url() const {
  return "http://" + address_ + "/v1";
}

std::string LlamaServer::curl(const std::vector<std::string>& args) {
  std::vector<std::string> all = {kCurl, "-sS", "-N", "--max-time", "30"};
  all.insert(all.end(), args.begin(), args.end());
  testing::Process p(testing::ProcessOptions{.args = std::move(all),
                                             .env = {},
                                             .log_dir = dir_.path(),
                                             .name = name_ + "-curl-" + std::to_string(++curls_)});
  const auto status = p.wait_exit(kStreamBudget);
  if (!status) {
    ADD_FAILURE() << "curl against " << name_ << " did not exit";
  }
  return p.stdout_text();
}

int LlamaServer::get_models(std::string* body) {
  const std::filesystem::path out = dir_.path() / (name_ + "-models.json");
  std::filesystem::remove(out);
  const std::string code = curl({"-o", out.string(), "-w", "%{http_code}", url() + "/models"});
  if (body != nullptr) {
    *body = testing::read_file(out);
  }
  return std::atoi(code.c_str());
}

SseAnswer LlamaServer::complete(const std::string& prompt, int max_tokens) {
  return parse_sse(curl({"--fail-with-body",
                         "-H",
                         "Content-Type: application/json",
                         "-d",
                         greedy_completion_body(prompt, max_tokens, true).dump(),
                         url() + "/completions"}));
}

std::string LlamaServer::reference(const std::string& prompt, int max_tokens) {
  const SseAnswer answer = complete(prompt, max_tokens);
  EXPECT_EQ(answer.finish_reason, "length") << name_ << ": " << process_->stderr_text();
  EXPECT_TRUE(answer.done && answer.errors.empty()) << name_ << ": " << process_->stderr_text();
  return answer.text;
}

void LlamaServer::stop() {
  if (!process_ || !process_->running()) {
    return;
  }
  ::kill(process_->pid(), SIGCONT);
  process_->signal(SIGTERM);
  const auto status = process_->wait_exit(kStartBudget);
  EXPECT_TRUE(status && status->ok())
      << name_ << " on SIGTERM: " << (status ? testing::to_string(*status) : "no exit") << "\n"
      << process_->stderr_text();
}

}  // namespace connswap::e2e
