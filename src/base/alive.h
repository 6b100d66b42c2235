#pragma once
// The one spelling of "is my owner still alive" for deferred work: a handler already queued
// on a loop (an asio completion, a posted task, a connection callback) can run after its
// owner is destroyed, so it captures weak() and does nothing once expired(). shared_ptr is
// used here only as that flag (STYLE.md 2.4 exception, explained).

#include <memory>

namespace connswap {

class Alive {
 public:
  std::weak_ptr<const int> weak() const { return flag_; }

 private:
  std::shared_ptr<const int> flag_ = std::make_shared<const int>(0);
};

}  // namespace connswap
