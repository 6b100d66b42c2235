#pragma once
// The connswap.v1.Migration admin service (DrainWorker, MoveStream, ListSessions) as plain
// commands: request validation, target resolution and response building. The director's
// MGMT binding decodes a request, calls from_proto(), acts (drain / handover per stream) and
// answers with the helpers below. Errors map to statuses: kInvalidArgument ->
// INVALID_ARGUMENT, kNotFound -> NOT_FOUND.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <connswap/v1/migration.pb.h>

#include "base/time.h"
#include "migration/error.h"
#include "migration/session_manager.h"

namespace connswap::migration {

struct DrainWorkerCommand {
  std::string worker;
};

struct MoveStreamCommand {
  std::string connection_id;
  std::optional<std::uint64_t> stream_id;  // nullopt: every open stream of the connection
  std::string to_worker;                   // "" = any selectable worker
};

struct ListSessionsQuery {
  std::string connection_id;  // "" = all
  std::size_t limit = 0;      // 0 = no limit
};

// kInvalidArgument without a worker label.
MResult<DrainWorkerCommand> from_proto(const v1::DrainWorkerRequest& request);
// kInvalidArgument without a target, or with an empty connection id.
MResult<MoveStreamCommand> from_proto(const v1::MoveStreamRequest& request);
ListSessionsQuery from_proto(const v1::ListSessionsRequest& request);

// The open streams `command` names, by stream id. kNotFound for an unknown connection or
// stream, or a connection without open streams.
MResult<std::vector<StreamLocator>> resolve(const MoveStreamCommand& command,
                                            const ConnectionSessionManager& sessions);

// Responses. Times become ages relative to `now` (monotonic stamps mean nothing outside).
v1::ListSessionsResponse list_sessions(const ConnectionSessionManager& sessions,
                                       const ListSessionsQuery& query,
                                       Timestamp now);
void to_proto(const SessionInfo& session, Timestamp now, v1::SessionInfo& out);
v1::MoveStreamResponse to_proto(std::span<const StreamLocator> moving);

}  // namespace connswap::migration
