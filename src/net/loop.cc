#include "net/loop.h"

#include <chrono>

#include <asio.hpp>

namespace connswap::net {

Timestamp clock_now() {
  return to_duration(std::chrono::steady_clock::now().time_since_epoch());
}

struct Loop::Signals {
  explicit Signals(asio::io_context& io) : set(io) {}
  asio::signal_set set;
  std::function<void(int)> callback;

  void wait() {
    set.async_wait([this](const asio::error_code& ec, int signo) {
      if (ec) {
        return;  // cancelled: the loop is being destroyed
      }
      if (callback) {
        callback(signo);
      }
      wait();
    });
  }
};

Loop::Loop() : io_(std::make_unique<asio::io_context>(1)) {
  refresh_now();
}

Loop::~Loop() {
  if (signals_) {
    asio::error_code ec;
    signals_->set.cancel(ec);
  }
  // Destroy pending handlers while the members they may reference still exist.
  signals_.reset();
  io_.reset();
}

Timestamp Loop::refresh_now() {
  now_ = clock_now();
  return now_;
}

void Loop::post(std::function<void()> fn) {
  asio::post(*io_, std::move(fn));
}

void Loop::run() {
  if (stopped_) {
    return;
  }
  auto guard = asio::make_work_guard(*io_);
  io_->restart();
  io_->run();  // throws only if a handler throws; ours don't
}

bool Loop::run_until(const std::function<bool()>& done, Duration timeout) {
  auto guard = asio::make_work_guard(*io_);
  const auto deadline = std::chrono::steady_clock::now() + to_chrono(timeout);
  stopped_ = false;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return false;
    }
    if (io_->stopped()) {
      io_->restart();
    }
    io_->run_one_for(deadline - now);
    if (stopped_) {
      return done();  // a handler called stop(): give control back
    }
  }
  return true;
}

void Loop::stop() {
  stopped_ = true;
  io_->stop();
}

void Loop::on_stop_signal(std::function<void(int)> callback) {
  if (!signals_) {
    signals_ = std::make_unique<Signals>(*io_);
    asio::error_code ec;
    signals_->set.add(SIGINT, ec);
    signals_->set.add(SIGTERM, ec);
    signals_->wait();
  }
  signals_->callback = std::move(callback);
}

}  // namespace connswap::net
