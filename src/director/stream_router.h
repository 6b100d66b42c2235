#pragma once
// The director's heart: every client Generate stream, the worker attempt(s) serving it,
// exactly-once in-order forwarding, failure detection and migration. Each stream's lifecycle
// is a migration::MigrationStateMachine: every transition (and so every real migration) goes
// through its table, with a reason, into its history; a refused one is logged and counted.
// Sans-IO: inputs carry `now`; outputs are polled (poll_action/poll_event); deadline() says
// when to call on_timeout(). O(1) expected per token; timers are a lazy min-heap touched
// only when a deadline moves earlier or fires.

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "base/fifo.h"
#include "base/generate.h"
#include "base/time.h"
#include "director/actions.h"
#include "director/config.h"
#include "director/detail/router_state.h"
#include "director/stream_types.h"
#include "director/token_window.h"
#include "director/worker_pool.h"
#include "migration/state_machine.h"

namespace connswap::director {

// The Director's engine (director.h), so its entry points mirror the Director's and exceed
// STYLE's ~12 public methods for the same reason: one class takes every input that can
// change a stream. Use it through director::Director; tests drive it directly.
class StreamRouter {
 public:
  // `pool` must outlive the router. The router updates it (failures, attempt counts) and
  // expires it from on_timeout(); registrations and heartbeats go to the pool directly and
  // the binding reports their WorkerChange here (kBecameSelectable -> on_worker_available,
  // kDraining -> on_worker_draining, kLost -> on_worker_lost).
  StreamRouter(const DirectorConfig& config, WorkerPool& pool);

  // A client opened a Generate stream. kInvalidArgument if request.start_seq == 0. Emits
  // StartAttempt + SendAssigned, or waits for a worker; a request already past its end
  // finishes at once.
  Result<StreamKey> open_stream(std::string connection_id,
                                std::uint64_t stream_id,
                                GenerateRequest request,
                                Timestamp now);
  Result<StreamKey> open_stream(StreamSpec spec, Timestamp now);

  // Items from a worker attempt. Unknown or cancelled attempts are ignored (counted).
  // `emit_ns` (the worker's emit time, opaque) travels to the token's ForwardToken.
  void on_worker_token(AttemptId attempt,
                       std::uint64_t seq,
                       std::string text,
                       Timestamp now,
                       std::uint64_t emit_ns = 0);
  void on_worker_done(AttemptId attempt, const AttemptDone& done, Timestamp now);
  void on_worker_error(AttemptId attempt,
                       FailureReason reason,
                       std::string_view detail,
                       Timestamp now);
  // The attempt's request could not be sent for a reason local to this director (it does
  // not encode within the frame limit, say): the stream ends with `code` (kInvalidArgument
  // when the request is at fault, else kInternal). No worker is blamed or held.
  void on_attempt_unusable(AttemptId attempt,
                           StatusCode code,
                           std::string_view detail,
                           Timestamp now);

  // Worker-level signals: every attempt on `label` fails / starts make-before-break / a
  // worker became selectable (waiting streams get it). on_worker_draining returns how many
  // streams started moving off the worker.
  void on_worker_lost(std::string_view label, FailureReason reason, Timestamp now);
  std::size_t on_worker_draining(std::string_view label, Timestamp now);
  void on_worker_available(std::string_view label, Timestamp now);

  // An operator moves `stream` make-before-break (Migrated.reason "move"): a standby attempt
  // starts at next_seq on `to_worker` ("" = any selectable worker but the current one), and
  // whichever attempt delivers first wins. True if a move started; false if the stream is
  // not streaming (waiting, already handing over) or already on `to_worker`. kNotFound for
  // an unknown stream; kUnavailable if `to_worker` is not selectable or no worker is free.
  Result<bool> move_stream(StreamKey stream, std::string_view to_worker, Timestamp now);

  // The client reset or cancelled the stream: cancels its attempts, FinishStream(kCancelled).
  void on_client_cancel(StreamKey stream, Timestamp now);
  // The client stopped (true) or resumed (false) reading: the binding paused the worker
  // attempts, so stall detection is suspended while blocked and restarts from `now`.
  void on_client_blocked(StreamKey stream, bool blocked, Timestamp now);

  // The outcome of a ProbeWorker: `answered` if the worker's connection received any packet
  // since the probe started (the last at `heard`). Unanswered: every attempt on the worker
  // fails at once (reason stall) and the worker is lost until it heartbeats again.
  void on_probe_result(std::string_view worker, bool answered, Timestamp heard, Timestamp now);

  // Fires pool expiry, stall deadlines and worker waits due at `now`.
  void on_timeout(Timestamp now);
  // When on_timeout() must next run (may be early, never late); kNever if nothing pending.
  Timestamp deadline() const;

  // Next action for the binding to execute, in order; nullopt when none is pending. Drain
  // after every input. Actions of one stream keep their order (Migrated before its tokens).
  std::optional<Action> poll_action();
  // Next log/metric event; the binding may ignore them.
  std::optional<Event> poll_event();

  // Counters for metrics.
  const RouterStats& stats() const { return stats_; }
  // Streams not yet finished.
  std::size_t active_streams() const { return streams_.size(); }
  // A snapshot of `stream`, or nullopt once it has finished.
  std::optional<StreamStatus> status(StreamKey stream) const;
  // The stream's resume point, or nullopt once it has finished.
  std::optional<ResumePoint> resume_point(StreamKey stream) const;
  // The worker of a live attempt, or nullptr for an unknown or finished one.
  const std::string* worker_of(AttemptId attempt) const;
  // The stream's migration state machine (its history), or nullptr once it has finished.
  const migration::MigrationStateMachine* machine(StreamKey stream) const;

 private:
  using Attempt = detail::RouterAttempt;
  using Stream = detail::RouterStream;
  using Timer = detail::RouterTimer;

  // Held by every public entry point: when the outermost one returns, settle() re-arms
  // each stream the input touched and forgets finished ones.
  class Settle {
   public:
    explicit Settle(StreamRouter& router) : router_(router) { ++router_.input_depth_; }
    ~Settle() {
      if (--router_.input_depth_ == 0) {
        router_.settle();
      }
    }
    Settle(const Settle&) = delete;
    Settle& operator=(const Settle&) = delete;

   private:
    StreamRouter& router_;
  };
  // stream_router.cc: inputs and forwarding. The finders touch() what they find.
  Stream* find_by_attempt(AttemptId attempt);
  Stream* find_stream(StreamKey key);
  void touch(Stream& s);
  void settle();
  void forward(
      Stream& s, std::uint64_t seq, std::string text, Timestamp now, std::uint64_t emit_ns);
  void switchover(Stream& s, Timestamp now);
  // The delivered prefix (the next worker's): seeded at open, extended per token.
  void init_prefix(Stream& s, const std::vector<std::string>& given);
  void keep_token(Stream& s, std::string_view text);
  void truncated(Stream& s);
  // Applies `event` to the stream's machine and reports the new state; false (logged by
  // the machine, counted in illegal_transitions) if the table refuses it.
  bool transition(Stream& s,
                  migration::MigrationEvent event,
                  std::string_view reason,
                  Timestamp now);
  void finish(Stream& s, StatusCode code, std::string message, Timestamp now);
  void reap();
  static bool finished(const Stream& s) { return s.machine.terminal(); }
  // stream_router_attempts.cc: attempts, failures, waits, timers.
  void start_attempt(Stream& s, const WorkerInfo& w, Attempt& slot, Timestamp now);
  void release(Stream& s, Attempt& a, bool cancel);
  bool try_assign(Stream& s, std::span<const std::string> exclude, Timestamp now);
  void wait_for_worker(Stream& s, Timestamp now);
  void fail_attempt(
      Stream& s, AttemptId id, FailureReason reason, std::string detail, Timestamp now);
  void fail_primary(Stream& s, FailureReason reason, std::string detail, Timestamp now);
  void wake_waiters(Timestamp now);
  void on_stream_timer(Stream& s, Timestamp now);
  void on_machine_timeout(Stream& s, const migration::Transition& t, Timestamp now);
  bool start_handover(Stream& s, const WorkerInfo& w, FailureReason why, Timestamp now);
  // stream_router_handover.cc: when a make-before-break standby starts, and who wins.
  bool arm_handover(Stream& s, const WorkerInfo& w, FailureReason why, Timestamp now);
  bool early_in_interval(const Stream& s, Timestamp now) const;
  bool start_standby(Stream& s, const WorkerInfo& w, Timestamp now);
  bool standby_slot_free();
  void start_pending_handover(Stream& s, Timestamp now);
  void on_standby_behind(Stream& s, std::uint64_t seq, Timestamp now);
  void on_standby_race(const Stream& s, bool took_over, Timestamp now);
  Timestamp attempt_deadline(const Stream& s, const Attempt& a) const;
  // stream_router_probes.cc: liveness probes (DirectorConfig::probe_timeout).
  static Timestamp silence_start(const Stream& s, const Attempt& a);
  Timestamp probe_deadline(const Stream& s, const Attempt& a) const;
  void probe_if_silent(Stream& s, Attempt& a, Timestamp now);
  void start_probe(const std::string& worker, Timestamp now);
  bool another_worker_for(std::string_view worker, Timestamp now) const;
  Timestamp stream_deadline(const Stream& s) const;
  void rearm(Stream& s);

  DirectorConfig config_;
  migration::MigrationConfig machine_config_;
  WorkerPool& pool_;
  std::unordered_map<StreamKey, Stream> streams_;
  std::unordered_map<AttemptId, StreamKey> attempts_;
  std::map<std::string, std::unordered_set<AttemptId>, std::less<>> by_worker_;  // few workers
  std::set<StreamKey> waiting_;   // streams in kSelecting, oldest key first
  std::set<StreamKey> standbys_;  // streams whose drain/move standby may still be starting
  // Standbys that may be starting at once: halved when one started since the last cut
  // comes up one token behind, +1 per standby that takes over, within [1, handover_window].
  std::uint32_t standby_window_;
  Timestamp window_cut_at_ = 0;
  std::map<std::string, detail::RouterProbe, std::less<>> probes_;  // workers probed now
  std::vector<StreamKey> finished_;
  std::vector<StreamKey> touched_;  // streams this input touched (Settle)
  int input_depth_ = 0;             // Settles alive: public entry points on the stack
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  // Not std::deque: an Action is ~200 bytes, so a deque node holds two and every other
  // forwarded token cost a 512-byte malloc/free; a Fifo reuses its vector.
  Fifo<Action> actions_;
  Fifo<Event> events_;
  RouterStats stats_;
  StreamKey next_stream_ = 1;
  AttemptId next_attempt_ = 1;
};

}  // namespace connswap::director
