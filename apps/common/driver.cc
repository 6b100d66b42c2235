#include "common/driver.h"

namespace connswap::app {

Driver::Driver(net::Loop& loop)
    : loop_(loop),
      timers_(loop, [this](std::uint64_t key, Timestamp now) { on_expired(key, now); }) {}

void Driver::add(std::function<Timestamp()> deadline, std::function<void(Timestamp)> on_timeout) {
  tasks_.push_back({std::move(deadline), std::move(on_timeout)});
}

void Driver::every(Duration period, std::function<void(Timestamp)> fn) {
  Task task;
  task.fire = std::move(fn);
  task.period = period;
  task.next = loop_.now() + period;
  tasks_.push_back(std::move(task));
}

void Driver::sync() {
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    const Task& t = tasks_[i];
    timers_.schedule(i, t.period != 0 ? t.next : t.deadline());
  }
}

void Driver::on_expired(std::uint64_t key, Timestamp now) {
  Task& t = tasks_[key];
  if (t.period != 0) {
    t.next = now + t.period;
  }
  t.fire(now);
  sync();
}

void Driver::run() {
  // Loop::run_until checks its predicate after every handler: the place to re-read the
  // services' deadlines. A handler that calls loop.stop() ends it.
  constexpr Duration kForever = 100ULL * 365 * 24 * 3600 * kSecond;
  sync();
  while (!loop_.stopped()) {
    (void)loop_.run_until(
        [this] {
          sync();
          return false;
        },
        kForever);
  }
}

}  // namespace connswap::app
