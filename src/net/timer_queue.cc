#include "net/timer_queue.h"

#include <chrono>
#include <vector>

#include <asio.hpp>

namespace connswap::net {

struct TimerQueue::Impl {
  explicit Impl(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

TimerQueue::TimerQueue(Loop& loop, std::function<void(Key, Timestamp)> on_expired)
    : loop_(loop),
      impl_(std::make_unique<Impl>(loop.context())),
      on_expired_(std::move(on_expired)) {}

// Destroying the steady_timer cancels its pending wait (the handler sees operation_aborted)
// through asio's non-throwing path; an explicit cancel() could throw from this destructor.
TimerQueue::~TimerQueue() = default;

void TimerQueue::schedule(Key key, Timestamp deadline) {
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    if (it->second == deadline) {
      return;
    }
    queue_.erase({it->second, key});
    if (deadline == kNever) {
      by_key_.erase(it);
      return;  // the armed timer may now fire early: harmless
    }
    it->second = deadline;
  } else {
    if (deadline == kNever) {
      return;
    }
    by_key_.emplace(key, deadline);
  }
  queue_.emplace(deadline, key);
  if (deadline < armed_) {
    arm(deadline);
  }
}

void TimerQueue::arm(Timestamp at) {
  armed_ = at;
  ++rearms_;
  // steady_clock is CLOCK_MONOTONIC, the clock Timestamp counts on.
  impl_->timer.expires_at(std::chrono::steady_clock::time_point(to_chrono(at)));
  impl_->timer.async_wait([this, alive = alive_.weak()](const asio::error_code& ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) {
      return;  // owner gone, or superseded by a newer arm()
    }
    on_fire();
  });
}

void TimerQueue::on_fire() {
  armed_ = kNever;
  const Timestamp now = loop_.refresh_now();
  std::vector<Key> due;
  while (!queue_.empty() && queue_.begin()->first <= now) {
    due.push_back(queue_.begin()->second);
    by_key_.erase(queue_.begin()->second);
    queue_.erase(queue_.begin());
  }
  auto alive = alive_.weak();
  for (Key key : due) {
    on_expired_(key, now);
    if (alive.expired()) {
      return;  // a callback destroyed us
    }
  }
  if (!queue_.empty() && queue_.begin()->first < armed_) {
    arm(queue_.begin()->first);
  }
}

}  // namespace connswap::net
