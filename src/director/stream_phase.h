#pragma once
// The per-stream phase and its one transition function: the seam where the coming
// MigrationStateMachine (explicit table, timeouts, history) will plug in. The router never
// assigns a phase directly; it asks next_phase() and treats nullopt as a bug.

#include <cstdint>
#include <optional>
#include <string_view>

namespace connswap::director {

enum class StreamPhase : std::uint8_t {
  kWaiting,    // no live attempt: waiting for a worker (fresh stream or after a failure)
  kStarting,   // one attempt started, no token from it yet
  kStreaming,  // the attempt has delivered; tokens flow
  kDraining,   // make-before-break: the old attempt streams while a standby starts
  kFinished,   // FinishStream emitted; the stream is about to be forgotten
};

enum class StreamInput : std::uint8_t {
  kAttemptStarted,  // a worker was selected and StartAttempt emitted
  kFirstToken,      // the live (or promoted standby) attempt delivered
  kAttemptFailed,   // the primary attempt failed (promoting a standby if there is one)
  kDrainStarted,    // the primary's worker drains and a standby attempt was started
  kStandbyFailed,   // the standby attempt failed; the old one keeps streaming
  kFinished,        // done, cancelled, limit reached or wait expired
};

std::string_view to_string(StreamPhase phase);
std::string_view to_string(StreamInput input);

// The phase after `input` in `from`, or nullopt if the input is not allowed there.
std::optional<StreamPhase> next_phase(StreamPhase from, StreamInput input);

}  // namespace connswap::director
