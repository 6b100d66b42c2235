#pragma once
// When a link is down: fixed windows given up front (relative to the relay's start) plus
// windows started at run time (a signal, a control command), sans-IO.

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace connswap::impair {

// [start, start + length) after the origin.
struct Window {
  Duration start = 0;
  Duration length = 0;
};

// Parses "START_MS+LENGTH_MS" (e.g. "2000+3000"); kInvalidArgument otherwise.
Result<Window> parse_window(const std::string& text);

class Blackhole {
 public:
  // `origin`: the time windows count from (the relay's start).
  Blackhole(Timestamp origin, const std::vector<Window>& windows);

  // Starts a window of `length` now (extends one already running if it ends sooner).
  void trigger(Timestamp now, Duration length);
  // True while any window covers `now`.
  bool active(Timestamp now) const;
  // The next time active() changes after `now` (kNever: never again).
  Timestamp next_change(Timestamp now) const;

 private:
  struct Span {
    Timestamp from, to;
  };
  std::vector<Span> spans_;
};

}  // namespace connswap::impair
