#pragma once
// MigrationStateMachine: one per client stream, from worker selection to its end, with an
// explicit transition table (state x event -> state, docs/ARCHITECTURE.md "Migration"),
// a timeout per state (deadline()/on_timeout()), the migration limit and a bounded history.
// Sans-IO: every input carries `now` (monotonic Timestamp); refused events return
// kIllegalTransition and are logged (module "migration"), the state is unchanged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "migration/error.h"

namespace connswap::migration {

enum class MigrationState : std::uint8_t {
  kSelecting,  // no live attempt: choosing a worker (fresh stream, or after a failure)
  kStarting,   // an attempt started at next_seq; waiting for its first token
  kStreaming,  // the attempt delivers tokens
  kHandover,   // make-before-break: the old attempt streams while a standby starts
  kCompleted,  // terminal: the stream finished (Done)
  kFailed,     // terminal: no worker in time, or the migration limit was reached
  kAborted,    // terminal: cancelled by the client or an operator
};
inline constexpr std::size_t kStateCount = 7;

enum class MigrationEvent : std::uint8_t {
  kWorkerSelected,   // a worker was chosen and an attempt started at next_seq
  kFirstToken,       // the new (or standby) attempt delivered the expected token
  kWorkerFailed,     // hard failure of the current attempt (error, reset, gap, lost...)
  kHandoverStarted,  // drain or MoveStream: a standby attempt started beside the old one
  kStandbyFailed,    // the standby attempt failed; the old one keeps streaming
  kDone,             // the stream finished successfully
  kCancelled,        // the client cancelled, or an operator aborted the stream
  kTimeout,          // the state's timeout passed (normally raised by on_timeout())
};
inline constexpr std::size_t kEventCount = 8;

std::string_view to_string(MigrationState state);
std::string_view to_string(MigrationEvent event);
bool is_terminal(MigrationState state);

// The table's answer for `event` in `from`, before the migration-limit guard (a counted
// failure past the limit goes to kFailed instead); nullopt if the event is refused there.
std::optional<MigrationState> next_state(MigrationState from, MigrationEvent event);
// True when the table marks `event` in `from` as a failure counted against the limit.
bool counts_failover(MigrationState from, MigrationEvent event);

// Per-state timeouts (0 = none); kStreaming and terminal states never time out.
struct MigrationConfig {
  Duration select_timeout = 5 * kSecond;     // kSelecting -> kFailed (director worker_wait)
  Duration start_timeout = 5 * kSecond;      // kStarting -> kSelecting (first-token timeout)
  Duration handover_timeout = 10 * kSecond;  // kHandover -> kStreaming (standby abandoned)
  std::uint32_t migration_limit = 3;         // counted failures before kFailed
  std::size_t history_limit = 32;            // transitions kept, oldest dropped first
};

// One applied transition.
struct Transition {
  MigrationState from = MigrationState::kSelecting;
  MigrationEvent event = MigrationEvent::kWorkerSelected;
  MigrationState to = MigrationState::kSelecting;
  std::string reason;  // caller's reason ("stall", "drain"), plus the limit note if any
  Timestamp at = 0;
};

class MigrationStateMachine {
 public:
  // Starts in kSelecting at `now`. `label` names the stream in logs (e.g. "conn-1/4").
  MigrationStateMachine(const MigrationConfig& config, std::string label, Timestamp now);

  // Applies `event`; returns the new state. kIllegalTransition if the table refuses it.
  MResult<MigrationState> on_event(MigrationEvent event, std::string_view reason, Timestamp now);
  // Applies kTimeout if deadline() <= now; returns the transition it made, else nullopt.
  std::optional<Transition> on_timeout(Timestamp now);
  // When the current state times out; kNever if it does not.
  Timestamp deadline() const;

  MigrationState state() const { return state_; }
  bool terminal() const { return is_terminal(state_); }
  Timestamp entered_at() const { return entered_at_; }
  std::uint32_t failovers() const { return failovers_; }  // counted failures
  // Starts the count at `n`: a resumed stream keeps the failures it had before, so the
  // migration limit does not restart on every resume (issue 14 item 7).
  void carry_failovers(std::uint32_t n) { failovers_ = n; }
  const std::vector<Transition>& history() const { return history_; }  // oldest first
  std::uint64_t transitions() const { return transitions_; }           // including dropped ones
  const std::string& label() const { return label_; }

 private:
  MResult<Transition> apply(MigrationEvent event, std::string_view reason, Timestamp now);
  Duration timeout_of(MigrationState state) const;

  MigrationConfig config_;
  std::string label_;
  MigrationState state_ = MigrationState::kSelecting;
  Timestamp entered_at_ = 0;
  std::uint32_t failovers_ = 0;
  std::uint64_t transitions_ = 0;
  // Not std::deque: its first push allocates a 512-byte node, per stream in the director
  // (most streams keep 1-3 transitions).
  std::vector<Transition> history_;
};

}  // namespace connswap::migration
