// DirectorService: the MGMT Registry (Register, Heartbeat, Drain), translated into the
// director core's worker-lifecycle inputs, and the MGMT method table.

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

template <class Req, class Resp>
using Handler = std::function<void(DirectorService::Impl&, rpc::ServerCall<Req, Resp>, Req)>;

// Bounds a worker's model list: "" if fine, else why not (kMaxModels ids of 1..kMaxModelId
// printable bytes).
std::string check_models(const v1::RegisterRequest& r) {
  constexpr int kMaxModels = 16;
  constexpr std::size_t kMaxModelId = 256;
  if (r.models_size() > kMaxModels) {
    return fmt::format("at most {} models per worker (got {})", kMaxModels, r.models_size());
  }
  for (const std::string& m : r.models()) {
    const bool printable = std::all_of(m.begin(), m.end(), [](char c) {
      return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (m.empty() || m.size() > kMaxModelId || !printable) {
      return fmt::format("model ids are 1..{} printable characters without spaces", kMaxModelId);
    }
  }
  return {};
}

}  // namespace

void DirectorService::Impl::on_register(MgmtCall<v1::RegisterRequest, v1::RegisterResponse> call,
                                        const v1::RegisterRequest& r) {
  if (r.label().empty() || r.user_addr().empty()) {
    (void)call.finish({rpc::StatusCode::kInvalidArgument, "label and user_addr are required"});
    return;
  }
  if (auto bad = check_models(r); !bad.empty()) {
    (void)call.finish({rpc::StatusCode::kInvalidArgument, bad});
    return;
  }
  const rpc::PeerInfo peer = call.raw().peer();
  const director::WorkerInfo* known = core_.pool().find(r.label());
  if (auto refused = labels_.claim(r.label(), peer.fingerprint, known == nullptr || known->lost);
      !refused.empty()) {
    refuse_label(call.raw(), r.label(), "Register", refused);
    return;
  }
  const Timestamp now = now_();
  director::WorkerRegistration reg{r.label(),
                                   r.user_addr(),
                                   r.mgmt_addr(),
                                   r.load(),
                                   r.available(),
                                   r.draining(),
                                   {r.models().begin(), r.models().end()}};
  run([&] { core_.on_register(reg, now); });
  ++extra_.registrations;
  logger().info("worker={} user_addr={} mgmt_addr={}: ✅ worker registered",
                r.label(),
                r.user_addr(),
                r.mgmt_addr());
  v1::RegisterResponse response;
  response.set_ok(true);
  response.set_heartbeat_interval_ms(core_.heartbeat_interval() / kMillisecond);
  (void)call.reply(response);
}

void DirectorService::Impl::refuse_label(rpc::Call& call,
                                         const std::string& label,
                                         std::string_view what,
                                         const std::string& why) {
  ++extra_.labels_refused;
  const rpc::PeerInfo peer = call.peer();
  logger().warn("worker={} peer={} method={}: 🔒 refused: {}",
                label,
                peer.address.empty() ? "unknown" : peer.address,
                what,
                why);
  (void)call.finish({rpc::StatusCode::kPermissionDenied, why});
}

void DirectorService::Impl::on_heartbeat(MgmtCall<v1::HeartbeatRequest, v1::HeartbeatResponse> call,
                                         const v1::HeartbeatRequest& r) {
  if (auto refused = labels_.check(r.label(), call.raw().peer().fingerprint); !refused.empty()) {
    refuse_label(call.raw(), r.label(), "Heartbeat", refused);
    return;
  }
  const Timestamp now = now_();
  director::WorkerHeartbeat hb{r.label(), r.load(), r.available(), r.draining()};
  Result<void> known;
  run([&] { known = core_.on_heartbeat(hb, now); });
  if (!known) {
    ++extra_.heartbeats_unknown;
    (void)call.finish({rpc::StatusCode::kNotFound, known.error().message()});
    return;
  }
  (void)call.reply(v1::HeartbeatResponse());
}

void DirectorService::Impl::on_drain(MgmtCall<v1::DrainRequest, v1::DrainResponse> call,
                                     const v1::DrainRequest& r) {
  if (auto refused = labels_.check(r.label(), call.raw().peer().fingerprint); !refused.empty()) {
    refuse_label(call.raw(), r.label(), "Drain", refused);
    return;
  }
  Result<std::size_t> moving = 0U;
  run([&] { moving = core_.on_drain(r.label(), now_()); });
  if (!moving) {
    (void)call.finish({rpc::StatusCode::kNotFound, moving.error().detail});
    return;
  }
  logger().info("worker={}: 🚰 worker draining", r.label());
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
      mgmt, kRegistryRegister, impl_, [](Impl& impl, auto call, const RegisterRequest& r) {
        impl.on_register(std::move(call), r);
      })));
  CONNSWAP_TRY((add_mgmt<HeartbeatRequest, HeartbeatResponse>(
      mgmt, kRegistryHeartbeat, impl_, [](Impl& impl, auto call, const HeartbeatRequest& r) {
        impl.on_heartbeat(std::move(call), r);
      })));
  CONNSWAP_TRY((add_mgmt<DrainRequest, DrainResponse>(
      mgmt, kRegistryDrain, impl_, [](Impl& impl, auto call, const DrainRequest& r) {
        impl.on_drain(std::move(call), r);
      })));
  using v1::DrainWorkerRequest, v1::DrainWorkerResponse, v1::MoveStreamRequest;
  using v1::MoveStreamResponse, v1::ListSessionsRequest, v1::ListSessionsResponse;
  CONNSWAP_TRY((add_mgmt<DrainWorkerRequest, DrainWorkerResponse>(
      mgmt, kMigrationDrainWorker, impl_, [](Impl& impl, auto call, const DrainWorkerRequest& r) {
        impl.on_drain_worker(std::move(call), r);
      })));
  CONNSWAP_TRY((add_mgmt<MoveStreamRequest, MoveStreamResponse>(
      mgmt, kMigrationMoveStream, impl_, [](Impl& impl, auto call, const MoveStreamRequest& r) {
        impl.on_move_stream(std::move(call), r);
      })));
  return add_mgmt<ListSessionsRequest, ListSessionsResponse>(
      mgmt, kMigrationListSessions, impl_, [](Impl& impl, auto call, const ListSessionsRequest& r) {
        impl.on_list_sessions(std::move(call), r);
      });
}

}  // namespace connswap::services
