#pragma once
// The model-server token source: the worker as the sidecar of an OpenAI-compatible server
// (vLLM, llama.cpp, SGLang, TGI). Each stream is one streaming POST {url}/completions (or
// /chat/completions for chat requests) through an http::Fetcher; each non-empty chunk is
// one token. A stream that starts at seq N > 1 (it moved here mid-answer) asks the server
// to continue prompt + the N-1 delivered tokens with max_tokens reduced by N-1, and needs
// the whole delivered prefix from the director (anything less is refused).
//
// Failures: refused or reset connections, HTTP 5xx, a malformed chunk, a stream cut
// without finish_reason, or no token within the stall deadline end the stream in-band
// (ErrorItem; the director migrates it). 429 and 503 are ErrorCause::kOverloaded, which the
// service turns into a refusal when no token was sent yet. A health probe (GET
// {url}/models) runs every health_interval: until one succeeds, and after one fails, the
// source is unavailable (the worker reports available=false; the director sends nothing).
// Sans-IO: time comes in as `now`; the Fetcher does the I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/time.h"
#include "http/fetch.h"
#include "worker/token_source.h"

namespace connswap::worker {

struct BackendConfig {
  std::string url = "http://127.0.0.1:8000/v1";  // the server's OpenAI base URL
  std::string model;                             // sent as "model" ("" = the request's)
  Duration connect_timeout = 2 * kSecond;        // per request
  Duration first_token_timeout = 30 * kSecond;   // request sent -> first token (queue, prefill)
  Duration stall_timeout = 5 * kSecond;          // mid-stream: longest gap between tokens
  Duration health_interval = 1 * kSecond;        // probe period (GET {url}/models)
  Duration health_timeout = 10 * kSecond;        // a probe slower than this failed
  std::size_t max_streams = 256;                 // concurrent streams; more are refused
  std::size_t max_buffered_tokens = 65536;       // per stream, decoded but not yet polled
  std::size_t max_error_body = 4096;             // bytes of a non-2xx body kept for the log
  // Request fields the operator always sends unless the client sets them (name -> JSON
  // or plain text, as GenerateRequest.params), e.g. repeat_penalty=1.0.
  std::map<std::string, std::string> defaults;
};

// Checks the URL scheme (http:// or https://), timeouts > 0 and limits >= 1.
// kInvalidArgument naming the first bad field.
Result<void> validate(const BackendConfig& config);

// What went wrong with the model server, for metrics (errors by kind).
enum class BackendError : std::uint8_t {
  kRefused,     // connection refused
  kReset,       // connection reset or closed mid-response
  kTimeout,     // connect timeout
  kStall,       // no token within first_token_timeout / stall_timeout
  kHttp5xx,     // 5xx other than 503
  kOverloaded,  // 429 or 503
  kHttp4xx,     // other 4xx: the server refused the request
  kMalformed,   // not SSE / not a completion chunk / a server error event
  kCut,         // the stream ended without finish_reason
  kOther,       // resolve, TLS, internal
};
inline constexpr std::size_t kBackendErrorKinds = 10;
std::string_view to_string(BackendError error);

struct BackendStats {
  std::uint64_t streams_started = 0;
  std::uint64_t streams_done = 0;
  std::uint64_t streams_refused = 0;  // at start: unhealthy, at max_streams, bad prefix
  std::uint64_t continuations = 0;    // streams started at seq > 1
  std::uint64_t tokens = 0;
  std::uint64_t probes_failed = 0;
  std::array<std::uint64_t, kBackendErrorKinds> errors{};  // indexed by BackendError
  bool healthy = false;
};

// Receives per-token timings as they happen (for histograms). Called from poll() and from
// Fetcher events; must not call back into the source.
class BackendObserver {
 public:
  virtual ~BackendObserver() = default;
  virtual void on_first_token(Duration since_request) = 0;
  virtual void on_token_gap(Duration since_previous) = 0;
};

class OpenAISource final : public TokenSource {
 public:
  // `fetcher` and `observer` (may be null) must outlive the source and its streams. The
  // first health probe starts at the first on_timeout().
  OpenAISource(BackendConfig config, http::Fetcher& fetcher, BackendObserver* observer);
  ~OpenAISource() override;
  OpenAISource(const OpenAISource&) = delete;
  OpenAISource& operator=(const OpenAISource&) = delete;

  Result<std::unique_ptr<TokenStream>> start(StreamStart start, Notify notify) override;
  bool available() const override { return healthy_; }

  // The health probe's timer: the next probe is due at deadline().
  Timestamp deadline() const;
  void on_timeout(Timestamp now);
  BackendStats stats() const;

  class Stream;  // openai_source.cc

 private:
  friend class Stream;
  void start_probe(Timestamp now);
  void probe_done(bool ok, std::string_view why);
  void count_error(BackendError error);
  void server_refused();  // a stream's connection was refused: unhealthy until a probe passes

  BackendConfig config_;
  http::Fetcher& fetcher_;
  BackendObserver* observer_;
  BackendStats stats_;
  std::size_t open_streams_ = 0;
  bool healthy_ = false;
  bool probing_ = false;
  http::FetchId probe_id_ = 0;
  int probe_status_ = 0;
  Timestamp probe_started_ = 0;
  Timestamp next_probe_ = 0;  // 0: at the first on_timeout
};

}  // namespace connswap::worker
