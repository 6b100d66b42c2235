// libFuzzer target for src/http: the request parser (over libhttp-parser) and the SSE and
// chunk writers fed with whatever bodies it accepts.
//
// Input: bytes 0-1 pick a cut point (little-endian, modulo the rest's size); bytes 2.. are
// what a client sent on one connection. They are fed in two pieces split at the cut, taking
// every request after each feed as the front does. Besides "no crash, no sanitizer report"
// it checks that the split does not change the requests or the error (also byte by byte,
// for short inputs), and that accepted requests respect the limits. Run: scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.h"
#include "http/response.h"
#include "http/sse.h"

namespace {

namespace http = connswap::http;

// Small, so every limit is reachable from short inputs.
constexpr http::Limits kLimits{.max_header_bytes = 512, .max_headers = 8, .max_body_bytes = 256};

struct Outcome {
  std::vector<http::Request> requests;
  std::optional<http::ParseError> error;
  bool operator==(const Outcome&) const = default;
};

void feed(http::RequestParser& parser, std::string_view bytes, Outcome& out) {
  if (auto r = parser.feed(bytes); !r && !out.error) {
    out.error = r.error();
  }
  (void)parser.take_continue();
  (void)parser.mid_request();
  while (auto request = parser.take()) {
    out.requests.push_back(std::move(*request));
  }
  if (!out.error) {
    out.error = parser.error();
  }
}

Outcome parse_in_pieces(std::string_view stream, const std::vector<std::size_t>& cuts) {
  http::RequestParser parser(kLimits);
  Outcome out;
  std::size_t at = 0;
  for (const std::size_t cut : cuts) {
    feed(parser, stream.substr(at, cut - at), out);
    at = cut;
  }
  feed(parser, stream.substr(at), out);
  return out;
}

void check_request(const http::Request& r) {
  if (r.method.empty() || r.target.empty() || r.minor_version > 1 ||
      r.body.size() > kLimits.max_body_bytes || r.headers.size() > kLimits.max_headers) {
    std::abort();
  }
  for (const auto& h : r.headers) {
    for (const char c : h.name) {
      if (c >= 'A' && c <= 'Z') {
        std::abort();  // names are lower-cased
      }
    }
  }
  // The writers take any bytes; an SSE event never carries a CR and ends with a blank line.
  const std::string event = http::sse_event(r.body);
  if (event.find('\r') != std::string::npos || !event.ends_with("\n\n")) {
    std::abort();
  }
  if (http::chunk(r.body).size() < r.body.size()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t cut =
      stream.empty() ? 0 : (data[0] | (std::size_t{data[1]} << 8)) % stream.size();
  const Outcome whole = parse_in_pieces(stream, {});
  if (parse_in_pieces(stream, {cut}) != whole) {
    std::abort();  // the parser must not depend on how bytes arrive
  }
  if (stream.size() <= 256) {
    std::vector<std::size_t> every(stream.size());
    for (std::size_t i = 0; i < every.size(); ++i) {
      every[i] = i;
    }
    if (parse_in_pieces(stream, every) != whole) {
      std::abort();
    }
  }
  for (const auto& request : whole.requests) {
    check_request(request);
  }
  return 0;
}
