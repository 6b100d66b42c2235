#pragma once
// Server-Sent Events encoding (WHATWG HTML §9.2.5 "Parsing an event stream"), as the openai
// Python SDK (openai/_streaming.py SSEDecoder), curl and browsers' EventSource read it.
// Lines end in LF only. A parser splits lines at CRLF, LF and CR, drops one space after the
// colon, joins data lines with LF and dispatches an event at each blank line.

#include <string>
#include <string_view>

#include "base/error.h"

namespace connswap::http {

// One event: a "data: <line>\n" per line of `data` (split at CRLF, LF or CR exactly as a
// parser splits them, so multi-line data arrives joined by LF), then the blank line.
// Empty data gives "data: \n\n", which dispatches an event with empty data.
std::string sse_event(std::string_view data);

// The same event preceded by "id: <id>\n", which sets the client's last event ID (sent back
// as Last-Event-ID when it reconnects). kInvalidArgument if `id` is not valid_sse_id().
[[nodiscard]] Result<std::string> sse_event(std::string_view data, std::string_view id);

// An id must not contain LF or CR (they would end the line) or NUL (parsers ignore such
// an id field).
bool valid_sse_id(std::string_view id);

// A comment, ": <line>\n" per line of `text` (split like data): shown by curl, skipped by
// parsers. NOT followed by a blank line: the openai SDK dispatches a blank-line-ended
// block holding only a comment as an empty event once any earlier event carried an id
// (its last event ID is sticky), and then fails on json.loads(""). So a comment rides
// along with the event that follows it.
std::string sse_comment(std::string_view text);

}  // namespace connswap::http
