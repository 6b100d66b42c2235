#include "migration/session_manager.h"

namespace connswap::migration {
namespace {

Unexpected<MigrationError> not_found(std::string what) {
  return make_migration_error(MigrationErrc::kNotFound, std::move(what));
}

std::string describe(std::string_view connection_id, std::uint64_t stream_id) {
  return std::string(connection_id) + "/" + std::to_string(stream_id);
}

}  // namespace

MResult<void> ConnectionSessionManager::open_stream(std::string_view connection_id,
                                                    std::uint64_t stream_id,
                                                    Timestamp now) {
  if (connection_id.empty()) {
    return make_migration_error(MigrationErrc::kInvalidArgument, "empty connection id");
  }
  auto it = sessions_.find(connection_id);
  if (it == sessions_.end()) {
    if (sessions_.size() >= config_.max_sessions) {
      return make_migration_error(
          MigrationErrc::kResourceExhausted,
          "session limit " + std::to_string(config_.max_sessions) + " reached");
    }
    SessionInfo fresh;
    fresh.connection_id = std::string(connection_id);
    fresh.created_at = now;
    fresh.last_activity = now;
    it = sessions_.emplace(fresh.connection_id, std::move(fresh)).first;
  }
  SessionInfo& s = it->second;
  if (s.streams.count(stream_id) != 0) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "stream " + std::to_string(stream_id) + " is already open");
  }
  if (s.streams.size() >= config_.max_streams_per_session) {
    return make_migration_error(MigrationErrc::kResourceExhausted,
                                "stream limit " + std::to_string(config_.max_streams_per_session) +
                                    " reached for connection " + s.connection_id);
  }
  if (s.idle_since != kNever) {
    idle_.erase({s.idle_since, s.connection_id});
    s.idle_since = kNever;
  }
  s.connection_open = true;
  StreamInfo& st = s.streams[stream_id];
  st.stream_id = stream_id;
  st.opened_at = now;
  st.last_activity = now;
  ++s.streams_opened;
  touch(s, now);
  return {};
}

MResult<void> ConnectionSessionManager::on_stream_state(const StreamLocator& stream,
                                                        MigrationState state,
                                                        std::string_view worker,
                                                        bool migrated,
                                                        Timestamp now) {
  auto found = find_stream(stream.connection_id, stream.stream_id);
  if (!found) {
    return Unexpected(std::move(found).error());
  }
  StreamInfo& st = *found->stream;
  st.state = state;
  st.worker = std::string(worker);
  st.last_activity = now;
  if (migrated) {
    ++st.migrations;
    ++found->session->migrations;
  }
  touch(*found->session, now);
  return {};
}

MResult<void> ConnectionSessionManager::on_tokens(std::string_view connection_id,
                                                  std::uint64_t stream_id,
                                                  std::uint64_t count,
                                                  Timestamp now) {
  auto found = find_stream(connection_id, stream_id);
  if (!found) {
    return Unexpected(std::move(found).error());
  }
  found->stream->tokens += count;
  found->stream->last_activity = now;
  found->session->tokens += count;
  touch(*found->session, now);
  return {};
}

MResult<void> ConnectionSessionManager::on_resume_token(std::string_view connection_id,
                                                        Timestamp now) {
  auto it = sessions_.find(connection_id);
  if (it == sessions_.end()) {
    return not_found("unknown connection " + std::string(connection_id));
  }
  ++it->second.resume_tokens;
  touch(it->second, now);
  return {};
}

MResult<void> ConnectionSessionManager::close_stream(const StreamLocator& stream,
                                                     MigrationState state,
                                                     Timestamp now) {
  if (!is_terminal(state)) {
    return make_migration_error(
        MigrationErrc::kInvalidArgument,
        "close_stream needs a terminal state, not " + std::string(to_string(state)));
  }
  auto found = find_stream(stream.connection_id, stream.stream_id);
  if (!found) {
    return Unexpected(std::move(found).error());
  }
  SessionInfo& s = *found->session;
  s.streams.erase(stream.stream_id);
  if (state == MigrationState::kCompleted) {
    ++s.streams_completed;
  } else if (state == MigrationState::kFailed) {
    ++s.streams_failed;
  } else {
    ++s.streams_aborted;
  }
  touch(s, now);
  if (s.streams.empty()) {
    mark_idle(s, now);
  }
  return {};
}

MResult<void> ConnectionSessionManager::on_connection_closed(std::string_view connection_id,
                                                             Timestamp now) {
  auto it = sessions_.find(connection_id);
  if (it == sessions_.end()) {
    return not_found("unknown connection " + std::string(connection_id));
  }
  SessionInfo& s = it->second;
  s.connection_open = false;
  s.streams_aborted += s.streams.size();
  s.streams.clear();
  touch(s, now);
  mark_idle(s, now);
  return {};
}

std::size_t ConnectionSessionManager::on_timeout(Timestamp now) {
  std::size_t removed = 0;
  while (!idle_.empty()) {
    const auto& [since, id] = *idle_.begin();
    if (since > now || now - since < config_.retention) {
      break;
    }
    sessions_.erase(id);
    idle_.erase(idle_.begin());
    ++removed;
  }
  return removed;
}

Timestamp ConnectionSessionManager::deadline() const {
  if (idle_.empty()) {
    return kNever;
  }
  const Timestamp since = idle_.begin()->first;
  return since > kNever - config_.retention ? kNever : since + config_.retention;
}

const SessionInfo* ConnectionSessionManager::find(std::string_view connection_id) const {
  auto it = sessions_.find(connection_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<SessionInfo> ConnectionSessionManager::list(std::size_t limit) const {
  std::vector<SessionInfo> out;
  for (const auto& [id, s] : sessions_) {
    if (limit != 0 && out.size() == limit) {
      break;
    }
    out.push_back(s);
  }
  return out;
}

std::vector<StreamLocator> ConnectionSessionManager::streams_on_worker(
    std::string_view worker) const {
  std::vector<StreamLocator> out;
  for (const auto& [id, s] : sessions_) {
    for (const auto& [stream_id, st] : s.streams) {
      if (!worker.empty() && st.worker == worker) {
        out.push_back({id, stream_id});
      }
    }
  }
  return out;
}

MResult<ConnectionSessionManager::Found> ConnectionSessionManager::find_stream(
    std::string_view connection_id, std::uint64_t stream_id) {
  auto it = sessions_.find(connection_id);
  if (it == sessions_.end()) {
    return not_found("unknown connection " + std::string(connection_id));
  }
  auto st = it->second.streams.find(stream_id);
  if (st == it->second.streams.end()) {
    return not_found("unknown stream " + describe(connection_id, stream_id));
  }
  return Found{&it->second, &st->second};
}

void ConnectionSessionManager::touch(SessionInfo& s, Timestamp now) {
  s.last_activity = std::max(s.last_activity, now);
}

void ConnectionSessionManager::mark_idle(SessionInfo& s, Timestamp now) {
  if (s.idle_since != kNever) {
    idle_.erase({s.idle_since, s.connection_id});
  }
  s.idle_since = now;
  idle_.insert({now, s.connection_id});
}

}  // namespace connswap::migration
