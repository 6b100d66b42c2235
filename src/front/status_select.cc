// The status page's plain helpers: ?sort= and the query, the capped selection of stream
// rows, HTML escaping.

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "front/status_page.h"

namespace connswap::front {
namespace {

using services::StatusStream;

constexpr std::array<std::pair<StreamSort, std::string_view>, 6> kSortNames = {{
    {StreamSort::kMigrations, "migrations"},
    {StreamSort::kAge, "age"},
    {StreamSort::kTokens, "tokens"},
    {StreamSort::kConnection, "connection"},
    {StreamSort::kWorker, "worker"},
    {StreamSort::kState, "state"},
}};

// The tie-break every order ends with.
bool by_ids(const StatusStream& a, const StatusStream& b) {
  return std::tie(a.connection_id, a.stream_id) < std::tie(b.connection_id, b.stream_id);
}

// True when `a` is shown before `b`.
bool before(StreamSort sort, const StatusStream& a, const StatusStream& b) {
  switch (sort) {
    case StreamSort::kMigrations:
      if (a.migration_count != b.migration_count) {
        return a.migration_count > b.migration_count;
      }
      if (a.age != b.age) {
        return a.age > b.age;
      }
      break;
    case StreamSort::kAge:
      if (a.age != b.age) {
        return a.age > b.age;
      }
      break;
    case StreamSort::kTokens:
      if (a.tokens != b.tokens) {
        return a.tokens > b.tokens;
      }
      break;
    case StreamSort::kWorker:
      if (a.worker != b.worker) {
        return a.worker < b.worker;
      }
      break;
    case StreamSort::kState:
      if (a.state != b.state) {
        return a.state < b.state;
      }
      break;
    case StreamSort::kConnection:
      break;
  }
  return by_ids(a, b);
}

}  // namespace

StreamSort parse_stream_sort(std::string_view name) {
  for (const auto& [sort, text] : kSortNames) {
    if (text == name) {
      return sort;
    }
  }
  return StreamSort::kMigrations;
}

std::string_view to_string(StreamSort sort) {
  for (const auto& [value, text] : kSortNames) {
    if (value == sort) {
      return text;
    }
  }
  return "migrations";
}

std::optional<std::string_view> query_param(std::string_view target, std::string_view name) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// partial_sort: O(n log cap) comparisons, and only the kept rows end up in order.
std::size_t select_streams(std::vector<StatusStream>& streams, StreamSort sort, std::size_t cap) {
  const std::size_t total = streams.size();
  const std::size_t keep = std::min(cap, total);
  const auto order = [sort](const StatusStream& a, const StatusStream& b) {
    return before(sort, a, b);
  };
  std::partial_sort(
      streams.begin(), streams.begin() + static_cast<std::ptrdiff_t>(keep), streams.end(), order);
  streams.resize(keep);
  return total;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace connswap::front
