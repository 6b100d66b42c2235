#pragma once
// Shared by the service bindings: method names, the metadata key carrying the client's
// connection id, and the clock seam.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "rpc/call.h"

namespace connswap::services {

// Method names (docs/PROTOCOL.md §7). USER ports serve Generate; MGMT ports the rest.
inline constexpr std::string_view kDirectorGenerate = "connswap.v1.Director/Generate";
inline constexpr std::string_view kWorkerGenerate = "connswap.v1.Worker/Generate";
inline constexpr std::string_view kRegistryRegister = "connswap.v1.Registry/Register";
inline constexpr std::string_view kRegistryHeartbeat = "connswap.v1.Registry/Heartbeat";
inline constexpr std::string_view kRegistryDrain = "connswap.v1.Registry/Drain";
inline constexpr std::string_view kWorkerAdminHealth = "connswap.v1.WorkerAdmin/Health";
inline constexpr std::string_view kMigrationDrainWorker = "connswap.v1.Migration/DrainWorker";
inline constexpr std::string_view kMigrationMoveStream = "connswap.v1.Migration/MoveStream";
inline constexpr std::string_view kMigrationListSessions = "connswap.v1.Migration/ListSessions";

// Call metadata key: the client's connection id, echoed in Assigned and passed on to the
// worker so that all three processes log the same `connection.id`.
inline constexpr std::string_view kConnectionIdKey = "connection-id";

// The current time on the owner's monotonic clock (net::Loop::now() in the apps, a
// virtual clock in tests). Services read it only when an RPC callback brings an input
// without a `now` of its own; they never read a real clock.
using NowFn = std::function<Timestamp()>;

// The `connection-id` metadata of `call`, or "" if absent.
std::string connection_id_of(const rpc::Call& call);

// Longest connection id a client may choose (the director refuses longer ones).
inline constexpr std::size_t kMaxConnectionIdBytes = 128;

// A client-chosen connection id must be 1..kMaxConnectionIdBytes bytes of [A-Za-z0-9._:-]
// (so it is safe in log lines, tickets and session listings). kInvalidArgument saying
// what is wrong, without echoing the id.
Result<void> check_connection_id(std::string_view id);

}  // namespace connswap::services
