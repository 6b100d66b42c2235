#pragma once
// The event loop: one asio::io_context per thread, the clock read once per turn, posted
// work and stop signals. Everything in src/net runs on one Loop and is not thread-safe.

#include <functional>
#include <memory>

#include "base/time.h"

namespace asio {
class io_context;
}  // namespace asio

namespace connswap::net {

// Reads CLOCK_MONOTONIC (std::chrono::steady_clock), the clock quic::Timestamp uses.
Timestamp clock_now();

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  asio::io_context& context() { return *io_; }

  // The time of the current turn. Every src/net handler calls refresh_now() once on entry,
  // so all work done in one turn sees the same `now`.
  Timestamp now() const { return now_; }
  Timestamp refresh_now();

  // Runs `fn` on this loop later (never inline). Safe to call from loop handlers only.
  void post(std::function<void()> fn);

  // Runs handlers until stop(); returns at once if stop() was already called.
  void run();
  // Runs handlers until `done()` is true (checked after every handler) or `timeout` passed.
  // Returns done(). For tests and tools that wait on an outcome with a bounded budget.
  bool run_until(const std::function<bool()>& done, Duration timeout);
  // Makes run() return after the current handler. Idempotent.
  void stop();
  bool stopped() const { return stopped_; }

  // Calls `callback(signo)` on SIGINT or SIGTERM (and keeps listening). One callback per
  // loop; a second call replaces it. The process-wide default action is suppressed.
  void on_stop_signal(std::function<void(int)> callback);

 private:
  struct Signals;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<Signals> signals_;
  Timestamp now_ = 0;
  bool stopped_ = false;
};

}  // namespace connswap::net
