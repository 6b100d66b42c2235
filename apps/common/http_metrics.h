#pragma once
// The director's HTTP front metrics (connswap_http_*; names in docs/ARCHITECTURE.md,
// "Metrics"), refreshed from front::HttpFrontStats and the listener's counts on the loop.

#include <cstdint>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "front/http_session.h"

namespace connswap::app {

// What the listener counts (net::TcpListener), next to the sessions' HttpFrontStats.
struct HttpConnectionCounts {
  std::uint64_t open = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;  // over --http-max-connections
};

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);
  void update(const front::HttpFrontStats& stats, const HttpConnectionCounts& connections);

 private:
  struct Entry {
    prometheus::Counter* counter;
    std::uint64_t front::HttpFrontStats::*field;
  };
  prometheus::Gauge& open_;
  prometheus::Counter& accepted_;
  prometheus::Counter& refused_;
  prometheus::Gauge& status_subscribers_;  // /debug/events subscribers now
  prometheus::Counter& status_events_;     // status events published
  prometheus::Counter& status_dropped_;    // ...that a slow subscriber lost
  std::vector<Entry> counters_;
};

}  // namespace connswap::app
