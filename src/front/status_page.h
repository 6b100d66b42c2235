#pragma once
// The director's status page and its JSON (GET /, /status, /debug/workers, /debug/streams,
// /debug/gaps; issue 17), rendered from a snapshot: plain functions, no I/O. The page is
// server-rendered HTML (readable without JavaScript) with a little inline JavaScript (sort
// in place, the live feed, refresh); nothing is fetched from elsewhere. Every string from
// the snapshot is escaped (HTML) or encoded by the JSON library.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/director_status.h"

namespace connswap::front {

// How stream rows are ordered (?sort=): numbers largest first, text A-Z; ties by
// connection id then stream id.
enum class StreamSort { kMigrations, kAge, kTokens, kConnection, kWorker, kState };
// Unknown or empty names are kMigrations (the default: troubled streams first).
StreamSort parse_stream_sort(std::string_view name);
std::string_view to_string(StreamSort sort);

// The value of `name` in the target's query ("/status?sort=age" -> "age"), undecoded.
std::optional<std::string_view> query_param(std::string_view target, std::string_view name);
// Keeps the first `cap` of `streams` by `sort`, in order, in O(n log cap); returns how many
// there were.
std::size_t select_streams(std::vector<services::StatusStream>& streams,
                           StreamSort sort,
                           std::size_t cap);

// Text safe inside HTML elements and quoted attributes (& < > " ').
std::string html_escape(std::string_view text);

// One rendering of the page: every worker, the selected streams of `total_streams`.
struct StatusPage {
  std::vector<services::StatusWorker> workers;
  std::vector<services::StatusStream> streams;  // already selected (select_streams)
  std::size_t total_streams = 0;
  StreamSort sort = StreamSort::kMigrations;
  services::GapHistogram gaps;
};

// The whole HTML document.
std::string render_status_html(const StatusPage& page);
// The failover gap histogram as an inline SVG bar chart.
std::string render_gap_svg(const services::GapHistogram& gaps);
// {"workers":[...]}, {"total":M,"shown":N,"sort":..,"streams":[...]}, {"buckets":[...],...}.
std::string workers_json(const std::vector<services::StatusWorker>& workers);
std::string streams_json(const StatusPage& page);
std::string gaps_json(const services::GapHistogram& gaps);

}  // namespace connswap::front
