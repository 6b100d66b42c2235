// DirectorService: worker calls started in batches (issue 18; StreamLimits::replace_batch).
// A failover re-places every stream of the failed worker in one core turn: 1,000 requests,
// each with its prefix (~2.5 KB), were encoded before the first left, and the new worker
// got them all at once. With a batch size the binding starts at most that many calls per
// turn and queues the rest in order; deadline() is then now, so the owner flushes the
// batch's datagrams before on_timeout() starts the next. The core is not told: to it the
// attempts started when it asked (its stall and first-token clocks run from then).

#include <algorithm>
#include <utility>

#include "services/detail/director_impl.h"

namespace connswap::services {

void DirectorService::Impl::start_or_queue(director::StartAttempt& a) {
  const std::size_t batch = limits_.replace_batch;
  if (batch != 0 && (!queued_starts_.empty() || turn_starts_ >= batch)) {
    ++extra_.starts_deferred;
    queued_starts_.push_back(std::move(a));
    start_deadline_ = std::min(start_deadline_, now_());
    return;
  }
  ++turn_starts_;
  start_attempt(a);
}

// Starts the next batch of queued calls, oldest first. An attempt the core has forgotten
// meanwhile (its stream finished or was cancelled, or it failed) is dropped unstarted.
void DirectorService::Impl::start_queued(Timestamp now) {
  if (start_deadline_ > now) {
    return;
  }
  start_deadline_ = kNever;
  const std::size_t batch = std::max<std::size_t>(limits_.replace_batch, 1);
  while (!queued_starts_.empty() && turn_starts_ < batch) {
    director::StartAttempt a = std::move(queued_starts_.front());
    queued_starts_.pop_front();
    if (core_.router().worker_of(a.attempt) == nullptr) {
      continue;
    }
    ++turn_starts_;
    start_attempt(a);
  }
  if (!queued_starts_.empty()) {
    start_deadline_ = now;  // the next turn, after this batch is sent
  }
}

// A CancelAttempt for a call not started yet: drop it from the queue. False if not queued.
bool DirectorService::Impl::unqueue(director::AttemptId attempt) {
  auto it = std::find_if(
      queued_starts_.begin(), queued_starts_.end(), [attempt](const director::StartAttempt& a) {
        return a.attempt == attempt;
      });
  if (it == queued_starts_.end()) {
    return false;
  }
  queued_starts_.erase(it);
  if (queued_starts_.empty()) {
    start_deadline_ = kNever;
  }
  return true;
}

void DirectorService::Impl::end_turn_starts() {
  extra_.max_turn_starts = std::max<std::uint64_t>(extra_.max_turn_starts, turn_starts_);
  turn_starts_ = 0;
}

}  // namespace connswap::services
