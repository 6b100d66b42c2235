#pragma once
// One parsed HTTP/1.x request (RFC 9112), as RequestParser hands it out: owned strings, the
// body already de-chunked, header names lower-cased and values trimmed of surrounding
// whitespace. Header is shared with the response side (http/response.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace connswap::http {

// One header field line. Request headers have lower-case names; response headers are
// written as given.
struct Header {
  std::string name;
  std::string value;

  bool operator==(const Header&) const = default;
};

struct Request {
  std::string method;             // "GET", "POST", ... (http_parser's method names)
  std::string target;             // request-target as sent: "/v1/models?x=1" (or absolute-form)
  std::uint8_t minor_version{1};  // HTTP/1.<minor_version>: 0 or 1, nothing else is accepted
  std::vector<Header> headers;    // every field line in order, repeats kept (no trailers)
  std::string body;               // Content-Length or de-chunked body; empty when there is none
  bool keep_alive{true};          // http_should_keep_alive: false = close after the response

  // The first value of header `name` (compared case-insensitively), or nullopt. Repeated
  // fields are all in `headers`. The view lives as long as this Request.
  std::optional<std::string_view> header(std::string_view name) const;

  // The target without its query: "/v1/models" for "/v1/models?x=1".
  std::string_view path() const;

  bool operator==(const Request&) const = default;
};

// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b);

}  // namespace connswap::http
