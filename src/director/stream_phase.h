#pragma once
// The router's coarse view of a stream, derived from its migration::MigrationState (the
// state machine is the one source of truth; see docs/ARCHITECTURE.md "Migration"):
// selecting -> waiting, resuming -> starting, streaming/suspected -> streaming,
// handover -> draining, completed/failed/aborted -> finished.

#include <cstdint>
#include <string_view>

#include "migration/state_machine.h"

namespace connswap::director {

enum class StreamPhase : std::uint8_t {
  kWaiting,    // no live attempt: waiting for a worker (fresh stream or after a failure)
  kStarting,   // one attempt started, no token from it yet
  kStreaming,  // the attempt has delivered; tokens flow
  kDraining,   // make-before-break: the old attempt streams while a standby starts
  kFinished,   // FinishStream emitted; the stream is about to be forgotten
};

std::string_view to_string(StreamPhase phase);

// The phase a machine state shows as.
StreamPhase phase_of(migration::MigrationState state);

}  // namespace connswap::director
