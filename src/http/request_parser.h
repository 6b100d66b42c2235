#pragma once
// Incremental HTTP/1.1 request parser over libhttp-parser (sans-IO: bytes in, requests out;
// no sockets, no clock). It keeps the bytes it is fed and completes ONE request at a time:
// pipelined requests stay buffered, in order, until the current one is taken. Limits are
// checked as bytes arrive, so memory stays bounded by the limits plus what the front feeds.
//
// Front loop:  feed(bytes) -> error? answer status_for(e) and close.
//              take_continue()? write kContinueResponse.
//              when not serving a request: take() -> serve it; or error() -> answer, close.
//              buffered() large -> stop reading the socket until the next take().

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "base/expected.h"
#include "http/parse_error.h"
#include "http/request.h"

namespace connswap::http {

namespace detail {
struct ParserState;  // http/detail/parser_state.h (holds the http_parser)
}  // namespace detail

// What one request may hold; a request over a limit fails as soon as the limit is passed.
struct Limits {
  // Request line + header lines + the blank line (16 KiB). Also caps a chunked body's
  // trailer section. libhttp-parser has its own process-wide cap of 80 KiB, so larger
  // values behave as 80 KiB (kHeaderTooLarge either way).
  std::size_t max_header_bytes{16'384};
  std::size_t max_headers{64};            // header field lines (trailers not counted)
  std::size_t max_body_bytes{1'048'576};  // body bytes, after de-chunking (1 MiB)
};

class RequestParser {
 public:
  explicit RequestParser(Limits limits = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Copies `bytes` into the parser's buffer and parses until one request is complete or
  // the bytes run out. Returns the parser's error, new or earlier (errors are sticky).
  // Bytes after a request that ends the connection (keep_alive false) are discarded.
  [[nodiscard]] Expected<void, ParseError> feed(std::string_view bytes);

  // The completed request, if one is ready; then parses the buffered bytes that follow it,
  // which may complete the next request (take() again) or fail (error()).
  std::optional<Request> take();

  // True once per request whose head asked for `Expect: 100-continue` (HTTP/1.1) while
  // its body is still to come: the front then writes kContinueResponse. Never true once
  // the body has arrived or the head was refused (a too-large body gets 413 instead).
  bool take_continue();

  // The sticky error, if parsing has failed.
  std::optional<ParseError> error() const;

  // True while part of a request has been received but not all of it (the front's
  // header/body-read timeout runs then). False when idle, when a request is ready, or failed.
  bool mid_request() const;

  // Bytes received and not yet parsed (held behind a ready request, or a partial request
  // the parser is waiting on). The front stops reading while this is large.
  std::size_t buffered() const;

 private:
  std::unique_ptr<detail::ParserState> impl_;
};

// The interim response that lets a client waiting on `Expect: 100-continue` send its body.
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace connswap::http
