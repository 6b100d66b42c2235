#include "http/detail/parser_state.h"

#include <algorithm>
#include <utility>

#include "http/detail/head.h"

namespace connswap::http::detail {

ParserState::ParserState(Limits l) : limits(l) {
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = this;
}

void ParserState::fail(ParseError e) {
  if (!error) {
    error = e;
  }
}

int ParserState::fail_callback(ParseError e) {
  fail(e);
  return 1;
}

int ParserState::on_field(const char* at, std::size_t len) {
  if (!in_head) {
    return 0;  // a trailer field, dropped (see on_value)
  }
  if (!in_field) {  // a new field line (a name may arrive in several pieces)
    ++field_count;
    in_field = true;
    if (field_count <= limits.max_headers) {
      request.headers.emplace_back();
    }
  }
  if (field_count <= limits.max_headers) {
    request.headers.back().name.append(at, len);
  }
  return 0;
}

// Trailer fields (RFC 9112 §7.1.2) are dropped: nothing here needs them, and merging them
// into the head would let a body smuggle framing headers. Their bytes are bounded in parse().
int ParserState::on_value(const char* at, std::size_t len) {
  if (!in_head) {
    return 0;
  }
  in_field = false;
  if (field_count <= limits.max_headers && !request.headers.empty()) {
    request.headers.back().value.append(at, len);
  }
  return 0;
}

void ParserState::parse() {
  while (!error && !ready && !closed && pos < buf.size()) {
    base = buf.data() + pos;
    std::size_t span = buf.size() - pos;
    if (in_head || in_trailers) {  // up to the byte one over the limit, no further
      span = std::min(span, limits.max_header_bytes + 1 - (in_head ? head_bytes : trailer_bytes));
    }
    const std::size_t n = http_parser_execute(&parser, &parser_settings(), base, span);
    pos += n;
    after_execute(n);
  }
  if (closed && !ready) {
    buf.clear();
    pos = 0;
  } else if (pos > 2) {
    buf.erase(0, pos - 2);  // keeps the last two parsed bytes for on_chunk_boundary()
    pos = 2;
  }
}

void ParserState::after_execute(std::size_t n) {
  const auto err = HTTP_PARSER_ERRNO(&parser);
  const Event ev = std::exchange(event, Event::kNone);
  if (in_head || in_trailers) {
    // Paused at the end of a head, its final LF is unconsumed but present: it counts too.
    const std::size_t seen = n + (ev == Event::kHeadDone ? 1 : 0);
    std::size_t& bytes = in_head ? head_bytes : trailer_bytes;
    bytes += seen;
    // The bytes before a parse error are scanned first: the earliest fault wins.
    const bool bad_byte = !scanner.scan({base, seen});
    if (bad_byte || bytes > limits.max_header_bytes) {
      ready = false;  // a fault in a trailer section's last line voids its request
      fail(bad_byte ? ParseError::kMalformed : ParseError::kHeaderTooLarge);
      return;
    }
  }
  if (err != HPE_OK && err != HPE_PAUSED) {
    fail(map_errno(err));  // a callback's own reason, recorded first, wins
    return;
  }
  switch (ev) {
    case Event::kHeadDone:
      in_head = false;
      http_parser_pause(&parser, 0);
      finish_head();
      return;
    case Event::kChunkHeader:
    case Event::kChunkDone:
      http_parser_pause(&parser, 0);
      on_chunk_boundary(ev);
      return;
    case Event::kMessageDone:
      return;  // stays paused until take()
    case Event::kNone:
      break;
  }
  if (n == 0) {
    fail(ParseError::kMalformed);  // no progress and no event: never spin
  }
}

// A chunk-size line ends in LF, and chunk data in CRLF (RFC 9112 §7.1); the non-strict
// build takes any byte there. Both were just consumed, so they are the two bytes before pos.
void ParserState::on_chunk_boundary(Event ev) {
  if (ev == Event::kChunkHeader) {
    if (pos < 1 || buf[pos - 1] != '\n') {
      fail(ParseError::kMalformed);
    } else if (parser.content_length == 0) {
      in_trailers = true;  // the last chunk: a trailer section and the blank line follow
      scanner.start_trailers();
    }
    return;
  }
  // The last chunk's "complete" comes at the end of the trailers, which the scanner checks.
  if (!in_trailers && (pos < 2 || buf[pos - 2] != '\r' || buf[pos - 1] != '\n')) {
    fail(ParseError::kMalformed);
  }
}

void ParserState::finish_head() {
  if (field_count > limits.max_headers) {
    fail(ParseError::kTooManyHeaders);
    return;
  }
  if (!valid_request_line(scanner.request_line())) {
    fail(ParseError::kMalformed);
    return;
  }
  if (parser.http_major != 1 || parser.http_minor > 1) {
    fail(ParseError::kVersionNotSupported);
    return;
  }
  if (parser.method == HTTP_CONNECT) {
    fail(ParseError::kMethodNotImplemented);
    return;
  }
  request.method = http_method_str(static_cast<http_method>(parser.method));
  request.minor_version = static_cast<std::uint8_t>(parser.http_minor);
  normalize(request.headers);
  if (auto e = check_head(request)) {
    fail(*e);
    return;
  }
  const bool chunked = (parser.flags & F_CHUNKED) != 0;
  const bool has_length = (parser.flags & F_CONTENTLENGTH) != 0;
  if (has_length && parser.content_length > limits.max_body_bytes) {
    fail(ParseError::kBodyTooLarge);  // RFC 9110 §15.5.14, before reading any of it
    return;
  }
  if (has_length) {
    request.body.reserve(static_cast<std::size_t>(parser.content_length));
  }
  want_continue =
      expects_continue(request) && (chunked || (has_length && parser.content_length > 0));
}

void ParserState::reset_message() {
  request = Request{};
  head_bytes = 0;
  trailer_bytes = 0;
  field_count = 0;
  scanner.start_head();
  in_head = true;
  in_trailers = false;
  in_field = false;
  ready = false;
  want_continue = false;
}

ParseError ParserState::map_errno(http_errno err) const {
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      return ParseError::kHeaderTooLarge;  // libhttp-parser's own 80 KiB cap
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      // Raised for a second Content-Length, and for Content-Length with Transfer-Encoding.
      return count(request.headers, "content-length") > 1 ? ParseError::kDuplicateContentLength
                                                          : ParseError::kLengthWithTransferEncoding;
    case HPE_INVALID_TRANSFER_ENCODING:
      return ParseError::kInvalidTransferEncoding;
    default:
      return ParseError::kMalformed;
  }
}

}  // namespace connswap::http::detail
