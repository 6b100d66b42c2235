#include "http/detail/head.h"

#include <algorithm>
#include <string_view>

#include "http/detail/strict.h"

namespace connswap::http::detail {

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ows(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9112 §6.1: the codings of every Transfer-Encoding line, in order, form one list;
// chunked must be last, at most once, and we implement no other coding.
std::optional<ParseError> check_transfer_encoding(const Request& request) {
  std::vector<std::string_view> codings;
  for (const Header& h : request.headers) {
    if (h.name != "transfer-encoding") {
      continue;
    }
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      if (!item.empty()) {  // RFC 9110 §5.6.1: empty list elements are ignored
        codings.push_back(item);
      }
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (codings.empty() || !iequals(codings.back(), "chunked")) {
    return ParseError::kInvalidTransferEncoding;  // §6.3: length unknowable, 400
  }
  const auto chunked = std::count_if(
      codings.begin(), codings.end(), [](std::string_view c) { return iequals(c, "chunked"); });
  if (chunked > 1) {
    return ParseError::kInvalidTransferEncoding;  // §7: never chunked twice
  }
  if (codings.size() > 1) {
    return ParseError::kUnsupportedTransferEncoding;  // gzip, chunked: 501
  }
  return std::nullopt;
}

}  // namespace

void normalize(std::vector<Header>& headers) {
  for (Header& h : headers) {
    std::transform(h.name.begin(), h.name.end(), h.name.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    const std::string_view value = trim(h.value);
    if (value.size() != h.value.size()) {
      h.value = std::string(value);
    }
  }
}

std::size_t count(const std::vector<Header>& headers, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(
      headers.begin(), headers.end(), [name](const Header& h) { return iequals(h.name, name); }));
}

std::optional<ParseError> check_head(const Request& request) {
  if (!valid_target(request.target) ||
      !std::all_of(request.headers.begin(), request.headers.end(), [](const Header& h) {
        return valid_field_name(h.name);
      })) {
    return ParseError::kMalformed;
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host, or any with two, gets 400.
  const std::size_t hosts = count(request.headers, "host");
  if (hosts > 1 || (hosts == 0 && request.minor_version == 1)) {
    return ParseError::kBadHost;
  }
  if (count(request.headers, "transfer-encoding") > 0) {
    if (count(request.headers, "content-length") > 0) {
      return ParseError::kLengthWithTransferEncoding;  // §6.3 item 3: smuggling
    }
    if (request.minor_version == 0) {
      return ParseError::kInvalidTransferEncoding;  // §6.1: framing of a 1.0 message is faulty
    }
    if (auto error = check_transfer_encoding(request)) {
      return error;
    }
  }
  // RFC 9110 §10.1.1: 100-continue is the only expectation; a 1.0 request's is ignored.
  if (request.minor_version == 1) {
    for (const Header& h : request.headers) {
      if (h.name == "expect" && !iequals(h.value, "100-continue")) {
        return ParseError::kExpectationFailed;
      }
    }
  }
  return std::nullopt;
}

bool expects_continue(const Request& request) {
  return request.minor_version == 1 && count(request.headers, "expect") > 0;
}

}  // namespace connswap::http::detail
