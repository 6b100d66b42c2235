#include "common/metrics.h"

#include <exception>

#include <prometheus/exposer.h>

#include "base/address.h"

namespace connswap::app {

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address) {
  auto parsed = Address::parse(address);
  if (!parsed) {
    return make_error(Errc::kInvalidArgument,
                      "--metrics-addr '" + address + "': " + parsed.error().detail);
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->registry_ = std::make_shared<prometheus::Registry>();
  // Control plane: civetweb reports bind failures by throwing; turn that into an Error.
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(parsed->to_string(), 1);
  } catch (const std::exception& e) {
    return make_error(Errc::kIo,
                      "cannot serve metrics on " + address + " (port in use?): " + e.what());
  }
  server->exposer_->RegisterCollectable(server->registry_);
  const auto ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return make_error(Errc::kIo, "metrics endpoint " + address + ": not listening");
  }
  parsed->set_port(static_cast<std::uint16_t>(ports.front()));
  server->address_ = parsed->to_string();
  return server;
}

MetricsServer::~MetricsServer() = default;

void advance_to(prometheus::Counter& counter, double total) {
  const double now = counter.Value();
  if (total > now) {
    counter.Increment(total - now);
  }
}

}  // namespace connswap::app
