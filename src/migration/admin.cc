#include "migration/admin.h"

namespace connswap::migration {
namespace {

std::uint64_t ms_since(Timestamp then, Timestamp now) {
  return now > then ? (now - then) / kMillisecond : 0;
}

void to_proto(const StreamInfo& stream, Timestamp now, v1::StreamInfo& out) {
  out.set_stream_id(stream.stream_id);
  out.set_worker(stream.worker);
  out.set_state(std::string(to_string(stream.state)));
  out.set_tokens(stream.tokens);
  out.set_migrations(stream.migrations);
  out.set_age_ms(ms_since(stream.opened_at, now));
  out.set_idle_ms(ms_since(stream.last_activity, now));
}

}  // namespace

MResult<DrainWorkerCommand> from_proto(const v1::DrainWorkerRequest& request) {
  if (request.worker().empty()) {
    return make_migration_error(MigrationErrc::kInvalidArgument, "DrainWorker needs a worker");
  }
  return DrainWorkerCommand{request.worker()};
}

MResult<MoveStreamCommand> from_proto(const v1::MoveStreamRequest& request) {
  MoveStreamCommand out;
  out.to_worker = request.to_worker();
  switch (request.target_case()) {
    case v1::MoveStreamRequest::kStream:
      out.connection_id = request.stream().connection_id();
      out.stream_id = request.stream().stream_id();
      break;
    case v1::MoveStreamRequest::kConnectionId:
      out.connection_id = request.connection_id();
      break;
    default:
      return make_migration_error(MigrationErrc::kInvalidArgument,
                                  "MoveStream needs a stream or a connection_id");
  }
  if (out.connection_id.empty()) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "MoveStream needs a non-empty connection id");
  }
  return out;
}

ListSessionsQuery from_proto(const v1::ListSessionsRequest& request) {
  return ListSessionsQuery{request.connection_id(), request.limit()};
}

MResult<std::vector<StreamLocator>> resolve(const MoveStreamCommand& command,
                                            const ConnectionSessionManager& sessions) {
  const SessionInfo* session = sessions.find(command.connection_id);
  if (session == nullptr) {
    return make_migration_error(MigrationErrc::kNotFound,
                                "unknown connection " + command.connection_id);
  }
  std::vector<StreamLocator> out;
  if (command.stream_id) {
    if (session->streams.count(*command.stream_id) == 0) {
      return make_migration_error(MigrationErrc::kNotFound,
                                  "no open stream " + std::to_string(*command.stream_id) +
                                      " on connection " + command.connection_id);
    }
    out.push_back({command.connection_id, *command.stream_id});
    return out;
  }
  for (const auto& [stream_id, stream] : session->streams) {
    out.push_back({command.connection_id, stream_id});
  }
  if (out.empty()) {
    return make_migration_error(MigrationErrc::kNotFound,
                                "connection " + command.connection_id + " has no open stream");
  }
  return out;
}

v1::ListSessionsResponse list_sessions(const ConnectionSessionManager& sessions,
                                       const ListSessionsQuery& query,
                                       Timestamp now) {
  v1::ListSessionsResponse out;
  out.set_total(sessions.size());
  if (!query.connection_id.empty()) {
    if (const SessionInfo* s = sessions.find(query.connection_id)) {
      to_proto(*s, now, *out.add_sessions());
    }
    return out;
  }
  for (const SessionInfo& s : sessions.list(query.limit)) {
    to_proto(s, now, *out.add_sessions());
  }
  return out;
}

void to_proto(const SessionInfo& session, Timestamp now, v1::SessionInfo& out) {
  out.set_connection_id(session.connection_id);
  out.set_connection_open(session.connection_open);
  out.set_age_ms(ms_since(session.created_at, now));
  out.set_idle_ms(ms_since(session.last_activity, now));
  out.set_streams_opened(session.streams_opened);
  out.set_tokens(session.tokens);
  out.set_migrations(session.migrations);
  out.set_resume_tokens(session.resume_tokens);
  out.set_streams_completed(session.streams_completed);
  out.set_streams_failed(session.streams_failed);
  out.set_streams_aborted(session.streams_aborted);
  for (const auto& [stream_id, stream] : session.streams) {
    to_proto(stream, now, *out.add_streams());
  }
}

v1::MoveStreamResponse to_proto(std::span<const StreamLocator> moving) {
  v1::MoveStreamResponse out;
  for (const StreamLocator& s : moving) {
    auto* m = out.add_moving();
    m->set_connection_id(s.connection_id);
    m->set_stream_id(s.stream_id);
  }
  return out;
}

}  // namespace connswap::migration
