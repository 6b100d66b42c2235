#pragma once
// Simulated worker failure (the seed's "simulating failure after 15s"), as a pure function
// of time: the binding asks what to do at `now` and acts on the answer.

#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "base/time.h"

namespace connswap::worker {

// How a worker fails once `fail_after` has elapsed since it started.
enum class FailMode : std::uint8_t {
  kNone,   // never fails
  kError,  // in-band error on every live stream, unavailable for a while, then back
  kCrash,  // the process exits abruptly (the binding calls std::_Exit)
  kHang,   // stops emitting tokens and heartbeats but keeps its connections open
};

// "none" | "error" | "crash" | "hang"; anything else is kInvalidArgument.
Result<FailMode> parse_fail_mode(std::string_view text);
std::string_view to_string(FailMode mode);

// What the worker must do at a given instant.
enum class FailureAction : std::uint8_t {
  kServe,  // healthy: serve streams, accept requests, heartbeat available=true
  kError,  // end live streams with an in-band error, refuse new ones (UNAVAILABLE),
           // heartbeat available=false
  kCrash,  // exit now
  kHang,   // emit nothing (no tokens, no heartbeats); keep connections open
};

// One-shot failure schedule: healthy until started + fail_after, then the mode's action.
// kError lasts `recovery_after` and the worker is healthy again afterwards (the seed's
// 10 s). fail_after == 0 or kNone disables failure.
class FailurePlan {
 public:
  FailurePlan(Duration fail_after,
              FailMode mode,
              Timestamp started,
              Duration recovery_after = 10 * kSecond);

  // The action in force at `now` (now may be earlier than `started`: kServe).
  FailureAction action(Timestamp now) const;

  // The next instant at which action() changes after `now`; kNever if it never does.
  Timestamp deadline(Timestamp now) const;

 private:
  bool enabled() const { return mode_ != FailMode::kNone && fail_after_ != 0; }

  Duration fail_after_;
  FailMode mode_;
  Timestamp started_;
  Duration recovery_after_;
};

}  // namespace connswap::worker
