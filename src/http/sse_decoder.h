#pragma once
// Server-Sent Events decoding (WHATWG HTML §9.2.6 "Interpreting an event stream") for the
// worker reading a model server's stream: lines split at CRLF, LF or CR; "data" lines
// joined with LF; "event" and "id" kept; comments and unknown fields ignored; an event
// dispatched at each blank line (an event with no data line is not dispatched). Bounded:
// a line or an event's data over its limit is an error, never unbounded buffering.
// Sans-IO; never throws.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace connswap::http {

struct SseEvent {
  std::string event;  // "event:" field; empty means "message"
  std::string data;   // data lines joined with LF
  std::string id;     // "id:" field of this event, empty if none
};

struct SseLimits {
  std::size_t max_line_bytes = std::size_t{1} << 20;   // one line, without its end
  std::size_t max_event_bytes = std::size_t{4} << 20;  // one event's joined data
};

class SseDecoder {
 public:
  explicit SseDecoder(SseLimits limits = {});
  // Decodes `bytes` (any split: a line or a CRLF may straddle calls) and appends each
  // complete event to `out`. kResourceExhausted when a limit is passed; the decoder is
  // then failed and every later feed() returns the same error.
  Result<void> feed(std::string_view bytes, std::vector<SseEvent>& out);
  // Bytes received after the last dispatched event (a partial line or an event without
  // its blank line; also true once failed): at end of stream they mean the stream was cut.
  bool mid_event() const;

 private:
  SseLimits limits_;
  std::string line_;       // the current line so far
  SseEvent pending_;       // fields of the event being built
  bool has_data_ = false;  // pending_ has a data line
  bool after_cr_ = false;  // the last byte was CR (an LF right after it is part of that end)
  bool at_start_ = true;   // no line has ended yet (a UTF-8 BOM may still be skipped)
  bool failed_ = false;
};

}  // namespace connswap::http
