#include "director/director_app.h"

#include <array>
#include <chrono>
#include <fstream>
#include <string_view>

#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "common/mgmt_auth.h"
#include "common/serve.h"
#include "common/tls_files.h"
#include "migration/keys.h"

namespace connswap::app {
namespace {

spdlog::logger& logger() {
  return log::get("director");
}

// Every MGMT method needs a cluster certificate with a role: the Registry the worker role,
// the Migration admin service the operator role (docs/RELIABILITY.md §5).
constexpr std::array<GuardedMethod, 6> kGuarded = {{
    {services::kRegistryRegister, PeerRole::kWorker},
    {services::kRegistryHeartbeat, PeerRole::kWorker},
    {services::kRegistryDrain, PeerRole::kWorker},
    {services::kMigrationDrainWorker, PeerRole::kOperator},
    {services::kMigrationMoveStream, PeerRole::kOperator},
    {services::kMigrationListSessions, PeerRole::kOperator},
}};
constexpr Duration kMetricsPeriod = 1 * kSecond;

// Wall-clock Unix seconds, for resume tokens and snapshots (read here, never in src/).
migration::UnixSeconds unix_now() {
  return static_cast<migration::UnixSeconds>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Reads the cluster key file and turns resume tickets on. kInvalidArgument names the file.
Result<void> enable_resume(services::DirectorService& service, const DirectorArgs& args) {
  const std::string& path = args.cluster_key_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::kInvalidArgument, "--cluster-key-file: cannot read " + path);
  }
  if (struct stat st{}; ::stat(path.c_str(), &st) == 0) {
    if (auto warning = migration::key_file_mode_warning(path, st.st_mode); !warning.empty()) {
      logger().warn("cluster_key_file={}: ⚠️  {}", path, warning);
    }
  }
  std::string text(migration::kMaxKeyFileSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > migration::kMaxKeyFileSize) {
    return make_error(Errc::kInvalidArgument, "--cluster-key-file: " + path + " is over 1 MiB");
  }
  auto keyring = migration::load_keyring(text);
  if (!keyring) {
    return make_error(Errc::kInvalidArgument,
                      "--cluster-key-file: " + path + ": " + keyring.error().detail);
  }
  logger().info("cluster_key_file={} keys={} current={}: 🎫 resume tickets on",
                path,
                keyring->size(),
                keyring->current().id);
  service.enable_resume(std::move(*keyring), args.resume, unix_now);
  return {};
}

}  // namespace

DirectorApp::DirectorApp(net::Loop& loop, const DirectorArgs& args)
    : loop_(loop), args_(args), driver_(loop) {}

DirectorApp::~DirectorApp() {
  if (service_) {
    service_->stop();  // before the Sessions (servers, channels) go
  }
}

void* DirectorApp::http_tls_credentials() const {
  if (!args_.http.tls) {
    return nullptr;
  }
  return args_.http.config.status.access == front::StatusAccess::kOperator
             ? mgmt_tls_->credentials()
             : user_tls_->credentials();
}

Result<std::unique_ptr<DirectorApp>> DirectorApp::start(net::Loop& loop, const DirectorArgs& args) {
  std::unique_ptr<DirectorApp> app(new DirectorApp(loop, args));
  const TlsFiles& files = args.common.tls;
  CONNSWAP_TRY(check_tls_files(files));
  auto user_tls = make_server_tls(files, ClientAuth::kNone);
  auto mgmt_tls = make_server_tls(files, ClientAuth::kOptional);
  auto client_tls = make_client_tls(files, /*present_cert=*/true);
  auto secret = reset_secret(files);
  for (const Error* e : {user_tls ? nullptr : &user_tls.error(),
                         mgmt_tls ? nullptr : &mgmt_tls.error(),
                         client_tls ? nullptr : &client_tls.error(),
                         secret ? nullptr : &secret.error()}) {
    if (e != nullptr) {
      return make_error(Errc::kInvalidArgument, "TLS: " + e->message());
    }
  }
  app->user_tls_ = *user_tls;
  app->mgmt_tls_ = *mgmt_tls;
  app->client_tls_ = *client_tls;
  app->reset_secret_ = *secret;
  CONNSWAP_TRY(app->build_and_listen());
  return app;
}

Result<void> DirectorApp::build_and_listen() {
  quic::TransportSettings to_workers;
  to_workers.keepalive = args_.config.worker_keepalive;
  apply_worker_window(args_.queues, to_workers);
  workers_ = std::make_unique<WorkerChannels>(
      loop_, client_tls_, to_workers, args_.limits.worker_connections);
  service_ = std::make_unique<services::DirectorService>(
      args_.config, *workers_, [this] { return loop_.now(); });
  if (!args_.cluster_key_file.empty()) {
    CONNSWAP_TRY(enable_resume(*service_, args_));
  }
  CONNSWAP_TRY(service_->add_user_methods(user_));
  CONNSWAP_TRY(service_->add_mgmt_methods(mgmt_inner_));
  CONNSWAP_TRY(add_guarded(mgmt_inner_, mgmt_, kGuarded, &auth_refusals_));

  service_->set_stream_limits(stream_limits(args_.limits));
  ServeLimits user_limits = user_port_limits(args_.limits);
  apply_send_queue(args_.queues, user_limits);
  auto user =
      serve(loop_, args_.config.user_addr, user_tls_, reset_secret_, user_, {}, user_limits);
  if (!user) {
    return Unexpected(std::move(user).error());
  }
  user_server_ = std::move(*user);
  rpcnet::ConnectionHooks hooks;
  hooks.on_open = [](const rpcnet::ConnectionInfo& info) {
    logger().info("peer={} conn={} client_certificate={} roles={}: MGMT connection",
                  info.peer.to_string(),
                  info.id,
                  info.client_certificate,
                  to_string(info.roles));
  };
  auto mgmt = serve(loop_, args_.config.mgmt_addr, mgmt_tls_, reset_secret_, mgmt_, hooks);
  if (!mgmt) {
    return Unexpected(std::move(mgmt).error());
  }
  mgmt_server_ = std::move(*mgmt);
  if (!args_.http.addr.empty()) {
    auto http = HttpFront::start(loop_, *service_, args_.http, http_tls_credentials());
    if (!http) {
      return Unexpected(std::move(http).error());
    }
    http_ = std::move(*http);
  }

  if (!args_.common.metrics_addr.empty()) {
    auto metrics = MetricsServer::start(args_.common.metrics_addr);
    if (!metrics) {
      return Unexpected(std::move(metrics).error());
    }
    metrics_server_ = std::move(*metrics);
    metrics_ = std::make_unique<DirectorMetrics>(metrics_server_->registry());
    auth_metrics_ = std::make_unique<AuthMetrics>(metrics_server_->registry());
    service_->on_failover_gap([m = metrics_.get()](Duration gap) { m->observe_gap(gap); });
    if (http_) {
      http_metrics_ = std::make_unique<HttpMetrics>(metrics_server_->registry());
    }
    driver_.every(kMetricsPeriod, [this](Timestamp) { update_metrics(); });
  }
  driver_.add([this] { return service_->deadline(); },
              [this](Timestamp now) { service_->on_timeout(now); });
  return {};
}

void DirectorApp::update_metrics() {
  const services::DirectorStats stats = service_->stats();
  metrics_->update(stats);
  metrics_->update_listener(user_server_->endpoint_stats(), user_server_->listener_connections());
  auth_metrics_->update(auth_refusals_, stats.labels_refused);
  if (http_metrics_) {
    http_metrics_->update(http_->stats(),
                          {http_->connections(), http_->accepted(), http_->refused()});
  }
}

ReadyFields DirectorApp::ready_fields() const {
  ReadyFields fields = {{"user", user_server_->local_address().to_string()},
                        {"mgmt", mgmt_server_->local_address().to_string()}};
  if (http_) {
    fields.emplace_back("http", http_->local().to_string());
  }
  if (metrics_server_) {
    fields.emplace_back("metrics", metrics_server_->address());
  }
  fields.emplace_back("pid", std::to_string(::getpid()));
  return fields;
}

int DirectorApp::run() {
  loop_.on_stop_signal([this](int signo) {
    logger().info("signal={}: 🛑 shutting down", signo);
    stop();
  });
  logger().info("user_addr={} mgmt_addr={} http_addr={}: 🚀 director ready",
                user_server_->local_address().to_string(),
                mgmt_server_->local_address().to_string(),
                http_ ? http_->local().to_string() : std::string("off"));
  driver_.run();
  return 0;
}

void DirectorApp::stop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  service_->stop();  // client streams end UNAVAILABLE; worker calls are cancelled
  if (metrics_) {
    update_metrics();
  }
  // Each step is posted behind the connections' flushes: first the UNAVAILABLE trailers
  // and resets go out, then the CONNECTION_CLOSEs, then the loop ends.
  loop_.post([this] {
    if (http_) {
      http_->stop();
    }
    user_server_->stop();
    mgmt_server_->stop();
    workers_->close_all();
    loop_.post([this] { loop_.stop(); });
  });
}

}  // namespace connswap::app
