#pragma once
// Drives sans-IO services on a net::Loop: each service's deadline() is re-read after every
// loop handler (any RPC event may move it) and its on_timeout(now) runs when it passes.
// Plus periodic tasks (metrics refresh). Loop thread only.

#include <cstdint>
#include <functional>
#include <vector>

#include "base/time.h"
#include "net/loop.h"
#include "net/timer_queue.h"

namespace connswap::app {

class Driver {
 public:
  explicit Driver(net::Loop& loop);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // A service: `deadline()` says when `on_timeout(now)` must next run (kNever: not now).
  void add(std::function<Timestamp()> deadline, std::function<void(Timestamp)> on_timeout);
  // Runs `fn(now)` every `period` (first after one period).
  void every(Duration period, std::function<void(Timestamp)> fn);

  // Re-arms every service at its deadline (cheap when nothing moved earlier).
  void sync();
  // Runs the loop until loop.stop(), syncing after every handler.
  void run();

 private:
  struct Task {
    std::function<Timestamp()> deadline;
    std::function<void(Timestamp)> fire;
    Duration period = 0;  // periodic tasks
    Timestamp next = kNever;
  };
  void on_expired(std::uint64_t key, Timestamp now);

  net::Loop& loop_;
  std::vector<Task> tasks_;
  net::TimerQueue timers_;
};

}  // namespace connswap::app
