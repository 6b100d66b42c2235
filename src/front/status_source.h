#pragma once
// What the status routes (/, /status, /debug/*) need from the director: its typed snapshot
// (services/director_status.h) and the live feed. apps/director implements it over the
// DirectorService; tests fill it with plain values.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.h"
#include "services/director_status.h"

namespace connswap::front {

class StatusFeed;

// The status routes' knobs (--http-status, --status-max-streams, --status-feed-queue).
// Who may read the status routes (--http-status on|off|operator).
enum class StatusAccess : std::uint8_t {
  kOn,        // anyone who reaches --http-addr
  kOff,       // nobody: the routes answer 404
  kOperator,  // a client certificate with the operator role (--http-tls); others get 403
};

struct StatusConfig {
  StatusAccess access = StatusAccess::kOn;
  std::size_t max_streams = 500;           // stream rows on the page and in /debug/streams
  std::size_t feed_queue = 256;            // events held per slow /debug/events subscriber
  Duration feed_keepalive = 15 * kSecond;  // an SSE comment when the feed is quiet this long
};

class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual std::vector<services::StatusWorker> workers() const = 0;
  virtual std::vector<services::StatusStream> streams() const = 0;  // every open stream
  virtual services::GapHistogram gaps() const = 0;
  virtual StatusFeed& feed() = 0;  // outlives every session
};

}  // namespace connswap::front
