#pragma once
// Debian builds libhttp-parser with HTTP_PARSER_STRICT=0 (its Makefile's "fast" library),
// which takes any byte after a CR as the LF, allows spaces in header names, tabs and bytes
// >= 0x80 in the target, and any letters in place of "HTTP" in the request line. These
// re-check what that build lets through (RFC 9112 §2.2, §3, §5.1); internal to src/http.

#include <string>
#include <string_view>

namespace connswap::http::detail {

// Watches the bytes of a head (or a trailer section) as libhttp-parser consumes them.
class HeadScanner {
 public:
  // Starts a new head: the request line is captured again.
  void start_head();
  // Starts a trailer section: only bare CRs are looked for.
  void start_trailers();
  // Scans the next consumed bytes; false at a bare CR (one not followed by LF), a control
  // byte other than HTAB, or a line folded onto the previous one (obs-fold: a line starting
  // with SP or HTAB).
  [[nodiscard]] bool scan(std::string_view bytes);
  // The first non-empty line of the head, with its line ending, once its LF was scanned.
  std::string_view request_line() const { return line_; }

 private:
  bool cr_pending_ = false;
  bool lf_seen_ = false;  // the last byte was LF: a line starts
  bool line_done_ = false;
  std::string line_;
};

// "<method> <target> HTTP/<d>.<d>" followed by CRLF or LF.
bool valid_request_line(std::string_view line);

// RFC 9110 §5.6.2: a header name is a non-empty token.
bool valid_field_name(std::string_view name);

// RFC 9112 §3.2: a request-target is visible US-ASCII (no space, control or byte >= 0x80).
bool valid_target(std::string_view target);

}  // namespace connswap::http::detail
