#include "services/registration_client.h"

#include <algorithm>
#include <random>
#include <utility>

#include <connswap/v1/director.pb.h>

#include "base/log.h"
#include "rpc/client.h"

namespace connswap::services {
namespace {

spdlog::logger& logger() {
  return log::get("worker");
}

enum class State : std::uint8_t { kIdle, kBackoff, kRegistering, kRegistered, kStopped };

// Abandons a call without running its completion.
void detach(rpc::Call& call) {
  call.on_done(nullptr);
  call.cancel();
  call = rpc::Call();
}

}  // namespace

class RegistrationClient::Impl {
 public:
  Impl(RegistrationConfig config,
       DirectorLink& link,
       std::function<WorkerStatus()> status,
       NowFn now)
      : config_(std::move(config)),
        link_(link),
        status_(std::move(status)),
        now_(std::move(now)),
        interval_(config_.heartbeat_interval),
        backoff_(config_.initial_backoff),
        rng_(config_.jitter_seed) {}

  void start(Timestamp now) {
    if (state_ == State::kIdle) {
      state_ = State::kBackoff;
      next_at_ = now;
      on_timeout(now);
    }
  }

  void on_connection_lost(Timestamp now) {
    if (state_ == State::kStopped || state_ == State::kIdle) {
      return;
    }
    detach_all();
    logger().warn("worker={}: ⚠️  director connection lost, registering again", config_.label);
    retry_later(now);
  }

  void announce_drain(Timestamp now) {
    drain_wanted_ = true;
    drain_next_ = now;
    on_timeout(now);
  }

  Timestamp deadline() const {
    switch (state_) {
      case State::kBackoff:
        return next_at_;
      case State::kRegistered: {
        Timestamp d = hb_call_.done() ? next_at_ : kNever;
        if (drain_wanted_ && !drain_acked_ && drain_call_.done()) {
          d = std::min(d, drain_next_);
        }
        return d;
      }
      default:
        return kNever;
    }
  }

  void on_timeout(Timestamp now) {
    if (state_ == State::kBackoff && now >= next_at_) {
      send_register(now);
    }
    if (state_ != State::kRegistered) {
      return;
    }
    if (hb_call_.done() && now >= next_at_) {
      next_at_ = now + interval_;
      if (!status_().hung) {
        send_heartbeat(now);
      }
    }
    if (state_ == State::kRegistered && drain_wanted_ && !drain_acked_ && drain_call_.done() &&
        now >= drain_next_) {
      send_drain(now);
    }
  }

  void stop() {
    detach_all();
    state_ = State::kStopped;
  }

 private:
  friend class RegistrationClient;  // its getters read state_, drain_acked_ and stats_
  State state_ = State::kIdle;
  bool drain_acked_ = false;
  RegistrationStats stats_;

  void detach_all() {
    detach(reg_call_);
    detach(hb_call_);
    detach(drain_call_);
  }

  rpc::CallOptions options(std::string_view method, Timestamp now) const {
    rpc::CallOptions o;
    o.method = std::string(method);
    o.deadline = now + config_.call_timeout;
    return o;
  }

  // Backoff with jitter: a delay in [backoff/2, backoff], then the backoff doubles.
  void retry_later(Timestamp now) {
    state_ = State::kBackoff;
    const Duration half = backoff_ / 2;
    next_at_ = now + half + rng_() % (backoff_ - half + 1);
    backoff_ = std::min(backoff_ * 2, config_.max_backoff);
  }

  void send_register(Timestamp now);
  void on_registered(rpc::UnaryResult<v1::RegisterResponse> result);
  void send_heartbeat(Timestamp now);
  void on_heartbeat(rpc::UnaryResult<v1::HeartbeatResponse> result);
  void send_drain(Timestamp now);

  RegistrationConfig config_;
  DirectorLink& link_;
  std::function<WorkerStatus()> status_;
  NowFn now_;
  Duration interval_;
  Duration backoff_;
  std::mt19937_64 rng_;
  Timestamp next_at_ = kNever;  // kBackoff: next Register; kRegistered: next Heartbeat
  bool drain_wanted_ = false;
  Timestamp drain_next_ = kNever;
  rpc::Call reg_call_, hb_call_, drain_call_;
};

void RegistrationClient::Impl::send_register(Timestamp now) {
  auto session = link_.session(now);
  if (!session) {
    ++stats_.register_failures;
    logger().debug(
        "worker={} error=\"{}\": director not reachable", config_.label, session.error().message());
    retry_later(now);
    return;
  }
  const WorkerStatus st = status_();
  v1::RegisterRequest r;
  r.set_label(config_.label);
  r.set_user_addr(config_.user_addr);
  r.set_mgmt_addr(config_.mgmt_addr);
  r.set_load(st.load);
  r.set_available(st.available);
  r.set_draining(st.draining || drain_wanted_);
  if (!config_.model.empty()) {
    r.add_models(config_.model);
  }
  auto call = rpc::call_unary<v1::RegisterRequest, v1::RegisterResponse>(
      **session,
      options(kRegistryRegister, now),
      r,
      [this](rpc::UnaryResult<v1::RegisterResponse> result) { on_registered(std::move(result)); },
      now);
  if (!call) {
    ++stats_.register_failures;
    retry_later(now);
    return;
  }
  reg_call_ = call->raw();
  state_ = State::kRegistering;
}

void RegistrationClient::Impl::on_registered(rpc::UnaryResult<v1::RegisterResponse> result) {
  const Timestamp now = now_();
  reg_call_ = rpc::Call();
  if (!result) {
    ++stats_.register_failures;
    logger().warn("worker={} status=\"{}\": ⚠️  registration failed, retrying",
                  config_.label,
                  result.error().to_string());
    retry_later(now);
    return;
  }
  ++stats_.registrations;
  if (result->heartbeat_interval_ms() != 0) {
    interval_ = result->heartbeat_interval_ms() * kMillisecond;
  }
  backoff_ = config_.initial_backoff;
  state_ = State::kRegistered;
  next_at_ = now + interval_;
  logger().info("worker={} heartbeat_ms={}: ✅ registered with director",
                config_.label,
                interval_ / kMillisecond);
}

void RegistrationClient::Impl::send_heartbeat(Timestamp now) {
  auto session = link_.session(now);
  const WorkerStatus st = status_();
  v1::HeartbeatRequest r;
  r.set_label(config_.label);
  r.set_load(st.load);
  r.set_available(st.available);
  r.set_draining(st.draining || drain_wanted_);
  auto call = session ? rpc::call_unary<v1::HeartbeatRequest, v1::HeartbeatResponse>(
                            **session,
                            options(kRegistryHeartbeat, now),
                            r,
                            [this](rpc::UnaryResult<v1::HeartbeatResponse> result) {
                              on_heartbeat(std::move(result));
                            },
                            now)
                      : Result<rpc::ClientCall<v1::HeartbeatRequest, v1::HeartbeatResponse>>(
                            Unexpected(session.error()));
  if (!call) {
    ++stats_.heartbeat_failures;
    retry_later(now);
    return;
  }
  hb_call_ = call->raw();
}

void RegistrationClient::Impl::on_heartbeat(rpc::UnaryResult<v1::HeartbeatResponse> result) {
  const Timestamp now = now_();
  hb_call_ = rpc::Call();
  if (result) {
    ++stats_.heartbeats;
    return;
  }
  if (result.error().code == rpc::StatusCode::kNotFound) {
    // The director does not know us (it restarted): register again at once.
    ++stats_.not_found;
    logger().warn("worker={}: ⚠️  director forgot this worker, registering again",
                  config_.label);
    state_ = State::kBackoff;
    next_at_ = now;
    return;
  }
  ++stats_.heartbeat_failures;
  logger().warn("worker={} status=\"{}\": ⚠️  heartbeat failed, registering again",
                config_.label,
                result.error().to_string());
  retry_later(now);
}

void RegistrationClient::Impl::send_drain(Timestamp now) {
  auto session = link_.session(now);
  drain_next_ = now + config_.call_timeout;  // retry pace if this attempt fails
  if (!session) {
    return;
  }
  v1::DrainRequest r;
  r.set_label(config_.label);
  auto call = rpc::call_unary<v1::DrainRequest, v1::DrainResponse>(
      **session,
      options(kRegistryDrain, now),
      r,
      [this](const rpc::UnaryResult<v1::DrainResponse>& result) {
        drain_call_ = rpc::Call();
        if (result) {
          drain_acked_ = true;
          logger().info("worker={}: 🚰 drain announced to director", config_.label);
        }
      },
      now);
  if (call) {
    drain_call_ = call->raw();
  }
}

// RegistrationClient: forwards to Impl.

RegistrationClient::RegistrationClient(RegistrationConfig config,
                                       DirectorLink& link,
                                       std::function<WorkerStatus()> status,
                                       NowFn now)
    : impl_(std::make_unique<Impl>(std::move(config), link, std::move(status), std::move(now))) {}

RegistrationClient::~RegistrationClient() {
  impl_->stop();
}

void RegistrationClient::start(Timestamp now) {
  impl_->start(now);
}

void RegistrationClient::on_connection_lost(Timestamp now) {
  impl_->on_connection_lost(now);
}

void RegistrationClient::announce_drain(Timestamp now) {
  impl_->announce_drain(now);
}

void RegistrationClient::heartbeat_soon(Timestamp now) {
  if (impl_->state_ == State::kRegistered) {
    impl_->next_at_ = std::min(impl_->next_at_, now);
  }
}

Timestamp RegistrationClient::deadline() const {
  return impl_->deadline();
}

void RegistrationClient::on_timeout(Timestamp now) {
  impl_->on_timeout(now);
}

bool RegistrationClient::registered() const {
  return impl_->state_ == State::kRegistered;
}

bool RegistrationClient::drain_announced() const {
  return impl_->drain_acked_;
}

RegistrationStats RegistrationClient::stats() const {
  return impl_->stats_;
}

void RegistrationClient::stop() {
  impl_->stop();
}

}  // namespace connswap::services
