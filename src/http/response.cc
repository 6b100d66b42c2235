#include "http/response.h"

#include <charconv>

#include <http_parser.h>

namespace connswap::http {

namespace {

// Appends `text` with CR, LF and NUL replaced by spaces (no response splitting).
void append_safe(std::string& out, std::string_view text) {
  for (const char c : text) {
    out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
  }
}

template <class Int>
void append_number(std::string& out, Int value, int base) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value, base);
  (void)ec;  // 24 digits hold any 64-bit value in base 10 or 16
  out.append(digits, end);
}

bool has_no_body(int status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
#define CONNSWAP_HTTP_REASON(num, name, text) \
  case num:                                   \
    return #text;
    HTTP_STATUS_MAP(CONNSWAP_HTTP_REASON)
#undef CONNSWAP_HTTP_REASON
    default:
      return "";
  }
}

std::string response_head(int status,
                          const std::vector<Header>& headers,
                          Framing framing,
                          std::size_t length) {
  std::string out = "HTTP/1.1 ";
  append_number(out, status, 10);
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
  for (const Header& h : headers) {
    append_safe(out, h.name);
    out.append(": ");
    append_safe(out, h.value);
    out.append("\r\n");
  }
  if (!has_no_body(status)) {
    if (framing == Framing::kLength) {
      out.append("Content-Length: ");
      append_number(out, length, 10);
      out.append("\r\n");
    } else if (framing == Framing::kChunked) {
      out.append("Transfer-Encoding: chunked\r\n");
    }
  }
  out.append("\r\n");
  return out;
}

std::string response(int status, const std::vector<Header>& headers, std::string_view body) {
  std::string out = response_head(status, headers, Framing::kLength, body.size());
  out.append(body);
  return out;
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) {
    return;
  }
  append_number(out, data.size(), 16);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

std::string chunk(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 20);
  append_chunk(out, data);
  return out;
}

}  // namespace connswap::http
