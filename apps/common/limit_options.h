#pragma once
// connswap-director's limits (issue 14 item 3; docs/RELIABILITY.md "Limits"): connection
// caps and Retry on the USER port, streams per connection, the session book's size and
// the blocked-stream lifetime, each a flag and a CONNECTION_SWAP_DIRECTOR_* variable.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/time.h"
#include "common/serve.h"
#include "services/director_service.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

inline constexpr std::size_t kMinDrainBatchBytes = 1'024;                  // --drain-batch-bytes
inline constexpr std::size_t kMaxDrainBatchBytes = std::size_t{64} << 20;  // ...bounds
inline constexpr std::size_t kMinBufferedBytes = std::size_t{1} << 20;     // --max-buffered-bytes
inline constexpr std::size_t kMaxWorkerConnections = 16;                   // --worker-connections

struct LimitArgs {
  std::size_t max_connections = 4'096;            // USER connections at once
  std::size_t max_connections_per_address = 256;  // ...from one source IP
  std::uint32_t max_streams_per_connection = 1'024;
  std::size_t max_sessions = 65'536;  // connection ids in the session book
  Duration blocked_stream_timeout = 120 * kSecond;
  std::uint32_t retry_above_per_second = 1'000;  // new handshakes/s before Retry; 0 = always
  // Issue 14 item 4: worker bytes read per turn for a client that reads again after blocking.
  std::size_t drain_batch_bytes = std::size_t{256} << 10;
  // Issue 14 item 3: bytes held toward all clients at once before streams are paused.
  std::size_t max_buffered_bytes = std::size_t{256} << 20;
  // Issue 18: worker calls started per turn (a failover's re-placements in batches); 0 = all
  // at once, the default: batches of 25-200 made the 1,000-stream failover gap longer.
  std::size_t replace_batch = 0;
  // Issue 18: QUIC connections from the director to each worker, calls spread over them
  // (each has its own congestion window: a failover's requests go out over all of them).
  std::size_t worker_connections = 1;
};

// Adds --max-connections, --max-connections-per-address, --max-streams-per-connection,
// --max-sessions, --blocked-stream-timeout-ms, --retry-above-handshakes-per-s,
// --drain-batch-bytes, --max-buffered-bytes, --replace-batch and --worker-connections.
void add_limit_options(CLI::App& app, LimitArgs& args);

// kInvalidArgument naming the option: every cap >= 1, per-address <= total, timeout > 0,
// drain batch within [kMinDrainBatchBytes, kMaxDrainBatchBytes], buffered bytes >=
// kMinBufferedBytes.
Result<void> validate_limits(const LimitArgs& args);

// "max_connections=... retry_above_per_s=..." for the startup line.
std::string describe_limits(const LimitArgs& args);

// The USER listener's limits and the service's.
ServeLimits user_port_limits(const LimitArgs& args);
services::StreamLimits stream_limits(const LimitArgs& args);

}  // namespace connswap::app
