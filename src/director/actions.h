#pragma once
// What the StreamRouter asks the RPC binding to do (Action) and what it reports for logs
// and metrics (Event). Plain structs: the binding maps them to protobuf and RPC calls.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/generate.h"
#include "base/time.h"
#include "director/token_window.h"
#include "migration/state_machine.h"

namespace connswap::director {

using StreamKey = std::uint64_t;  // router-assigned per client stream; never 0
using AttemptId = std::uint64_t;  // router-assigned per worker attempt; never 0, never reused

// Why an attempt stopped being usable. to_string() gives the `reason` sent in Migrated.
enum class FailureReason : std::uint8_t {
  kWorkerError,        // in-band error item from the worker
  kStreamReset,        // the worker's stream was reset or ended without Done
  kConnectionLost,     // the QUIC connection to the worker closed or timed out
  kConnectionRefused,  // connect failed / ICMP unreachable: the worker is not running
  kStall,              // no token within the stream's progress deadline
  kGap,                // the worker skipped a sequence number (protocol error)
  kHeartbeatLost,      // the worker's heartbeat expired on MGMT
  kDrain,              // planned: the worker drains (make-before-break)
  kMoved,              // planned: an operator moved the stream (make-before-break)
};
inline constexpr std::size_t kFailureReasonCount = 9;
std::string_view to_string(FailureReason reason);

// gRPC-compatible numeric values, so the binding can map them one to one.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 3,
  kInternal = 13,
  kUnavailable = 14,
};
std::string_view to_string(StatusCode code);

// Open a Generate stream on `worker` (at `worker_addr`) with `request` (its start_seq is
// the resume point) and `prefix` (the delivered tokens just before it, oldest first: all
// start_seq - 1 of them within the prefix bounds of DirectorConfig, else the newest
// delivered_window). Feed its items back with `attempt`. The prefix is a copy of the
// stream's window, one buffer: re-placing a worker's streams costs no allocation per token.
struct StartAttempt {
  StreamKey stream = 0;
  AttemptId attempt = 0;
  std::string worker;
  std::string worker_addr;
  GenerateRequest request;
  TokenWindow prefix;
};
// Stop the attempt's upstream call if still open (reset it) and forget `attempt`; items
// that still arrive for it are ignored. Harmless if the call already ended.
struct CancelAttempt {
  StreamKey stream = 0;
  AttemptId attempt = 0;
  std::string worker;
};
// Send Token{seq, text} to the client; `worker` produced it (for logs). `emit_ns` is the
// worker's emit time as it reported it (opaque here, 0 = unknown), passed through.
struct ForwardToken {
  StreamKey stream = 0;
  std::uint64_t seq = 0;
  std::string text;
  std::string worker;
  std::uint64_t emit_ns = 0;
};
// Send Assigned{connection_id, stream_id, worker} to the client (first worker only).
struct SendAssigned {
  StreamKey stream = 0;
  std::string worker;
};
// Send Migrated{from, to, reason, resume_seq} to the client before the new worker's tokens.
struct SendMigrated {
  StreamKey stream = 0;
  std::string from;
  std::string to;
  std::string reason;
  std::uint64_t resume_seq = 0;
};
// End the client stream: Done{tokens} then the Status trailer when code is kOk, else the
// error trailer. Always the last action for `stream`; the key is forgotten after it.
struct FinishStream {
  StreamKey stream = 0;
  StatusCode code = StatusCode::kOk;
  std::string message;
  std::uint64_t tokens = 0;         // tokens forwarded on this stream
  std::uint64_t prompt_tokens = 0;  // as the worker that finished it counted them
  // kUnavailable only: where the stream stopped, so the binding can hand out a resume
  // ticket (next_seq 0 otherwise); `window` is the newest delivered_window tokens.
  std::uint64_t next_seq = 0;
  std::vector<std::string> window;
  std::uint32_t migrations = 0;
  std::uint32_t failovers = 0;  // counted against the migration limit
};
// Liveness probe (DirectorConfig::probe_timeout): PING the connection to `worker` (at
// `worker_addr`) and report with Director::on_probe_result whether any packet came back
// within probe_timeout. Never two at once for one worker.
struct ProbeWorker {
  std::string worker;
  std::string worker_addr;
};
using Action = std::variant<StartAttempt,
                            CancelAttempt,
                            ForwardToken,
                            SendAssigned,
                            SendMigrated,
                            FinishStream,
                            ProbeWorker>;

// Identifies a stream in events, self-contained for log lines (seed: `stream.id=...
// connection.id=...`), valid even after the stream is gone.
struct StreamRef {
  StreamKey stream = 0;
  std::string connection_id;
  std::uint64_t stream_id = 0;
};
// "worker assigned to stream" (info).
struct WorkerAssigned {
  StreamRef ref;
  std::string worker;
};
// "worker failed - initiating connection migration" (warn); also for a failed standby.
struct WorkerFailed {
  StreamRef ref;
  std::string worker;
  FailureReason reason = FailureReason::kWorkerError;
  std::string detail;
};
// "migrating connection to new worker" (info).
struct MigratingStream {
  StreamRef ref;
  std::string from;
  std::string to;
  FailureReason reason = FailureReason::kWorkerError;
  std::uint64_t resume_seq = 0;
};
// Failover gap: last token forwarded before the switch -> first token forwarded after it.
struct FailoverGap {
  StreamRef ref;
  std::string from;
  std::string to;
  Duration gap = 0;
};
// No selectable worker: the stream waits up to worker_wait (warn).
struct WaitingForWorker {
  StreamRef ref;
  Timestamp until = 0;
};
// The stream's migration state machine moved to `state` (debug; admin listings). `worker`
// is the primary attempt's worker after the transition ("" while selecting).
struct StateChanged {
  StreamRef ref;
  migration::MigrationState state = migration::MigrationState::kSelecting;
  std::string worker;
};
// A liveness probe went unanswered for `silent_for` (probe_timeout): the worker is hung,
// stopped or cut off, and every attempt on it fails next (warn).
struct WorkerUnresponsive {
  std::string worker;
  Duration silent_for = 0;
};
using Event = std::variant<WorkerAssigned,
                           WorkerFailed,
                           WorkerUnresponsive,
                           MigratingStream,
                           FailoverGap,
                           WaitingForWorker,
                           StateChanged>;

// Counters for metrics; monotonic over the router's life.
struct RouterStats {
  std::uint64_t streams_opened = 0;
  std::uint64_t streams_ok = 0;
  std::uint64_t streams_cancelled = 0;
  std::uint64_t streams_unavailable = 0;
  std::uint64_t streams_refused = 0;  // ended INVALID_ARGUMENT / INTERNAL: not forwardable
  std::uint64_t tokens_forwarded = 0;
  std::uint64_t duplicates_dropped = 0;  // seq < next_seq (includes drain overlap)
  std::uint64_t stale_dropped = 0;       // items for cancelled/unknown attempts
  std::uint64_t attempts_started = 0;
  std::uint64_t failovers = 0;  // migrations caused by failures
  std::uint64_t drains = 0;     // make-before-break switchovers off a draining worker
  std::uint64_t moves = 0;      // make-before-break switchovers ordered by an operator
  std::uint64_t stalls = 0;
  std::uint64_t probes = 0;                 // ProbeWorker actions (silent streams)
  std::uint64_t probes_unanswered = 0;      // workers found unresponsive by a probe
  std::uint64_t probes_no_alternative = 0;  // unanswered, but no other worker: not failed
  std::uint64_t gaps = 0;
  std::uint64_t illegal_transitions = 0;  // refused by a stream's state machine (a bug)
  // Drain/move standbys restarted because they came up behind the old worker.
  std::uint64_t handover_retries = 0;
  // Streams whose kept prefix stopped being the whole answer so far (a bound reached,
  // max_tokens 0 past delivered_window, a resume without the client's delivered tokens):
  // a worker that needs the whole prefix (a model server) cannot continue them.
  std::uint64_t prefixes_truncated = 0;
  std::uint64_t prefix_bytes = 0;  // a gauge: heap bytes the live streams' prefixes hold
};

}  // namespace connswap::director
