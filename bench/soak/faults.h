#pragma once
// The soak's faults: what was done to which process and when, the seeded choice of the next
// one, and the attribution of a stream's gap to the fault that caused it. Pure.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "base/time.h"

namespace connswap::soak {

// A gap between two tokens of a stream that a Migrated or a resume interrupted, or any gap
// over a second (cause "none"). Times are net::clock_now().
struct Gap {
  Timestamp from = 0;  // the last token before
  Timestamp to = 0;    // the first token after
  std::string worker;  // serving worker before the gap
  std::string cause;   // "resume", "migrated:<reason>" or "none"
};

enum class FaultKind : std::uint8_t { kKill, kStop, kTerm, kError, kDirector };

const char* to_string(FaultKind kind);

struct Fault {
  Timestamp at = 0;
  FaultKind kind = FaultKind::kKill;
  std::string target;      // a worker label, or "director"
  Timestamp earliest = 0;  // `at` is when it was logged; it may have happened from here
};

// Seeded draws: the same seed gives the same sequence of choices.
class Dice {
 public:
  explicit Dice(std::uint64_t seed) : rng_(seed) {}
  // Uniform in [lo, hi].
  Duration between(Duration lo, Duration hi) {
    return lo + static_cast<Duration>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  // Uniform index in [0, n).
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  // The kind of the next scheduled fault: kill 3, stop 2, term 2, director 1 (in-band
  // errors are armed at each worker start instead, see soak.cc).
  FaultKind next_kind() {
    static constexpr FaultKind kWeighted[] = {FaultKind::kKill,
                                              FaultKind::kKill,
                                              FaultKind::kKill,
                                              FaultKind::kStop,
                                              FaultKind::kStop,
                                              FaultKind::kTerm,
                                              FaultKind::kTerm,
                                              FaultKind::kDirector};
    return kWeighted[pick(std::size(kWeighted))];
  }

 private:
  std::mt19937_64 rng_;
};

// The fault a gap belongs to: the latest one that happened (within `slack`) between the
// gap's last token before and first token after, and hit the gap's worker (or the
// director, for a resume). "none (<cause>)" if no fault explains it.
std::string attribute(const Gap& gap, const std::vector<Fault>& faults, Duration slack);

}  // namespace connswap::soak
