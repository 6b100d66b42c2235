#pragma once
// Prometheus metrics for the programs: an HTTP /metrics endpoint (prometheus-cpp Exposer,
// its own threads) over one prometheus::Registry. Values are set from the loop thread by a
// periodic timer reading the services' stats(); prometheus-cpp metrics are thread-safe.

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "base/error.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace connswap::app {

class MetricsServer {
 public:
  // Serves /metrics on `address` ("127.0.0.1:9100"; port 0 picks a free port).
  // kInvalidArgument for an unparsable address, kIo when it cannot bind.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& address);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  prometheus::Registry& registry() { return *registry_; }
  // The bound address, with the actual port ("127.0.0.1:40123").
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

// Moves a prometheus counter up to the cumulative `total` (stats counters only grow).
void advance_to(prometheus::Counter& counter, double total);

}  // namespace connswap::app
