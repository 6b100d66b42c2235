#include "http/detail/strict.h"

#include <algorithm>

namespace connswap::http::detail {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_tchar(char c) {
  if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

void HeadScanner::start_head() {
  cr_pending_ = false;
  lf_seen_ = false;
  line_done_ = false;
  line_.clear();
}

void HeadScanner::start_trailers() {
  cr_pending_ = false;
  lf_seen_ = false;
  line_done_ = true;
}

bool HeadScanner::scan(std::string_view bytes) {
  for (const char c : bytes) {
    if (cr_pending_ && c != '\n') {
      return false;
    }
    // RFC 9110 §5.5: no control byte but HTAB in a field line (nor in a request line);
    // libhttp-parser misses one that starts a value.
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
        c == '\x7f') {
      return false;
    }
    // RFC 9112 §5.2: a line starting with SP or HTAB is obs-fold; §2.2: whitespace after
    // the request line is refused too.
    if (lf_seen_ && (c == ' ' || c == '\t')) {
      return false;
    }
    cr_pending_ = c == '\r';
    lf_seen_ = c == '\n';
    if (line_done_) {
      continue;
    }
    line_.push_back(c);  // bounded: the head's size limit applies to these bytes
    if (c == '\n') {
      // RFC 9112 §2.2: empty lines before the request line are skipped.
      line_done_ = line_ != "\n" && line_ != "\r\n";
      if (!line_done_) {
        line_.clear();
      }
    }
  }
  return true;
}

bool valid_request_line(std::string_view line) {
  if (line.ends_with("\r\n")) {
    line.remove_suffix(2);
  } else if (line.ends_with('\n')) {
    line.remove_suffix(1);
  } else {
    return false;
  }
  constexpr std::string_view kVersion = " HTTP/d.d";
  if (line.size() <= kVersion.size()) {
    return false;
  }
  const std::string_view version = line.substr(line.size() - kVersion.size());
  return version.substr(0, 6) == " HTTP/" && is_digit(version[6]) && version[7] == '.' &&
         is_digit(version[8]);
}

bool valid_field_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_tchar);
}

bool valid_target(std::string_view target) {
  return !target.empty() &&
         std::all_of(target.begin(), target.end(), [](char c) { return c > ' ' && c < '\x7f'; });
}

}  // namespace connswap::http::detail
