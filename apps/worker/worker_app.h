#pragma once
// connswap-worker wired together: WorkerService on USER (Worker/Generate) and MGMT
// (WorkerAdmin/Health), one RegistrationClient over a DirectorChannel per director MGMT
// address (--director-mgmt-addr A,B registers with both), the services' timers, the simulated
// failure executed for real (crash: the process exits at once), drain on SIGTERM/SIGINT, and
// optional Prometheus metrics.

#include <memory>
#include <vector>

#include "base/error.h"
#include "common/driver.h"
#include "common/metrics.h"
#include "common/mgmt_auth.h"
#include "common/ready_file.h"
#include "common/role_metrics.h"
#include "common/worker_options.h"
#include "net/http_client.h"
#include "net/loop.h"
#include "rpc/registry.h"
#include "rpcnet/server.h"
#include "services/registration_client.h"
#include "services/worker_service.h"
#include "worker/director_channel.h"

namespace connswap::app {

// Exit status of a simulated crash (--fail-mode crash): std::_Exit, no cleanup.
inline constexpr int kExitCrash = 3;

class WorkerApp {
 public:
  // Binds everything and starts registering. kInvalidArgument for bad configuration (TLS
  // files, addresses), kIo when a port cannot be bound.
  static Result<std::unique_ptr<WorkerApp>> start(net::Loop& loop, const WorkerArgs& args);
  ~WorkerApp();
  WorkerApp(const WorkerApp&) = delete;
  WorkerApp& operator=(const WorkerApp&) = delete;

  ReadyFields ready_fields() const;  // user=, mgmt=, metrics= (when on), pid=
  // Runs until drained or stopped; returns the exit status.
  int run();
  // First call: drain (refuse new streams, tell the director, exit once the streams are
  // gone or after --drain-timeout-ms). Second call: stop at once.
  void on_signal(int signo);

 private:
  WorkerApp(net::Loop& loop, const WorkerArgs& args);
  Result<void> listen();
  Result<void> add_user_methods();
  Result<void> start_metrics();
  std::unique_ptr<worker::TokenSource> make_source();
  void start_services();
  Timestamp drain_deadline() const;
  void check_drained(Timestamp now);
  void shutdown(int status);
  // Every director acknowledged the drain, or is not reachable (nobody to tell).
  bool drain_told() const;
  services::RegistrationStats registration_stats() const;  // summed over the directors

  net::Loop& loop_;
  WorkerArgs args_;
  std::shared_ptr<const quic::TlsContext> server_tls_, client_tls_;
  std::shared_ptr<const quic::TlsContext> user_tls_;  // asks for client certificates
  AuthRefusals auth_refusals_;                        // the USER guard's refusals
  Bytes reset_secret_;
  rpc::Registry user_inner_, user_, mgmt_;         // user_: user_inner_ behind the role guard
  std::unique_ptr<MetricsServer> metrics_server_;  // before what observes into its registry
  // The model server (--backend openai): declared before service_, which owns the source
  // that uses them, so they outlive it.
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<BackendMetrics> backend_metrics_;
  worker::OpenAISource* backend_ = nullptr;  // owned by service_
  bool told_available_ = false;  // the backend's availability the directors last heard of
  std::unique_ptr<services::WorkerService> service_;
  std::unique_ptr<rpcnet::Server> user_server_, mgmt_server_;
  std::vector<std::unique_ptr<DirectorChannel>> directors_;  // one per director MGMT address
  std::vector<std::unique_ptr<services::RegistrationClient>> registrations_;  // same order
  std::unique_ptr<WorkerMetrics> metrics_;
  std::unique_ptr<AuthMetrics> auth_metrics_;
  Driver driver_;
  int signals_ = 0;
  Timestamp drain_until_ = kNever;  // set by the first signal
  Timestamp next_drain_check_ = kNever;
  bool stopping_ = false;
  int exit_status_ = 0;
};

}  // namespace connswap::app
