#pragma once
// What a sans-IO role sees of an HTTP client: start a request, receive its status, body
// bytes and end as events, cancel it. net::HttpClient (libcurl's multi interface on the
// loop) implements it; a model-server token source (worker/openai_source.h) uses it. Kept
// here, beside the HTTP server side, so that roles depend on the interface and not on
// src/net.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace connswap::http {

// Why a request got no complete response. An HTTP error status is not a FetchError: it
// arrives through on_status and its body follows.
enum class FetchError : std::uint8_t {
  kRefused,   // connection refused (nobody listens)
  kReset,     // the connection was reset or closed before the response was complete
  kTimeout,   // connect_timeout or total_timeout passed
  kResolve,   // the host name did not resolve, or the URL is malformed
  kProtocol,  // the peer did not speak valid HTTP (bad status line, chunking, headers)
  kTooLarge,  // the response headers exceeded the client's limit
  kInternal,  // the client itself failed (out of handles, a library error)
};
std::string_view to_string(FetchError error);

struct FetchRequest {
  std::string method = "GET";        // GET or POST
  std::string url;                   // absolute http:// or https:// URL
  std::vector<std::string> headers;  // "Name: value" lines, sent as given
  std::string body;                  // sent as is (POST); Content-Length is set
  Duration connect_timeout = 2 * kSecond;
  Duration total_timeout = 0;  // the whole exchange; 0 = none (a stream may run long)
  // A connection of its own, closed after the response, instead of one kept alive. For
  // short requests to a server that answers a kept-alive connection slowly: uvicorn (the
  // llama.cpp Python server) writes a small response's head and body separately, and on a
  // reused connection the body waits for the client's delayed ACK, ~40 ms (measured).
  bool fresh_connection = false;
};

// The events of one request, each called from the loop, never inline from start() or
// cancel(). Any of them may call cancel() on its own request (then nothing follows).
struct FetchEvents {
  std::function<void(int status)> on_status;            // once, the final status (1xx skipped)
  std::function<void(std::string_view bytes)> on_body;  // body bytes in order, de-chunked
  // Last event, exactly once unless cancelled: nullopt when the whole response arrived.
  std::function<void(std::optional<FetchError> error)> on_done;
};

using FetchId = std::uint64_t;

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Starts a request; kResourceExhausted at the client's transfer limit, kInvalidArgument
  // for a request it cannot make (empty URL, unknown method). Events follow later.
  virtual Result<FetchId> start(FetchRequest request, FetchEvents events) = 0;
  // Stops the request and frees what it holds; no event after it. Idempotent; an unknown
  // or finished id is ignored.
  virtual void cancel(FetchId id) = 0;
};

}  // namespace connswap::http
