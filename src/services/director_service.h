#pragma once
// DirectorService: the director's RPC binding. Serves connswap.v1.Director/Generate (USER)
// and connswap.v1.Registry/* + connswap.v1.Migration/* (MGMT) on rpc::Registries, and
// drives the director core (director::Director: worker lifecycle, routing, failover): client
// streams from any front (a ClientSink: the QUIC Generate call, or another front through
// open_stream()) become core streams, core actions become worker calls (through a
// WorkerConnector) and items written to the sinks, worker call outcomes and registry calls
// become core inputs. It keeps the migration::ConnectionSessionManager (admin listings) and,
// once enable_resume() gave it the cluster keys, hands clients resume tickets and continues
// streams from them. Sans-IO: it sees only rpc::Sessions, sinks, `now` and the wall clock
// through WallClockFn.
//
// The owner (apps/director, or a test) must:
//   1. construct it, call add_user_methods()/add_mgmt_methods() on the registries its
//      USER/MGMT listeners serve (before any Session uses them);
//   2. after every loop turn, arm a timer at deadline() and call on_timeout(now) then;
//   3. call stop() before destroying the registries' Sessions or the connector.
// Not thread-safe: one loop thread for every Session involved.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "director/actions.h"
#include "director/config.h"
#include "director/worker_pool.h"
#include "migration/keys.h"
#include "migration/session_manager.h"
#include "migration/token.h"
#include "rpc/registry.h"
#include "rpc/session.h"
#include "services/client_sink.h"
#include "services/common.h"
#include "services/director_status.h"

namespace connswap::services {

// How the director reaches workers' USER ports. Production: a pool of rpcnet channels, one
// per worker address; tests: fake links.
class WorkerConnector {
 public:
  virtual ~WorkerConnector() = default;
  // The Session of a connection to the worker at `user_addr`, connecting first if needed.
  // An error means the worker cannot be reached (treated as kConnectionRefused). The
  // Session stays valid until the connector drops it; dropping it must end its calls
  // (rpc::Session's destructor or on_connection_lost() do: UNAVAILABLE).
  virtual Result<rpc::Session*> connect(std::string_view user_addr, Timestamp now) = 0;
  // Liveness probes (DirectorConfig::probe_timeout): send an ack-eliciting packet on the
  // live connection to `user_addr`, if there is one (false: none, nothing to probe), and
  // tell when that connection last received a packet (0: never or no connection). A
  // connector without them (the default) never finds a worker unresponsive.
  virtual bool probe(std::string_view /*user_addr*/, Timestamp /*now*/) { return false; }
  virtual Timestamp last_heard(std::string_view /*user_addr*/) { return 0; }
  // That connection's QUIC probe timeout (RTT-based, quic::Connection::pto); 0 if unknown.
  // A probe waits at least 3 of them (RFC 9002's persistent-congestion span) for an answer.
  virtual Duration pto(std::string_view /*user_addr*/) { return 0; }
};

inline constexpr std::size_t kFailureReasonCount = director::kFailureReasonCount;

// Resume requests refused by a limit or a position check (issue 14 items 2 and 7;
// docs/RELIABILITY.md), and the replay cache's evictions.
struct ResumeRefusals {
  std::uint64_t replay_full = 0;     // replay cache full of single-token connection ids
  std::uint64_t per_connection = 0;  // --resume-max-per-connection
  std::uint64_t per_stream = 0;      // --resume-max-per-stream
  std::uint64_t position = 0;        // last_seq not backed by recent/delivered, or past max_tokens
  std::uint64_t evictions = 0;       // connection ids collapsed into a tombstone
};

// Metrics, as plain numbers (the app exports them).
struct DirectorStats {
  director::RouterStats router;      // streams, tokens, attempts, failovers, drains, stalls
  std::uint64_t active_streams = 0;  // client Generate calls in progress
  std::array<std::uint64_t, kFailureReasonCount> migrations_by_reason{};  // by FailureReason
  std::uint64_t failover_gaps = 0;                                        // FailoverGap events
  Duration failover_gap_max = 0;         // longest last-token -> next-token gap
  Duration failover_gap_total = 0;       // sum, for a mean
  director::WorkerCounts workers;        // by state
  std::uint64_t blocked_streams = 0;     // clients not reading now (worker calls paused)
  std::uint64_t client_blocks = 0;       // times a client stream became blocked
  std::uint64_t max_outbox = 0;          // most items ever queued for one client stream
  std::uint64_t registrations = 0;       // Register calls accepted
  std::uint64_t heartbeats_unknown = 0;  // Heartbeats answered NOT_FOUND
  std::uint64_t tickets_issued = 0;      // ResumeTicket items sent
  std::uint64_t resumes = 0;             // streams continued from a ticket
  std::uint64_t resumes_refused = 0;     // resume requests refused (bad/replayed tickets...)
  std::uint64_t requests_refused = 0;    // refused at open: over max_request_bytes()
  std::uint64_t bad_connection_ids = 0;  // refused at open: check_connection_id() failed
  ResumeRefusals resume_refusals;        // part of resumes_refused, by limit
  std::uint64_t labels_refused = 0;      // Registry calls for a label another cert owns
  // Limits (issue 14 item 3, StreamLimits): streams refused RESOURCE_EXHAUSTED at open by
  // the session book, and streams ended because their client did not read for too long.
  std::uint64_t refused_streams_per_connection = 0;  // its connection at the stream cap
  std::uint64_t refused_sessions = 0;                // a new connection id past max_sessions
  std::uint64_t blocked_too_long = 0;                // ended after StreamLimits::blocked_lifetime
  // The outbox bound after a blocked client drains (issue 14 item 4): peaks per client
  // stream and per director turn (one outside input: a client writable, an item, a timer).
  std::uint64_t max_outbox_bytes = 0;  // most protobuf bytes ever queued for one stream
  std::uint64_t max_turn_items = 0;    // most tokens forwarded to clients in one turn
  std::uint64_t max_turn_bytes = 0;    // most token bytes forwarded to clients in one turn
  std::uint64_t drain_batches = 0;     // read batches of unblocked streams' worker calls
  // The global buffer budget (issue 14 item 3, StreamLimits::max_buffered_bytes): bytes
  // held toward clients by their sinks (rpc send queues, HTTP write buffers), now and at
  // most, and times a stream's worker calls were paused because the total was over it.
  std::uint64_t buffered_bytes = 0;
  std::uint64_t max_buffered_bytes = 0;
  std::uint64_t streams_paused_by_budget = 0;
  std::uint64_t budget_paused_streams = 0;  // paused by the budget now
  // Liveness probes (issue 18; the core's probes / probes_unanswered are in `router`).
  std::uint64_t probe_pings = 0;      // PINGs sent for them
  std::uint64_t probes_extended = 0;  // judged late (this director's loop ran late): extended
  // Worker calls started in batches (StreamLimits::replace_batch): the most started in one
  // turn, and how many waited for a later turn.
  std::uint64_t max_turn_starts = 0;
  std::uint64_t starts_deferred = 0;
};

// Per-client bounds the director enforces on its streams (issue 14 item 3); apps set them
// from --max-streams-per-connection, --max-sessions and --blocked-stream-timeout-ms.
struct StreamLimits {
  std::size_t max_streams_per_connection = 1'024;  // open streams per connection id
  std::size_t max_sessions = 65'536;               // connection ids the session book holds
  // A client that has not taken a byte for this long while its stream is blocked (its
  // worker paused, stall detection off) has the stream ended RESOURCE_EXHAUSTED.
  Duration blocked_lifetime = 120 * kSecond;
  // When a blocked client reads again, its paused worker calls are read in batches of this
  // many message bytes, one batch per turn, and only while the client's sink takes them
  // (issue 14 item 4). At least 1.
  std::size_t drain_batch_bytes = std::size_t{256} << 10;
  // Bytes held toward all clients at once (every stream's sink). Above it, a stream that
  // is written to has its worker calls paused, as if its client were slow, until the total
  // falls to 3/4 of it; nothing is dropped. Checked every budget_check_interval while over.
  std::size_t max_buffered_bytes = std::size_t{256} << 20;
  Duration budget_check_interval = 10 * kMillisecond;
  // Worker calls started per director turn (issue 18): a failover that re-places many
  // streams at once starts them in batches of this many, one batch per turn (deadline()
  // is then now), so the owner sends each batch before the next is encoded. 0 = no limit.
  std::size_t replace_batch = 0;
};

// Worker-request bytes beyond the client's own request: the start_seq the director sets
// (tag + 10-byte varint at most) and slack.
inline constexpr std::size_t kWorkerRequestMargin = 16;

// The largest client Generate request (protobuf bytes) a director with `config` forwards:
// the 4 MiB worker frame less the largest prefix a migration may add (prefix_max_bytes +
// kPrefixEntryOverhead x prefix_max_tokens, at most half the frame by validate()) less
// kWorkerRequestMargin. A larger request is refused INVALID_ARGUMENT at open.
std::size_t max_request_bytes(const director::DirectorConfig& config);

// Resume tickets (docs/PROTOCOL.md §8.6).
struct ResumeConfig {
  std::uint32_t every_tokens = 32;  // a fresh ticket after this many tokens...
  Duration every = 1 * kSecond;     // ...or at the first token this long after the last one
  std::uint64_t ttl_seconds = 300;  // token lifetime
  migration::TokenPolicy policy;    // clock skew, replay cache size
  // Fresh streams' ids start here; 0 = at random below 2^52. A resumed stream keeps the id
  // another director (or this one before a restart) gave it, so ids numbered from 1 on
  // every director met: a resume then cancelled the fresh stream holding its id.
  std::uint64_t first_stream_id = 0;
};

// Wall-clock Unix seconds (tokens and snapshots cross processes); read by the owner.
using WallClockFn = std::function<migration::UnixSeconds()>;

class DirectorService {
 public:
  // `connector` must outlive the service; `now` reads the owner's clock.
  DirectorService(const director::DirectorConfig& config, WorkerConnector& connector, NowFn now);
  ~DirectorService();
  DirectorService(const DirectorService&) = delete;
  DirectorService& operator=(const DirectorService&) = delete;

  // Registers Director/Generate. kInvalidArgument if already registered there.
  [[nodiscard]] Result<void> add_user_methods(rpc::Registry& user);
  // A client stream from another front: `request` as a Generate request (a fresh one, or a
  // Resume), `connection_id` the client's ("" = make one). The stream's items go to `sink`,
  // which is finished with an error status at once if the stream cannot open.
  void open_stream(std::unique_ptr<ClientSink> sink,
                   std::string connection_id,
                   const v1::GenerateRequest& request);
  // Registers Registry/Register, Registry/Heartbeat, Registry/Drain and
  // Migration/DrainWorker, Migration/MoveStream, Migration/ListSessions. The owner guards
  // them (apps/common mgmt_auth): the service itself does not authenticate.
  [[nodiscard]] Result<void> add_mgmt_methods(rpc::Registry& mgmt);
  // Turns resume on: tickets signed and sealed with `keyring`'s current key; tickets of
  // any of its keys are accepted. Off by default (a resume request is FAILED_PRECONDITION).
  // Call before the first stream; a later call replaces the keys but keeps the replay cache.
  void enable_resume(migration::Keyring keyring, const ResumeConfig& config, WallClockFn wall_now);

  // Replaces the stream limits (defaults: StreamLimits{}). Call before the first stream.
  void set_stream_limits(const StreamLimits& limits);

  // When on_timeout() must next run (heartbeat expiry, stalls, worker waits).
  Timestamp deadline() const;
  void on_timeout(Timestamp now);

  // Ends every client stream with UNAVAILABLE and cancels every worker call; later calls
  // are refused with UNAVAILABLE. Idempotent; the destructor calls it.
  void stop();

  DirectorStats stats() const;
  // max_request_bytes() of this director's config: the HTTP front's 413 bound.
  std::size_t max_request_bytes() const;
  // Runs `fn(gap)` for every failover gap (last token of the old worker -> first token of
  // the new one), as it is measured; stats() keep only the max and total. For histograms.
  // One observer; a later call replaces it.
  void on_failover_gap(std::function<void(Duration)> fn);
  // The models the registered, reachable workers announce (sorted, each once): GET
  // /v1/models.
  std::vector<std::string> models() const;
  // The pool (read-only), for admin listings and tests.
  const director::WorkerPool& pool() const;
  // The client sessions (read-only), for admin listings and tests; token counts current.
  const migration::ConnectionSessionManager& sessions() const;

  // Status for operators (director_status.cc; the HTTP front's status page): every worker
  // with its health and rates; every open stream with its migrations (one pass over the
  // session book); the failover gaps so far.
  std::vector<StatusWorker> worker_status() const;
  std::vector<StatusStream> stream_status() const;
  GapHistogram gap_histogram() const;
  // Runs `fn` for each migration, failover gap and worker health change (and at once for
  // every worker's current health), inside the director's turn: `fn` must not call back
  // into the service. One observer; a later call replaces it.
  void on_status_event(std::function<void(const StatusEvent&)> fn);

  // The heartbeat interval told to workers (director::effective_heartbeat_interval).
  static Duration heartbeat_interval(const director::DirectorConfig& config);

  class Impl;  // detail/director_impl.h

 private:
  // Shared only so that registry handlers, which may outlive the service, hold a weak_ptr.
  std::shared_ptr<Impl> impl_;
};

}  // namespace connswap::services
