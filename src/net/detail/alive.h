#pragma once
// A liveness flag for asio completion handlers. A handler already queued on the io_context
// can run after its owner is destroyed (asio cancels only waits that are still pending), so
// handlers capture a weak reference and do nothing once the owner is gone. shared_ptr is
// used here only as that flag (STYLE.md 2.4 exception, explained).

#include <memory>

namespace connswap::net::detail {

class Alive {
 public:
  std::weak_ptr<const int> weak() const { return flag_; }

 private:
  std::shared_ptr<const int> flag_ = std::make_shared<const int>(0);
};

}  // namespace connswap::net::detail
