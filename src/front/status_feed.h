#pragma once
// The live feed behind GET /debug/events: status events (migrations, failover gaps, worker
// health changes) encoded once as SSE text and queued for every subscriber. Each queue is
// bounded: a subscriber that does not keep up loses its oldest events (counted), so a slow
// browser never blocks the director or grows memory without bound. Sans-IO, one thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "services/director_status.h"

namespace connswap::front {

// Counters of one feed (metrics).
struct StatusFeedStats {
  std::uint64_t events = 0;       // published
  std::uint64_t dropped = 0;      // queued events a slow subscriber lost
  std::uint64_t subscribers = 0;  // now
};

// One event as SSE: "event: <kind>\ndata: <json>\n\n".
std::string encode_status_event(const services::StatusEvent& event);

class StatusFeed {
 public:
  // Each subscriber holds at most `max_queue` (>= 1) unsent events. `stats` (the front's,
  // for metrics) outlives the feed.
  StatusFeed(std::size_t max_queue, StatusFeedStats& stats)
      : max_queue_(max_queue < 1 ? 1 : max_queue), stats_(stats) {}

  // A new subscriber; `wake` runs (inline, inside publish) when its queue was empty and an
  // event arrives. The id stays valid until unsubscribe().
  std::uint64_t subscribe(std::function<void()> wake);
  void unsubscribe(std::uint64_t id);
  // Queues `event` for every subscriber, dropping each full queue's oldest event.
  void publish(const services::StatusEvent& event);
  // The subscriber's oldest unsent event, if any.
  std::optional<std::shared_ptr<const std::string>> pop(std::uint64_t id);
  const StatusFeedStats& stats() const { return stats_; }

 private:
  struct Subscriber {
    std::function<void()> wake;
    std::deque<std::shared_ptr<const std::string>> queue;
  };
  std::size_t max_queue_;
  std::map<std::uint64_t, Subscriber> subscribers_;
  std::uint64_t next_id_ = 1;
  StatusFeedStats& stats_;
};

}  // namespace connswap::front
