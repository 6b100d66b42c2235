#include "director/stream_phase.h"

#include <array>

namespace connswap::director {

std::string_view to_string(StreamPhase phase) {
  constexpr std::array<std::string_view, 5> kNames = {
      "waiting", "starting", "streaming", "draining", "finished"};
  return kNames[static_cast<std::size_t>(phase)];
}

StreamPhase phase_of(migration::MigrationState state) {
  using S = migration::MigrationState;
  switch (state) {
    case S::kSelecting:
      return StreamPhase::kWaiting;
    case S::kResuming:
      return StreamPhase::kStarting;
    case S::kStreaming:
    case S::kSuspected:
      return StreamPhase::kStreaming;
    case S::kHandover:
      return StreamPhase::kDraining;
    case S::kCompleted:
    case S::kFailed:
    case S::kAborted:
      break;
  }
  return StreamPhase::kFinished;
}

}  // namespace connswap::director
