#pragma once
// Response bytes for HTTP/1.1 (RFC 9112): a status line with headers, and chunked transfer
// coding for bodies of unknown length (SSE streams). Pure functions; no Date header.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"

namespace connswap::http {

// How a response body is delimited (RFC 9112 §6).
enum class Framing : std::uint8_t {
  kLength,   // Content-Length: <length>; the body follows as is
  kChunked,  // Transfer-Encoding: chunked; body via chunk() and kLastChunk (HTTP/1.1 peers)
  kClose,    // neither: the body ends when the server closes (for HTTP/1.0 peers; the
             // caller adds Connection: close)
};

// The reason phrase of `status` ("Not Found"), from libhttp-parser's table; "" if unknown
// (RFC 9112 §4 allows an empty one).
std::string_view reason_phrase(int status);

// "HTTP/1.1 <status> <reason>\r\n", each header as "name: value\r\n", the framing header,
// then "\r\n". `status` is 100..599. 1xx, 204 and 304 get no framing header (RFC 9110
// §8.6). CR, LF and NUL in names or values become spaces, so a value can never split the
// response. `length` is used for kLength only.
std::string response_head(int status,
                          const std::vector<Header>& headers,
                          Framing framing,
                          std::size_t length = 0);

// A complete response with a Content-Length body: response_head(kLength) + body.
std::string response(int status, const std::vector<Header>& headers, std::string_view body);

// One chunk: "<hex size>\r\n<data>\r\n". Empty data gives "" (an empty chunk would end
// the body; end it with kLastChunk).
std::string chunk(std::string_view data);

// Appends chunk(data) to `out` without a temporary.
void append_chunk(std::string& out, std::string_view data);

// The last chunk with no trailers: ends a chunked body.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace connswap::http
