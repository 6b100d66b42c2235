#pragma once
// Whole HTTP responses of the front (head + body), and the mapping from a director status to
// the OpenAI error a client sees.

#include <string>
#include <string_view>

#include "openai/response.h"
#include "rpc/status.h"

namespace connswap::front {

// `status` with a JSON body, Content-Length, keep-alive or close.
std::string json_response(int status, std::string_view body, bool keep_alive);
// The OpenAI error JSON with error.http_status.
std::string error_response(const openai::ApiError& error, bool keep_alive);
// 503 with Retry-After: 1 (no worker can take the request now).
std::string unavailable_response(std::string_view message, bool keep_alive);
// 405 with Allow: `allow`.
std::string method_not_allowed(std::string_view allow, bool keep_alive);
// The head of an SSE answer: 200, text/event-stream, chunked (HTTP/1.1) or until close
// (HTTP/1.0), no caching or proxy buffering.
std::string sse_head(bool keep_alive, bool http10);

// What a client sees when the director ends its stream with `status` (not OK): the status
// codes of the stream's end (UNAVAILABLE: 503, INVALID_ARGUMENT: 400, RESOURCE_EXHAUSTED:
// 429, DEADLINE_EXCEEDED: 504, others 500), type and code in OpenAI's words.
openai::ApiError api_error_of(const rpc::Status& status);

}  // namespace connswap::front
