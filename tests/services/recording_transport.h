#pragma once
// The HTTP front's connection as a front::HttpSession sees it, for tests over the in-memory
// World: records what the session writes, pretends bytes are queued, runs deferred calls
// when the test says so. Shared by http_front_test and status_test.

#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "base/peer_roles.h"
#include "front/transport.h"
#include "services/world.h"

namespace connswap::services::testing {

class RecordingTransport final : public front::Transport {
 public:
  explicit RecordingTransport(World& world) : world_(world) {}
  void write(std::string_view bytes) override { out += bytes; }
  std::size_t queued() const override { return queued_bytes; }
  void set_reading(bool on) override { reading = on; }
  void close() override { closed = true; }
  void set_deadline(Timestamp at) override { deadline = at; }
  void defer(std::function<void()> fn) override { deferred.push_back(std::move(fn)); }
  Timestamp now() const override { return world_.now; }
  RoleSet peer_roles() const override { return roles; }

  // Runs the deferred calls (and those they defer) in order.
  void run_deferred() {
    while (!deferred.empty()) {
      auto fn = std::move(deferred.front());
      deferred.pop_front();
      fn();
    }
  }

  std::string out;
  std::size_t queued_bytes = 0;  // what the test pretends the kernel has not taken yet
  bool reading = true;
  bool closed = false;
  Timestamp deadline = 0;
  std::deque<std::function<void()>> deferred;
  RoleSet roles;  // of the client's certificate, as --http-tls would have verified it

 private:
  World& world_;
};

}  // namespace connswap::services::testing
