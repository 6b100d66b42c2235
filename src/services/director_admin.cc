// DirectorService, third part: the session book (migration::ConnectionSessionManager) and
// the connswap.v1.Migration admin service on MGMT (DrainWorker, MoveStream, ListSessions).

#include <utility>

#include "base/log.h"
#include "migration/admin.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::StreamKey;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

rpc::Status to_status(const migration::MigrationError& e) {
  switch (e.code) {
    case migration::MigrationErrc::kNotFound:
      return {rpc::StatusCode::kNotFound, e.detail};
    case migration::MigrationErrc::kInvalidArgument:
      return {rpc::StatusCode::kInvalidArgument, e.detail};
    default:
      return {rpc::StatusCode::kInternal, e.message()};
  }
}

migration::MigrationState terminal_state(director::StatusCode code) {
  switch (code) {
    case director::StatusCode::kOk:
      return migration::MigrationState::kCompleted;
    case director::StatusCode::kUnavailable:
      return migration::MigrationState::kFailed;
    default:
      return migration::MigrationState::kAborted;
  }
}

}  // namespace

// Router events that change what ListSessions shows. Unknown streams (already closed) are
// ignored: events are handled after the actions of the same turn, FinishStream included.
void DirectorService::Impl::track(const director::Event& event) {
  const Timestamp now = now_();
  if (const auto* e = std::get_if<director::StateChanged>(&event)) {
    (void)sessions_.on_stream_state(
        {e->ref.connection_id, e->ref.stream_id}, e->state, e->worker, false, now);
  } else if (const auto* m = std::get_if<director::MigratingStream>(&event)) {
    const migration::StreamLocator where{m->ref.connection_id, m->ref.stream_id};
    const migration::SessionInfo* session = sessions_.find(where.connection_id);
    if (session == nullptr) {
      return;
    }
    auto it = session->streams.find(where.stream_id);
    if (it != session->streams.end()) {
      (void)sessions_.on_stream_state(where, it->second.state, m->to, true, now);
    }
  }
}

void DirectorService::Impl::book_tokens(detail::ClientStream& c) {
  if (c.unbooked_tokens == 0) {
    return;
  }
  (void)sessions_.on_tokens(c.connection_id, c.stream_id, c.unbooked_tokens, c.last_token_at);
  c.unbooked_tokens = 0;
}

void DirectorService::Impl::book_all_tokens() {
  for (auto& [key, c] : clients_.all()) {
    book_tokens(c);
  }
}

void DirectorService::Impl::on_finished_stream(detail::ClientStream& c, director::StatusCode code) {
  book_tokens(c);
  (void)sessions_.close_stream({c.connection_id, c.stream_id}, terminal_state(code), now_());
}

void DirectorService::Impl::add_history(StreamKey key, v1::StreamInfo& out, Timestamp now) const {
  const migration::MigrationStateMachine* machine = core_.router().machine(key);
  if (machine == nullptr) {
    return;
  }
  for (const migration::Transition& t : machine->history()) {
    const Timestamp ago = now > t.at ? (now - t.at) / kMillisecond : 0;
    out.add_history(std::to_string(ago) + "ms " + std::string(migration::to_string(t.from)) +
                    " -> " + std::string(migration::to_string(t.to)) + " on " +
                    std::string(migration::to_string(t.event)) + ": " + t.reason);
  }
}

void DirectorService::Impl::on_drain_worker(
    MgmtCall<v1::DrainWorkerRequest, v1::DrainWorkerResponse> call,
    const v1::DrainWorkerRequest& request) {
  auto command = migration::from_proto(request);
  if (!command) {
    (void)call.finish(to_status(command.error()));
    return;
  }
  Result<std::size_t> moving = 0U;
  run([&] { moving = core_.on_drain(command->worker, now_()); });
  if (!moving) {
    (void)call.finish({rpc::StatusCode::kNotFound, moving.error().detail});
    return;
  }
  logger().info("worker={} streams_moving={} peer={}: 🚰 drain ordered by an operator",
                command->worker,
                *moving,
                call.raw().peer().address);
  v1::DrainWorkerResponse response;
  response.set_streams_moving(static_cast<std::uint32_t>(*moving));
  (void)call.reply(response);
}

void DirectorService::Impl::on_move_stream(
    MgmtCall<v1::MoveStreamRequest, v1::MoveStreamResponse> call,
    const v1::MoveStreamRequest& request) {
  auto command = migration::from_proto(request);
  if (!command) {
    (void)call.finish(to_status(command.error()));
    return;
  }
  auto targets = migration::resolve(*command, sessions_);
  if (!targets) {
    (void)call.finish(to_status(targets.error()));
    return;
  }
  if (!command->to_worker.empty()) {
    const director::WorkerInfo* w = core_.pool().find(command->to_worker);
    if (w == nullptr || w->state != director::WorkerState::kActive) {
      (void)call.finish({rpc::StatusCode::kFailedPrecondition,
                         "worker '" + command->to_worker + "' is not selectable"});
      return;
    }
  }
  std::vector<migration::StreamLocator> moving;
  std::string refused;
  run([&] {
    for (const migration::StreamLocator& target : *targets) {
      auto key = clients_.key_of(target.connection_id, target.stream_id);
      if (!key) {
        continue;
      }
      auto started = core_.move_stream(*key, command->to_worker, now_());
      if (started && *started) {
        moving.push_back(target);
      } else if (!started) {
        refused = started.error().detail;
      }
    }
  });
  if (moving.empty() && !refused.empty()) {
    (void)call.finish({rpc::StatusCode::kFailedPrecondition, refused});
    return;
  }
  logger().info("connection.id={} streams_moving={} to_worker={} peer={}: 🔀 move ordered",
                command->connection_id,
                moving.size(),
                command->to_worker.empty() ? "any" : command->to_worker,
                call.raw().peer().address);
  (void)call.reply(migration::to_proto(moving));
}

void DirectorService::Impl::on_list_sessions(
    MgmtCall<v1::ListSessionsRequest, v1::ListSessionsResponse> call,
    const v1::ListSessionsRequest& request) {
  const Timestamp now = now_();
  book_all_tokens();
  v1::ListSessionsResponse response =
      migration::list_sessions(sessions_, migration::from_proto(request), now);
  for (v1::SessionInfo& session : *response.mutable_sessions()) {
    for (v1::StreamInfo& stream : *session.mutable_streams()) {
      if (auto key = clients_.key_of(session.connection_id(), stream.stream_id())) {
        add_history(*key, stream, now);
      }
    }
  }
  (void)call.reply(response);
}

}  // namespace connswap::services
