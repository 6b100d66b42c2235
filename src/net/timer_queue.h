#pragma once
// Deadlines for many connections on one asio timer. Each key has at most one deadline.
// The kernel timer is re-armed only when the earliest deadline moves EARLIER (re-arming is
// a timerfd_settime syscall; ngtcp2 moves deadlines on every write). Waking up early is
// harmless: due keys fire, the rest are re-armed.

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

#include "base/alive.h"
#include "base/time.h"
#include "net/loop.h"

namespace connswap::net {

class TimerQueue {
 public:
  using Key = std::uint64_t;
  // `on_expired(key, now)` runs for every key whose deadline passed. It may schedule().
  TimerQueue(Loop& loop, std::function<void(Key, Timestamp)> on_expired);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Sets (or moves) the deadline of `key`; kNever removes it.
  void schedule(Key key, Timestamp deadline);
  void cancel(Key key) { schedule(key, kNever); }
  std::size_t size() const { return by_key_.size(); }
  std::uint64_t rearm_count() const { return rearms_; }  // kernel timer programmings

 private:
  struct Impl;
  void arm(Timestamp at);
  void on_fire();

  Loop& loop_;
  std::unique_ptr<Impl> impl_;
  std::function<void(Key, Timestamp)> on_expired_;
  std::set<std::pair<Timestamp, Key>> queue_;
  std::unordered_map<Key, Timestamp> by_key_;
  Timestamp armed_ = kNever;  // when the asio timer fires; kNever = not armed
  std::uint64_t rearms_ = 0;
  Alive alive_;
};

}  // namespace connswap::net
