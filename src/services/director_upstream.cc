// DirectorService, second half: worker calls (attempts) and the MGMT registry.

#include <utility>

#include "base/log.h"
#include "services/convert.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::AttemptId;
using director::FailureReason;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

// Why a worker call that ended without Done failed (docs/PROTOCOL.md §7.2). The messages
// matched here are the ones rpc::Session gives calls it ends itself when the connection
// goes away (rpc/session.cc); a trailer from the worker never starts with them.
FailureReason classify(const rpc::Status& status) {
  if (status.code == rpc::StatusCode::kUnavailable) {
    const std::string_view m = status.message;
    if (m.starts_with("connection lost") || m.starts_with("session destroyed")) {
      return FailureReason::kConnectionLost;
    }
    if (m.starts_with("stream reset by peer") || m.starts_with("peer stopped reading")) {
      return FailureReason::kStreamReset;  // the worker is shutting down
    }
    return FailureReason::kWorkerError;  // the worker refused: draining or recovering
  }
  return FailureReason::kStreamReset;  // OK without Done, CANCELLED, INTERNAL, ...
}

template <class Req, class Resp>
using Handler = std::function<void(DirectorService::Impl&, rpc::ServerCall<Req, Resp>, Req)>;

}  // namespace

void DirectorService::Impl::start_attempt(director::StartAttempt& a) {
  const Timestamp now = now_();
  auto session = connector_.connect(a.worker_addr, now);
  if (!session) {
    fail_upstream(a.attempt, FailureReason::kConnectionRefused, session.error().message(), now);
    return;
  }
  auto client = clients_.find(a.stream);
  rpc::CallOptions options;
  options.method = std::string(kWorkerGenerate);
  if (client != clients_.end()) {
    options.metadata[std::string(kConnectionIdKey)] = client->second.connection_id;
  }
  rpc::ClientCallbacks<v1::WorkerItem> callbacks;
  callbacks.on_message = [this, id = a.attempt](v1::WorkerItem&& item) {
    run([&] { on_upstream_item(id, item); });
  };
  callbacks.on_done = [this, id = a.attempt](const rpc::Status& status) {
    run([&] { on_upstream_done(id, status); });
  };
  auto call = rpc::start_call_with<v1::WorkerGenerateRequest, v1::WorkerItem>(
      **session,
      std::move(options),
      std::move(callbacks),
      to_worker_request(a.request, a.prefix),
      now);
  if (!call) {
    fail_upstream(a.attempt, FailureReason::kConnectionLost, call.error().message(), now);
    return;
  }
  upstreams_[a.attempt] = Upstream{*call, a.stream, a.worker, false};
  if (client != clients_.end()) {
    client->second.attempts.push_back(a.attempt);
    if (client->second.blocked) {
      call->raw().pause_reading();
    }
  }
}

void DirectorService::Impl::cancel_attempt(AttemptId attempt, bool cancel) {
  auto it = upstreams_.find(attempt);
  if (it == upstreams_.end()) {
    return;
  }
  UpstreamCall call = it->second.call;
  if (auto c = clients_.find(it->second.stream); c != clients_.end()) {
    std::erase(c->second.attempts, attempt);
  }
  upstreams_.erase(it);
  call.raw().on_done(nullptr);
  if (cancel) {
    call.cancel({rpc::StatusCode::kCancelled, "attempt cancelled by the director"});
  }
}

void DirectorService::Impl::on_upstream_item(AttemptId attempt, const v1::WorkerItem& item) {
  auto it = upstreams_.find(attempt);
  if (it == upstreams_.end()) {
    return;
  }
  const Timestamp now = now_();
  switch (item.item_case()) {
    case v1::WorkerItem::kToken:
      router_.on_worker_token(
          attempt, item.token().seq(), item.token().text(), now, item.token().emit_ns());
      break;
    case v1::WorkerItem::kError:
      it->second.error_seen = true;
      router_.on_worker_error(attempt, FailureReason::kWorkerError, item.error().message(), now);
      break;
    case v1::WorkerItem::kDone:
      // The router forgets the attempt without a CancelAttempt: forget the call too.
      cancel_attempt(attempt, /*cancel=*/false);
      router_.on_worker_done(attempt, now);
      break;
    case v1::WorkerItem::ITEM_NOT_SET:
      break;
  }
}

void DirectorService::Impl::on_upstream_done(AttemptId attempt, const rpc::Status& status) {
  auto it = upstreams_.find(attempt);
  if (it == upstreams_.end()) {
    return;
  }
  const std::string detail = status.ok() ? "worker call ended without Done" : status.to_string();
  fail_upstream(attempt, classify(status), detail, now_());
}

// An attempt failed outside the item stream. A lost or refused connection fails every
// attempt on that worker at once (and marks it lost until it heartbeats again).
void DirectorService::Impl::fail_upstream(AttemptId attempt,
                                          FailureReason reason,
                                          const std::string& detail,
                                          Timestamp now) {
  std::string worker;
  if (auto it = upstreams_.find(attempt); it != upstreams_.end()) {
    worker = it->second.worker;
    if (auto c = clients_.find(it->second.stream); c != clients_.end()) {
      std::erase(c->second.attempts, attempt);
    }
    upstreams_.erase(it);
  }
  logger().debug("attempt={} worker={} reason={} detail=\"{}\": worker call failed",
                 attempt,
                 worker,
                 director::to_string(reason),
                 detail);
  router_.on_worker_error(attempt, reason, detail, now);
  if ((reason == FailureReason::kConnectionLost || reason == FailureReason::kConnectionRefused) &&
      !worker.empty()) {
    router_.on_worker_lost(worker, reason, now);
  }
}

void DirectorService::Impl::apply_change(const std::string& label,
                                         director::WorkerChange change,
                                         Timestamp now) {
  switch (change) {
    case director::WorkerChange::kBecameSelectable:
      router_.on_worker_available(label, now);
      break;
    case director::WorkerChange::kDraining:
      router_.on_worker_draining(label, now);
      break;
    case director::WorkerChange::kLost:
      router_.on_worker_lost(label, FailureReason::kHeartbeatLost, now);
      break;
    case director::WorkerChange::kNone:
      break;
  }
}

void DirectorService::Impl::on_register(
    rpc::ServerCall<v1::RegisterRequest, v1::RegisterResponse> call, const v1::RegisterRequest& r) {
  if (r.label().empty() || r.user_addr().empty()) {
    (void)call.finish({rpc::StatusCode::kInvalidArgument, "label and user_addr are required"});
    return;
  }
  const Timestamp now = now_();
  director::WorkerRegistration reg{
      r.label(), r.user_addr(), r.mgmt_addr(), r.load(), r.available(), r.draining()};
  run([&] { apply_change(r.label(), pool_.on_register(reg, now), now); });
  ++extra_.registrations;
  logger().info("worker={} user_addr={} mgmt_addr={}: ✅ worker registered",
                r.label(),
                r.user_addr(),
                r.mgmt_addr());
  v1::RegisterResponse response;
  response.set_ok(true);
  response.set_heartbeat_interval_ms(heartbeat_interval(config_) / kMillisecond);
  (void)call.reply(response);
}

void DirectorService::Impl::on_heartbeat(
    rpc::ServerCall<v1::HeartbeatRequest, v1::HeartbeatResponse> call,
    const v1::HeartbeatRequest& r) {
  const Timestamp now = now_();
  director::WorkerHeartbeat hb{r.label(), r.load(), r.available(), r.draining()};
  auto change = pool_.on_heartbeat(hb, now);
  if (!change) {
    ++extra_.heartbeats_unknown;
    (void)call.finish({rpc::StatusCode::kNotFound, change.error().message()});
    return;
  }
  run([&] { apply_change(r.label(), *change, now); });
  (void)call.reply(v1::HeartbeatResponse());
}

void DirectorService::Impl::on_drain(rpc::ServerCall<v1::DrainRequest, v1::DrainResponse> call,
                                     const v1::DrainRequest& r) {
  if (pool_.find(r.label()) == nullptr) {
    (void)call.finish({rpc::StatusCode::kNotFound, "unknown worker '" + r.label() + "'"});
    return;
  }
  logger().info("worker={}: 🚰 worker draining", r.label());
  run([&] { router_.on_worker_draining(r.label(), now_()); });
  (void)call.reply(v1::DrainResponse());
}

namespace {

// Registers a unary MGMT method whose handler runs on the Impl while it exists.
template <class Req, class Resp>
Result<void> add_mgmt(rpc::Registry& registry,
                      std::string_view method,
                      std::weak_ptr<DirectorService::Impl> weak,
                      Handler<Req, Resp> handler) {
  return registry.add_unary<Req, Resp>(
      std::string(method),
      [weak = std::move(weak), handler = std::move(handler)](rpc::ServerCall<Req, Resp> call,
                                                             Req request) {
        if (auto impl = weak.lock(); impl && !impl->stopped()) {
          handler(*impl, std::move(call), std::move(request));
        } else {
          (void)call.finish({rpc::StatusCode::kUnavailable, "director gone"});
        }
      });
}

}  // namespace

Result<void> DirectorService::add_mgmt_methods(rpc::Registry& mgmt) {
  using v1::DrainRequest, v1::DrainResponse, v1::HeartbeatRequest, v1::HeartbeatResponse;
  using v1::RegisterRequest, v1::RegisterResponse;
  CONNSWAP_TRY((add_mgmt<RegisterRequest, RegisterResponse>(
      mgmt, kRegistryRegister, impl_, [](Impl& impl, auto call, RegisterRequest r) {
        impl.on_register(std::move(call), r);
      })));
  CONNSWAP_TRY((add_mgmt<HeartbeatRequest, HeartbeatResponse>(
      mgmt, kRegistryHeartbeat, impl_, [](Impl& impl, auto call, HeartbeatRequest r) {
        impl.on_heartbeat(std::move(call), r);
      })));
  CONNSWAP_TRY((add_mgmt<DrainRequest, DrainResponse>(
      mgmt, kRegistryDrain, impl_, [](Impl& impl, auto call, DrainRequest r) {
        impl.on_drain(std::move(call), r);
      })));
  using v1::DrainWorkerRequest, v1::DrainWorkerResponse, v1::MoveStreamRequest;
  using v1::MoveStreamResponse, v1::ListSessionsRequest, v1::ListSessionsResponse;
  CONNSWAP_TRY((add_mgmt<DrainWorkerRequest, DrainWorkerResponse>(
      mgmt, kMigrationDrainWorker, impl_, [](Impl& impl, auto call, DrainWorkerRequest r) {
        impl.on_drain_worker(std::move(call), r);
      })));
  CONNSWAP_TRY((add_mgmt<MoveStreamRequest, MoveStreamResponse>(
      mgmt, kMigrationMoveStream, impl_, [](Impl& impl, auto call, MoveStreamRequest r) {
        impl.on_move_stream(std::move(call), r);
      })));
  return add_mgmt<ListSessionsRequest, ListSessionsResponse>(
      mgmt, kMigrationListSessions, impl_, [](Impl& impl, auto call, ListSessionsRequest r) {
        impl.on_list_sessions(std::move(call), r);
      });
}

}  // namespace connswap::services
