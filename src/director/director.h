#pragma once
// director::Director: the director's sans-IO core and the one owner of its workers'
// lifecycle. It holds the WorkerPool and the StreamRouter and takes every input that changes
// either: registrations, heartbeats, drains, each worker call's items and how it ended, the
// client streams' opening, cancelling and blocking, and time. It decides what a failure
// means (one attempt failed; every attempt on the worker failed; or only the stream, when
// the fault is this director's or the request's). Bindings (src/services, a front) only
// translate protocol messages into these inputs and execute the Actions it emits.
//
// More than the ~12 public methods of STYLE 2.11 on purpose: this is the core's whole input
// surface (workers, attempts, client streams, time) plus its outputs; split again, worker
// lifecycle would have two owners, which is what this class replaced.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "director/actions.h"
#include "director/config.h"
#include "director/stream_router.h"
#include "director/stream_types.h"
#include "director/worker_pool.h"

namespace connswap::director {

// How a worker call ended without Done (or failed to start), as the binding saw it. The
// binding maps its transport's typed end cause here; the Director decides what follows.
enum class AttemptEnd : std::uint8_t {
  kWorkerRefused,    // the worker answered with an UNAVAILABLE status (draining, recovering)
  kWorkerAborted,    // the worker reset the call, stopped reading, broke the protocol, or
                     // ended it with another status or none
  kConnectionLost,   // the connection to the worker closed or timed out
  kUnreachable,      // no connection to the worker could be made
  kDeadline,         // the call's own deadline passed
  kRequestRejected,  // this director could not send the request: too large or invalid
  kLocalFailure,     // another failure on this director's side
};
std::string_view to_string(AttemptEnd end);

class Director {
 public:
  explicit Director(const DirectorConfig& config);
  Director(const Director&) = delete;
  Director& operator=(const Director&) = delete;

  // --- Workers (MGMT) ---
  // A worker registered (or registered again, reviving it): waiting streams may take it.
  void on_register(const WorkerRegistration& reg, Timestamp now);
  // A heartbeat; kNotFound if the label never registered (the worker must register again).
  Result<void> on_heartbeat(const WorkerHeartbeat& hb, Timestamp now);
  // The worker (or an operator) drains it: its streams move make-before-break. kNotFound
  // for an unknown label, else how many streams started moving.
  Result<std::size_t> on_drain(std::string_view label, Timestamp now);
  // The heartbeat interval to tell registering workers (DirectorConfig).
  Duration heartbeat_interval() const { return effective_heartbeat_interval(config_); }

  // --- Attempts (worker Generate calls started by StartAttempt) ---
  // An item of the attempt; unknown or cancelled attempts are ignored (counted).
  void on_attempt_token(AttemptId attempt,
                        std::uint64_t seq,
                        std::string text,
                        Timestamp now,
                        std::uint64_t emit_ns = 0);
  void on_attempt_error(AttemptId attempt, std::string_view message, Timestamp now);
  void on_attempt_done(AttemptId attempt, const AttemptDone& done, Timestamp now);
  // The call ended without Done, or could not start. A lost or unreachable connection
  // fails every attempt on that worker; a local or request fault ends only this stream and
  // blames no worker.
  void on_attempt_ended(AttemptId attempt, AttemptEnd end, std::string_view detail, Timestamp now);

  // A ProbeWorker's outcome (StreamRouter::on_probe_result).
  void on_probe_result(std::string_view worker, bool answered, Timestamp heard, Timestamp now) {
    router_.on_probe_result(worker, answered, heard, now);
  }

  // --- Client streams (any front) ---
  // See StreamRouter::open_stream, move_stream, on_client_cancel, on_client_blocked.
  Result<StreamKey> open_stream(StreamSpec spec, Timestamp now);
  Result<bool> move_stream(StreamKey stream, std::string_view to_worker, Timestamp now);
  void on_client_cancel(StreamKey stream, Timestamp now);
  void on_client_blocked(StreamKey stream, bool blocked, Timestamp now);

  // --- Time and outputs ---
  Timestamp deadline() const { return router_.deadline(); }
  void on_timeout(Timestamp now) { router_.on_timeout(now); }
  std::optional<Action> poll_action() { return router_.poll_action(); }
  std::optional<Event> poll_event() { return router_.poll_event(); }

  // Read-only views: the workers, and the streams (stats, status, resume points, history).
  const WorkerPool& pool() const { return pool_; }
  const StreamRouter& router() const { return router_; }

 private:
  void apply(std::string_view label, WorkerChange change, Timestamp now);

  DirectorConfig config_;
  WorkerPool pool_;
  StreamRouter router_;  // refers to pool_: declared after it
};

}  // namespace connswap::director
