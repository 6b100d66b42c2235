#pragma once
// Why RequestParser refused a request, and the status code the front answers it with. After
// any of these the parser stays failed: the front sends the error response (with
// `Connection: close`) and closes the connection (RFC 9112 §9.6).

#include <cstdint>
#include <string_view>

namespace connswap::http {

enum class ParseError : std::uint8_t {
  kMalformed,                    // 400: not valid HTTP/1.x syntax (http_parser refused it)
  kHeaderTooLarge,               // 431: request line + headers over Limits::max_header_bytes
  kTooManyHeaders,               // 431: more header lines than Limits::max_headers
  kBodyTooLarge,                 // 413: body over Limits::max_body_bytes (length or chunks)
  kLengthWithTransferEncoding,   // 400: Content-Length and Transfer-Encoding (smuggling)
  kDuplicateContentLength,       // 400: Content-Length given more than once
  kInvalidTransferEncoding,      // 400: chunked not the final coding, or in an HTTP/1.0 request
  kUnsupportedTransferEncoding,  // 501: a transfer coding other than chunked (gzip, chunked)
  kVersionNotSupported,          // 505: HTTP/x.y other than 1.0 and 1.1
  kExpectationFailed,            // 417: an Expect other than 100-continue
  kBadHost,                      // 400: HTTP/1.1 without Host, or Host more than once
  kMethodNotImplemented,         // 501: CONNECT (a tunnel; nothing else is refused here)
};

// A short fixed description: "header section too large".
std::string_view to_string(ParseError error);

// The response status for `error`: 400, 413, 417, 431, 501 or 505 as listed above.
int status_for(ParseError error);

}  // namespace connswap::http
