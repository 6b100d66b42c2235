#include "worker/token_schedule.h"

namespace connswap::worker {

TokenSchedule::TokenSchedule(std::uint64_t start_seq,
                             std::uint32_t max_tokens,
                             Duration interval,
                             Timestamp now,
                             Duration first_delay)
    : next_seq_(start_seq), max_tokens_(max_tokens), interval_(interval), due_(now + first_delay) {}

bool TokenSchedule::done() const {
  return max_tokens_ != 0 && next_seq_ > max_tokens_;
}

Timestamp TokenSchedule::deadline() const {
  return done() ? kNever : due_;
}

std::optional<std::uint64_t> TokenSchedule::poll(Timestamp now) {
  if (done() || now < due_) {
    return std::nullopt;
  }
  // Drift-free pacing while on time; re-anchor when a whole interval late (no bursts).
  const Timestamp next_due = due_ + interval_;
  due_ = next_due <= now && interval_ != 0 ? now + interval_ : next_due;
  ++emitted_;
  return next_seq_++;
}

}  // namespace connswap::worker
