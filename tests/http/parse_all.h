#pragma once
// Test helper: feeds bytes to a RequestParser in pieces and takes every request.

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "http/request_parser.h"

namespace connswap::http::test {

struct Outcome {
  std::vector<Request> requests;
  std::optional<ParseError> error;

  bool operator==(const Outcome&) const = default;
};

// Takes every ready request, as a front does when it is not serving one.
inline void take_all(RequestParser& parser, Outcome& out) {
  while (auto request = parser.take()) {
    out.requests.push_back(std::move(*request));
  }
}

// Feeds `bytes` in pieces of `step` bytes (0 = all at once), taking requests after each.
inline Outcome parse_all(std::string_view bytes, std::size_t step = 0, Limits limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  const std::size_t piece = step == 0 ? std::max<std::size_t>(bytes.size(), 1) : step;
  for (std::size_t at = 0; at < bytes.size() && !out.error; at += piece) {
    if (auto r = parser.feed(bytes.substr(at, piece)); !r) {
      out.error = r.error();
    }
    take_all(parser, out);
  }
  if (!out.error) {
    out.error = parser.error();
  }
  return out;
}

// Feeds bytes[0, cut) then bytes[cut, end), taking requests after each.
inline Outcome parse_split(std::string_view bytes, std::size_t cut, Limits limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  for (const std::string_view part : {bytes.substr(0, cut), bytes.substr(cut)}) {
    if (auto r = parser.feed(part); !r && !out.error) {
      out.error = r.error();
    }
    take_all(parser, out);
  }
  if (!out.error) {
    out.error = parser.error();
  }
  return out;
}

}  // namespace connswap::http::test
