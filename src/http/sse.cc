#include "http/sse.h"

namespace connswap::http {

namespace {

// The first CR or LF of `text`, or npos. A plain loop: find_first_of("\r\n") calls memchr
// over the two-byte set once per byte of text, which was a third of the director's CPU per
// SSE token (docs/BENCHMARKS.md, "HTTP front").
std::size_t find_line_end(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      return i;
    }
  }
  return std::string_view::npos;
}

// Appends "<prefix><line>\n" for every line of `text`, split at CRLF, LF or CR.
void append_lines(std::string& out, std::string_view prefix, std::string_view text) {
  while (true) {
    const std::size_t end = find_line_end(text);
    out.append(prefix);
    out.append(text.substr(0, end));
    out.push_back('\n');
    if (end == std::string_view::npos) {
      return;
    }
    const bool crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
    text.remove_prefix(end + (crlf ? 2 : 1));
  }
}

}  // namespace

std::string sse_event(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 8);
  append_lines(out, "data: ", data);
  out.push_back('\n');
  return out;
}

Result<std::string> sse_event(std::string_view data, std::string_view id) {
  if (!valid_sse_id(id)) {
    return make_error(Errc::kInvalidArgument, "SSE id contains CR, LF or NUL");
  }
  std::string out;
  out.reserve(id.size() + data.size() + 12);
  out.append("id: ");
  out.append(id);
  out.push_back('\n');
  append_lines(out, "data: ", data);
  out.push_back('\n');
  return out;
}

// Three single-byte scans (memchr, vectorised): find_first_of over a 3-byte set calls
// memchr once per byte of `id`, which was half of the director's CPU with resume ids on
// every event (docs/BENCHMARKS.md).
bool valid_sse_id(std::string_view id) {
  return id.find('\n') == std::string_view::npos && id.find('\r') == std::string_view::npos &&
         id.find('\0') == std::string_view::npos;
}

std::string sse_comment(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 3);
  append_lines(out, ": ", text);
  return out;
}

}  // namespace connswap::http
