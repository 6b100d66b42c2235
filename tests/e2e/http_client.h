// What the HTTP front's end-to-end tests share: the OpenAI request bodies they send, curl
// started against the director's HTTP address, and a parse of the SSE answer it printed.

#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/cluster.h"

namespace connswap::e2e {

inline constexpr const char* kCurl = "/usr/bin/curl";
inline constexpr const char* kSyntheticModel = "connswap-synthetic";

// What one SSE answer said.
struct SseAnswer {
  std::string text;                    // delta.content (chat) or text (completions), joined
  std::string finish_reason;           // of the last choice that had one
  nlohmann::json usage;                // the usage chunk's usage (null if none)
  std::vector<std::string> comments;   // ": ..." lines, without the colon and space
  std::vector<nlohmann::json> errors;  // error events (and data lines that are not JSON)
  std::size_t chunks = 0;              // data events other than [DONE] and errors
  bool done = false;                   // data: [DONE] seen
  bool event_after_done = false;       // any data line after [DONE]
  std::string id;                      // the chunks' id (all equal)
  std::string last_id;                 // the last "id:" field (SSE event id), "" if none
  std::size_t event_ids = 0;           // events that carried an id
  bool ids_equal = true;
  int completion_tokens() const;  // usage.completion_tokens, -1 if none
};

SseAnswer parse_sse(const std::string& body);

// `body` up to its last complete event (what an SSE parser dispatched when the connection
// broke mid-event).
std::string complete_events(const std::string& body);

// host:port of the director's HTTP front (its ready file's http= field).
std::string http_addr(Cluster& c);

// A chat completion request for the synthetic model; stream_options.include_usage if stream.
nlohmann::json chat_body(int max_tokens, bool stream, const std::string& prompt);

// Where curl goes and what it adds: `addr` "" = http_addr(c); `headers` as "Name: value";
// `ca_file` for https (--http-tls); `cert` names a certificate of the cluster's certs dir
// (e.g. "operator": operator.pem + operator-key.pem) that curl presents.
struct CurlTarget {
  std::string addr;
  std::vector<std::string> headers{};
  std::string ca_file{};  // not empty: https, verifying the director against this CA
  std::string cert{};     // not empty: present <certs>/<cert>.pem as a client certificate
};

// curl POSTing `body` (JSON) to `path` of the front; -N so each event is written as it
// arrives, --fail-with-body so an HTTP error is a non-zero exit.
testing::Process& curl_post(Cluster& c,
                            const std::string& name,
                            const std::string& path,
                            const nlohmann::json& body,
                            const CurlTarget& target = {});
// The same as a GET without a body (as EventSource reconnects).
testing::Process& curl_get(Cluster& c,
                           const std::string& name,
                           const std::string& path,
                           const CurlTarget& target = {});

// Waits until curl has printed `n` data events.
bool wait_events(testing::Process& curl, std::size_t n);

// Waits for curl to exit 0 (kStreamBudget; a failure is reported with the cluster's logs)
// and returns what it printed.
std::string curl_output(Cluster& c, testing::Process& curl);

}  // namespace connswap::e2e
