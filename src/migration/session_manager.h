#pragma once
// ConnectionSessionManager: the director's book of client connections (connection id ->
// session -> open streams) with per-session figures, for admin listings, MoveStream /
// DrainWorker lookups and resume-token accounting. A session whose last stream closed is
// kept for `retention`, then forgotten by on_timeout(). Sans-IO; `now` is the monotonic
// Timestamp. Unknown ids in updates are kNotFound (the caller may ignore them).

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.h"
#include "migration/error.h"
#include "migration/state_machine.h"

namespace connswap::migration {

struct SessionConfig {
  Duration retention = 60 * kSecond;            // an idle session is forgotten after this
  std::size_t max_sessions = 65'536;            // open_stream of a new session fails above
  std::size_t max_streams_per_session = 1'024;  // open streams per connection
};

struct StreamInfo {
  std::uint64_t stream_id = 0;
  std::string worker;  // "" while selecting
  MigrationState state = MigrationState::kSelecting;
  std::uint64_t tokens = 0;
  std::uint32_t migrations = 0;
  Timestamp opened_at = 0;
  Timestamp last_activity = 0;
};

struct SessionInfo {
  std::string connection_id;
  bool connection_open = true;
  Timestamp created_at = 0;
  Timestamp last_activity = 0;
  Timestamp idle_since = kNever;  // when its last open stream closed; kNever while busy
  std::uint64_t streams_opened = 0;
  std::uint64_t streams_completed = 0;  // closed kCompleted
  std::uint64_t streams_failed = 0;     // closed kFailed
  std::uint64_t streams_aborted = 0;    // closed kAborted (or open when the connection closed)
  std::uint64_t tokens = 0;             // forwarded on all its streams
  std::uint64_t migrations = 0;         // of all its streams
  std::uint64_t resume_tokens = 0;      // resume tokens issued to it
  std::map<std::uint64_t, StreamInfo> streams;  // open streams by stream id
};

// A stream by the ids the client knows.
struct StreamLocator {
  std::string connection_id;
  std::uint64_t stream_id = 0;
  bool operator==(const StreamLocator&) const = default;
};

class ConnectionSessionManager {
 public:
  explicit ConnectionSessionManager(const SessionConfig& config) : config_(config) {}

  // Opens a stream, creating or reviving its session. kInvalidArgument for an empty id or a
  // stream id already open; kResourceExhausted past max_sessions / max_streams_per_session.
  MResult<void> open_stream(std::string_view connection_id, std::uint64_t stream_id, Timestamp now);
  // The stream's state and worker changed (worker "" = none). Counts a migration when
  // `migrated` (a Migrated event went to the client).
  MResult<void> on_stream_state(const StreamLocator& stream,
                                MigrationState state,
                                std::string_view worker,
                                bool migrated,
                                Timestamp now);
  // `count` tokens were forwarded on the stream (the director's per-token path: ids by view,
  // no locator to build).
  MResult<void> on_tokens(std::string_view connection_id,
                          std::uint64_t stream_id,
                          std::uint64_t count,
                          Timestamp now);
  // A resume token was issued to the connection.
  MResult<void> on_resume_token(std::string_view connection_id, Timestamp now);
  // The stream ended in terminal `state` (else kInvalidArgument) and is forgotten; the
  // session is idle once none is left open.
  MResult<void> close_stream(const StreamLocator& stream, MigrationState state, Timestamp now);
  // The client connection closed: its open streams close as kAborted; the session is idle.
  MResult<void> on_connection_closed(std::string_view connection_id, Timestamp now);

  // Forgets sessions idle for `retention` at `now`; returns how many.
  std::size_t on_timeout(Timestamp now);
  // When the next idle session expires; kNever if none.
  Timestamp deadline() const;

  const SessionInfo* find(std::string_view connection_id) const;  // nullptr if unknown
  std::vector<SessionInfo> list(std::size_t limit = 0) const;     // by id; 0 = all
  std::vector<StreamLocator> streams_on_worker(std::string_view worker) const;
  std::size_t size() const { return sessions_.size(); }

 private:
  struct Found {
    SessionInfo* session;
    StreamInfo* stream;
  };
  // One lookup of the session, one of the stream; kNotFound naming what is missing.
  MResult<Found> find_stream(std::string_view connection_id, std::uint64_t stream_id);
  void touch(SessionInfo& s, Timestamp now);
  void mark_idle(SessionInfo& s, Timestamp now);

  SessionConfig config_;
  std::map<std::string, SessionInfo, std::less<>> sessions_;
  std::set<std::pair<Timestamp, std::string>> idle_;  // (idle_since, connection id)
};

}  // namespace connswap::migration
