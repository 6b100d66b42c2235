#pragma once
// Pacing of one worker stream: which sequence number comes next and when it is due.

#include <cstdint>
#include <optional>

#include "base/time.h"

namespace connswap::worker {

// Emits sequence numbers start_seq..max_tokens (inclusive; max_tokens == 0 = unbounded),
// the first one `first_delay` after `now` (0: immediately) and then one per `interval` (0 =
// unpaced: always due). If the caller falls behind by a whole interval, pacing restarts
// from `now` instead of bursting.
class TokenSchedule {
 public:
  TokenSchedule(std::uint64_t start_seq,
                std::uint32_t max_tokens,
                Duration interval,
                Timestamp now,
                Duration first_delay = 0);

  // All sequence numbers have been emitted.
  bool done() const;
  // The sequence number poll() returns next.
  std::uint64_t next_seq() const { return next_seq_; }
  // Number of sequence numbers emitted so far.
  std::uint64_t emitted() const { return emitted_; }
  // When next_seq() is due; kNever once done().
  Timestamp deadline() const;
  // Returns next_seq() and advances if it is due at `now`; std::nullopt otherwise.
  std::optional<std::uint64_t> poll(Timestamp now);
  // The spacing between the next token poll() emits and the one after it (a jittered
  // source sets it before each poll); the current deadline() does not move.
  void set_interval(Duration interval) { interval_ = interval; }

 private:
  std::uint64_t next_seq_;
  std::uint32_t max_tokens_;
  Duration interval_;
  Timestamp due_;
  std::uint64_t emitted_ = 0;
};

}  // namespace connswap::worker
