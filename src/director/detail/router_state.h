#pragma once
// Private to StreamRouter: the per-stream state it keeps (one RouterStream per client stream,
// with its primary and, during a handover, standby attempt) and its lazy timer entries.

#include <cstdint>
#include <string>

#include "base/generate.h"
#include "base/time.h"
#include "director/actions.h"
#include "director/token_window.h"
#include "migration/state_machine.h"

namespace connswap::director::detail {

// `d` x `factor` (a deadline window from a mean gap).
inline Duration scaled(double factor, Duration d) {
  return static_cast<Duration>(factor * static_cast<double>(d));
}

// A liveness probe out for one worker (StreamRouter::probe_if_silent): when it started and
// the latest suspicion it absorbed (an attempt that fell silent while it was out).
struct RouterProbe {
  Timestamp started = 0;
  Timestamp latest_absorbed = 0;
};

struct RouterAttempt {
  AttemptId id = 0;  // 0 = none
  std::string worker;
  Timestamp started = 0;
  bool delivered = false;  // sent at least one acceptable token
  // Its last in-order token, a duplicate too: a standby that took over behind the stream
  // (a model server regenerating what the old worker already sent) is alive, not stalled.
  Timestamp heard = 0;
  // The start of the silence its worker was last probed for (a token starts a new one).
  Timestamp probed_for = kNever;
};
struct RouterStream {
  RouterStream(StreamRef r,
               GenerateRequest req,
               const migration::MigrationConfig& mc,
               Timestamp now);

  StreamRef ref;
  GenerateRequest request;
  migration::MigrationStateMachine machine;  // the lifecycle; terminal = finished
  std::uint64_t next_seq = kFirstSeq;
  std::uint64_t forwarded = 0;
  // The delivered prefix, oldest first: every token while prefix_whole, else the newest
  // delivered_window (stream_router.cc, keep_token).
  TokenWindow window;
  bool prefix_whole = true;  // window holds every token before next_seq
  RouterAttempt primary;
  RouterAttempt standby;                                  // only in kHandover
  FailureReason handover_reason = FailureReason::kDrain;  // kDrain or kMoved
  std::uint64_t prompt_tokens = 0;                        // from the worker's Done
  std::uint32_t migrations = 0;  // Migrated events sent (failovers + drains + moves)
  std::string failed_worker;     // from-worker of a pending migration ("" = none)
  FailureReason failed_reason = FailureReason::kWorkerError;
  bool gap_pending = false;
  Timestamp last_token_at = 0;
  AttemptId rate_attempt = 0;   // attempt whose token set last_token_at
  Duration ewma_gap = 0;        // 0 = rate unknown
  bool client_blocked = false;  // no stall deadlines while the client does not read
  bool touched = false;         // in touched_: settle() re-arms it after this input
  Timestamp armed = kNever;     // earliest live timer entry
  std::uint32_t timer_gen = 0;
  // Make-before-break pacing (stream_router_handover.cc): the standby starts right after
  // this primary attempt's next token (0 = not waiting), toward handover_to, so that its
  // first token is due before the primary's following one; standbys that lost that race.
  AttemptId handover_after = 0;
  std::string handover_to;
  std::uint32_t handover_losses = 0;
};

// An entry of the router's lazy timer heap; stale when `gen` is not the stream's timer_gen.
struct RouterTimer {
  Timestamp at;
  StreamKey stream;
  std::uint32_t gen;
  bool operator>(const RouterTimer& o) const { return at > o.at; }
};

}  // namespace connswap::director::detail
