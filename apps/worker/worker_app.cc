#include "worker/worker_app.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

#include "base/log.h"
#include "common/serve.h"
#include "common/tls_files.h"
#include "services/common.h"

namespace connswap::app {
namespace {

spdlog::logger& logger() {
  return log::get("worker");
}

constexpr Duration kMetricsPeriod = 1 * kSecond;
constexpr Duration kDrainPoll = 50 * kMillisecond;

}  // namespace

WorkerApp::WorkerApp(net::Loop& loop, const WorkerArgs& args)
    : loop_(loop), args_(args), driver_(loop) {}

WorkerApp::~WorkerApp() {
  for (auto& r : registrations_) {
    r->stop();
  }
  if (service_) {
    service_->stop();
  }
}

Result<std::unique_ptr<WorkerApp>> WorkerApp::start(net::Loop& loop, const WorkerArgs& args) {
  std::unique_ptr<WorkerApp> app(new WorkerApp(loop, args));
  const TlsFiles& files = args.common.tls;
  CONNSWAP_TRY(check_tls_files(files));
  auto server_tls = make_server_tls(files, ClientAuth::kNone);
  // USER asks callers for a certificate and the guard wants the director role, unless
  // --allow-any-client (docs/RELIABILITY.md §5).
  auto user_tls =
      make_server_tls(files, args.allow_any_client ? ClientAuth::kNone : ClientAuth::kOptional);
  auto client_tls = make_client_tls(files, /*present_cert=*/true);
  auto secret = reset_secret(files);
  for (const Error* e : {server_tls ? nullptr : &server_tls.error(),
                         user_tls ? nullptr : &user_tls.error(),
                         client_tls ? nullptr : &client_tls.error(),
                         secret ? nullptr : &secret.error()}) {
    if (e != nullptr) {
      return make_error(Errc::kInvalidArgument, "TLS: " + e->message());
    }
  }
  app->server_tls_ = *server_tls;
  app->user_tls_ = *user_tls;
  app->client_tls_ = *client_tls;
  app->reset_secret_ = *secret;
  CONNSWAP_TRY(app->listen());
  app->start_services();
  return app;
}

// --backend openai: the model server's source on a libcurl client; else null (the
// service's synthetic source).
std::unique_ptr<worker::TokenSource> WorkerApp::make_source() {
  if (args_.backend != Backend::kOpenAI) {
    return nullptr;
  }
  http_ = std::make_unique<net::HttpClient>(loop_);
  if (metrics_server_) {
    backend_metrics_ = std::make_unique<BackendMetrics>(metrics_server_->registry());
  }
  auto source =
      std::make_unique<worker::OpenAISource>(args_.backend_config, *http_, backend_metrics_.get());
  backend_ = source.get();
  return source;
}

Result<void> WorkerApp::start_metrics() {
  if (args_.common.metrics_addr.empty()) {
    return {};
  }
  auto metrics = MetricsServer::start(args_.common.metrics_addr);
  if (!metrics) {
    return Unexpected(std::move(metrics).error());
  }
  metrics_server_ = std::move(*metrics);
  metrics_ = std::make_unique<WorkerMetrics>(metrics_server_->registry());
  auth_metrics_ = std::make_unique<AuthMetrics>(metrics_server_->registry());
  return {};
}

// Worker/Generate behind the guard (the director role), or open to anyone with
// --allow-any-client, said at startup.
Result<void> WorkerApp::add_user_methods() {
  if (args_.allow_any_client) {
    logger().warn(
        "allow_any_client=true: ⚠️ USER accepts Worker/Generate from anyone who can reach it, "
        "not only directors (--allow-any-client)");
    return service_->add_user_methods(user_);
  }
  static constexpr std::array<GuardedMethod, 1> kGuarded = {
      {{services::kWorkerGenerate, PeerRole::kDirector}}};
  CONNSWAP_TRY(service_->add_user_methods(user_inner_));
  return add_guarded(user_inner_, user_, kGuarded, &auth_refusals_);
}

Result<void> WorkerApp::listen() {
  CONNSWAP_TRY(start_metrics());
  service_ = std::make_unique<services::WorkerService>(
      args_.config, [this] { return loop_.now(); }, make_source());
  CONNSWAP_TRY(add_user_methods());
  CONNSWAP_TRY(service_->add_mgmt_methods(mgmt_));
  ServeLimits user_limits;
  apply_send_queue(args_.queues, user_limits);
  auto user =
      serve(loop_, args_.config.user_addr, user_tls_, reset_secret_, user_, {}, user_limits);
  if (!user) {
    return Unexpected(std::move(user).error());
  }
  user_server_ = std::move(*user);
  auto mgmt = serve(loop_, args_.config.mgmt_addr, server_tls_, reset_secret_, mgmt_);
  if (!mgmt) {
    return Unexpected(std::move(mgmt).error());
  }
  mgmt_server_ = std::move(*mgmt);
  return {};
}

void WorkerApp::start_services() {
  service_->on_failure([this](worker::FailureAction action) {
    if (metrics_ && action != worker::FailureAction::kServe) {
      metrics_->count_failure();
    }
    if (action == worker::FailureAction::kCrash) {
      logger().warn("worker={}: 💥 crashing now (simulated, no cleanup)", args_.config.label);
      logger().flush();
      std::fflush(nullptr);
      std::_Exit(kExitCrash);  // no destructors, no CONNECTION_CLOSE: peers see silence
    }
  });
  // Advertise what was actually bound (port 0 becomes the real port), or the address the
  // operator names (--advertise-user-addr: a relay or NAT in front of this worker).
  services::RegistrationConfig reg;
  reg.label = args_.config.label;
  reg.user_addr = args_.config.advertise_user_addr.empty()
                      ? user_server_->local_address().to_string()
                      : args_.config.advertise_user_addr;
  reg.mgmt_addr = mgmt_server_->local_address().to_string();
  reg.model = args_.config.model;
  reg.heartbeat_interval = args_.config.heartbeat_interval;
  const std::vector<std::string> addrs = worker::director_addrs(args_.config);
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    reg.jitter_seed = static_cast<std::uint64_t>(::getpid()) * 31 + i;
    auto channel = std::make_unique<DirectorChannel>(loop_, client_tls_, addrs[i]);
    auto registration = std::make_unique<services::RegistrationClient>(
        reg, *channel, [this] { return service_->status(); }, [this] { return loop_.now(); });
    services::RegistrationClient* r = registration.get();
    channel->on_lost([r](Timestamp now) { r->on_connection_lost(now); });
    driver_.add([r] { return r->deadline(); }, [r](Timestamp now) { r->on_timeout(now); });
    directors_.push_back(std::move(channel));
    registrations_.push_back(std::move(registration));
  }
  driver_.add([this] { return service_->deadline(); },
              [this](Timestamp now) { service_->on_timeout(now); });
  driver_.add([this] { return drain_deadline(); }, [this](Timestamp now) { check_drained(now); });
  if (backend_ != nullptr) {
    driver_.add([this] { return stopping_ ? kNever : backend_->deadline(); },
                [this](Timestamp now) { backend_->on_timeout(now); });
    // The model server's health changed: tell the directors now, not at the next heartbeat.
    driver_.add(
        [this] { return backend_->available() != told_available_ && !stopping_ ? 0 : kNever; },
        [this](Timestamp now) {
          told_available_ = backend_->available();
          for (auto& r : registrations_) {
            r->heartbeat_soon(now);
          }
        });
  }
  if (metrics_) {
    driver_.every(kMetricsPeriod, [this](Timestamp) {
      metrics_->update(service_->stats(), service_->status(), registration_stats());
      auth_metrics_->update(auth_refusals_, 0);
      if (backend_metrics_) {
        backend_metrics_->update(backend_->stats());
      }
    });
  }
  for (auto& r : registrations_) {
    r->start(loop_.now());
  }
}

bool WorkerApp::drain_told() const {
  return std::all_of(registrations_.begin(), registrations_.end(), [](const auto& r) {
    return r->drain_announced() || !r->registered();
  });
}

services::RegistrationStats WorkerApp::registration_stats() const {
  services::RegistrationStats total;
  for (const auto& r : registrations_) {
    const services::RegistrationStats s = r->stats();
    total.registrations += s.registrations;
    total.register_failures += s.register_failures;
    total.heartbeats += s.heartbeats;
    total.heartbeat_failures += s.heartbeat_failures;
    total.not_found += s.not_found;
  }
  return total;
}

ReadyFields WorkerApp::ready_fields() const {
  ReadyFields fields = {{"user", user_server_->local_address().to_string()},
                        {"mgmt", mgmt_server_->local_address().to_string()}};
  if (metrics_server_) {
    fields.emplace_back("metrics", metrics_server_->address());
  }
  fields.emplace_back("pid", std::to_string(::getpid()));
  return fields;
}

int WorkerApp::run() {
  loop_.on_stop_signal([this](int signo) { on_signal(signo); });
  logger().info("worker={} user_addr={} mgmt_addr={} director={}: 🚀 worker ready",
                args_.config.label,
                user_server_->local_address().to_string(),
                mgmt_server_->local_address().to_string(),
                args_.config.director_mgmt_addr);
  if (backend_ != nullptr) {
    logger().info(
        "worker={} backend=openai url={} model={}: unavailable until the model "
        "server's health probe passes",
        args_.config.label,
        args_.backend_config.url,
        args_.backend_config.model);
  }
  driver_.run();
  return exit_status_;
}

void WorkerApp::on_signal(int signo) {
  if (++signals_ > 1) {
    logger().warn("worker={} signal={}: second signal, exiting now with {} streams",
                  args_.config.label,
                  signo,
                  service_->status().load);
    shutdown(kExitRuntime);
    return;
  }
  const Timestamp now = loop_.now();
  drain_until_ = now + args_.drain_timeout;
  logger().info("worker={} signal={} streams={} timeout_ms={}: 🚰 draining",
                args_.config.label,
                signo,
                service_->status().load,
                args_.drain_timeout / kMillisecond);
  service_->start_drain();
  for (auto& r : registrations_) {
    r->announce_drain(now);
  }
  check_drained(now);
}

// While draining, look again every kDrainPoll: streams end on RPC events the driver does
// not see.
Timestamp WorkerApp::drain_deadline() const {
  if (drain_until_ == kNever || stopping_) {
    return kNever;
  }
  return std::min(drain_until_, next_drain_check_);
}

void WorkerApp::check_drained(Timestamp now) {
  if (drain_until_ == kNever || stopping_) {
    return;
  }
  next_drain_check_ = now + kDrainPoll;
  const std::uint32_t load = service_->status().load;
  // Wait for the directors' acknowledgements too, so none places a stream on us again.
  const bool told = drain_told();
  if (load == 0 && told) {
    logger().info("worker={}: ✅ drained, exiting", args_.config.label);
    shutdown(0);
  } else if (now >= drain_until_) {
    logger().warn("worker={} streams={}: drain timeout, exiting", args_.config.label, load);
    shutdown(0);
  }
}

void WorkerApp::shutdown(int status) {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  exit_status_ = status;
  for (auto& r : registrations_) {
    r->stop();
  }
  service_->stop();
  user_server_->stop();
  mgmt_server_->stop();
  for (auto& d : directors_) {
    d->close();
  }
  // Posted after the connections' flushes, so the CONNECTION_CLOSEs go out first.
  loop_.post([this] { loop_.stop(); });
}

}  // namespace connswap::app
