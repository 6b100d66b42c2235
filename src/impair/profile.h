#pragma once
// What an impaired link does to each datagram (one direction): loss, delay with jitter,
// reordering, duplication and a rate limit with a bounded queue. Plain data, validated.

#include <cstdint>

#include "base/error.h"
#include "base/time.h"

namespace connswap::impair {

struct Profile {
  double loss = 0.0;       // probability a datagram is dropped (0..1)
  Duration delay = 0;      // one-way propagation delay
  Duration jitter = 0;     // each datagram's delay is uniform in delay +- jitter (<= delay)
  double reorder = 0.0;    // probability a datagram skips the delay (overtakes the queue)
  double duplicate = 0.0;  // probability a datagram is sent twice (each copy delayed alone)
  std::uint64_t rate_bytes_per_s = 0;   // serialization rate; 0 = unlimited
  std::uint64_t queue_bytes = 1 << 20;  // rate limit backlog; beyond it tail drop
};

// kInvalidArgument naming the field: probabilities outside [0, 1], jitter > delay, or a
// rate limit with a zero queue.
Result<void> validate(const Profile& profile);

}  // namespace connswap::impair
