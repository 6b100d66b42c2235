#pragma once
// RequestParser's state around one http_parser; internal to src/http (request_parser.cc and
// detail/parser_state.cc). libhttp-parser's callbacks only record into it; the checks run
// between http_parser_execute() calls, in after_execute().
//
// One event per execute() call: every callback that marks a boundary (head complete, chunk
// header, chunk complete, message complete) pauses the parser, so execute() returns exactly
// at that boundary and the bytes around it can be checked. The head's final LF is not yet
// consumed when paused at the end of the head (libhttp-parser re-reads it on resume).
//
// Every error is found at a fixed byte of the stream, whatever the split of the bytes into
// feeds (libhttp-parser calls data callbacks at arbitrary points): limits on a head or
// trailer section are enforced by never executing past the byte one over the limit, and
// the header count is judged once the whole head has parsed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <http_parser.h>

#include "http/detail/strict.h"
#include "http/parse_error.h"
#include "http/request.h"
#include "http/request_parser.h"

namespace connswap::http::detail {

enum class Event : std::uint8_t { kNone, kHeadDone, kChunkHeader, kChunkDone, kMessageDone };

struct ParserState {
  explicit ParserState(Limits l);

  Limits limits;
  http_parser parser{};
  std::string buf;
  std::size_t pos = 0;            // first unparsed byte of buf (the two before it are kept)
  const char* base = nullptr;     // first byte of the span being executed
  std::size_t head_bytes = 0;     // bytes of the current head consumed so far
  std::size_t trailer_bytes = 0;  // bytes of the current trailer section consumed so far
  std::size_t field_count = 0;    // header lines seen; those past max_headers are not kept
  HeadScanner scanner;
  Event event = Event::kNone;  // what paused the parser in the current execute()
  bool in_head = true;         // the current request's head is not complete yet
  bool in_trailers = false;    // after the last chunk, before the end of the message
  bool in_field = false;       // the last header callback was a field name
  bool ready = false;          // `request` is complete and waits for take()
  bool closed = false;         // a request ended the connection; later bytes are dropped
  bool want_continue = false;
  Request request;
  std::optional<ParseError> error;

  // Records the first error; parsing stops for good.
  void fail(ParseError e);
  // For callbacks: records `e` and returns non-zero, which stops http_parser (HPE_CB_*).
  int fail_callback(ParseError e);
  int on_field(const char* at, std::size_t len);
  int on_value(const char* at, std::size_t len);

  // Runs http_parser over the buffer until a request is ready, an error, or no bytes left.
  void parse();
  void after_execute(std::size_t n);
  void on_chunk_boundary(Event event);
  void finish_head();
  void reset_message();
  ParseError map_errno(http_errno err) const;
};

// The callbacks above, for http_parser_execute().
const http_parser_settings& parser_settings();

}  // namespace connswap::http::detail
