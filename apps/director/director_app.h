#pragma once
// connswap-director wired together: DirectorService on one net::Loop, rpcnet Servers on
// USER (Director/Generate) and MGMT (Registry/*, mTLS-guarded), a WorkerChannels pool to
// the workers, the service timer, and optional Prometheus metrics.

#include <memory>

#include "base/error.h"
#include "common/director_options.h"
#include "common/driver.h"
#include "common/http_metrics.h"
#include "common/metrics.h"
#include "common/mgmt_auth.h"
#include "common/ready_file.h"
#include "common/role_metrics.h"
#include "director/http_front.h"
#include "director/worker_channels.h"
#include "net/loop.h"
#include "rpc/registry.h"
#include "rpcnet/server.h"
#include "services/director_service.h"

namespace connswap::app {

class DirectorApp {
 public:
  // Binds everything. kInvalidArgument for bad configuration (TLS files, addresses), kIo
  // when a port cannot be bound.
  static Result<std::unique_ptr<DirectorApp>> start(net::Loop& loop, const DirectorArgs& args);
  ~DirectorApp();
  DirectorApp(const DirectorApp&) = delete;
  DirectorApp& operator=(const DirectorApp&) = delete;

  // user=, mgmt=, metrics= (when on), pid=: the actual bound addresses.
  ReadyFields ready_fields() const;
  // Runs until stop() (or a signal) and returns the exit status.
  int run();
  // Ends every client stream UNAVAILABLE, closes the listeners and connections, and makes
  // run() return once that is flushed. Idempotent.
  void stop();

 private:
  DirectorApp(net::Loop& loop, const DirectorArgs& args);
  // Builds the service and the worker pool, then binds USER, MGMT and metrics.
  Result<void> build_and_listen();
  void update_metrics();  // from the services' and the HTTP front's stats
  // --http-tls: the USER port's certificate; with --http-status operator the MGMT port's
  // credentials (same certificate, plus the cluster CA to verify client certificates).
  // nullptr: plain HTTP.
  void* http_tls_credentials() const;

  net::Loop& loop_;
  DirectorArgs args_;
  std::shared_ptr<const quic::TlsContext> user_tls_, mgmt_tls_, client_tls_;
  Bytes reset_secret_;
  std::unique_ptr<WorkerChannels> workers_;
  rpc::Registry user_, mgmt_inner_, mgmt_;
  AuthRefusals auth_refusals_;  // the MGMT guard's refusals (metrics)
  std::unique_ptr<services::DirectorService> service_;
  std::unique_ptr<rpcnet::Server> user_server_, mgmt_server_;
  std::unique_ptr<HttpFront> http_;  // --http-addr
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<DirectorMetrics> metrics_;
  std::unique_ptr<AuthMetrics> auth_metrics_;
  std::unique_ptr<HttpMetrics> http_metrics_;  // with --http-addr
  Driver driver_;
  bool stopping_ = false;
};

}  // namespace connswap::app
