#include "director/stream_phase.h"

#include <array>

namespace connswap::director {
namespace {

struct Transition {
  StreamPhase from;
  StreamInput input;
  StreamPhase to;
};

using P = StreamPhase;
using I = StreamInput;

// The whole lifecycle of a proxied stream. kFinished is reachable from every live phase.
constexpr auto kTable = std::to_array<Transition>({
    {P::kWaiting, I::kAttemptStarted, P::kStarting},
    {P::kStarting, I::kFirstToken, P::kStreaming},
    {P::kStarting, I::kAttemptFailed, P::kWaiting},
    {P::kStarting, I::kDrainStarted, P::kDraining},
    {P::kStreaming, I::kAttemptFailed, P::kWaiting},
    {P::kStreaming, I::kDrainStarted, P::kDraining},
    // Draining: the standby delivering first takes over; the primary failing promotes the
    // standby before it has delivered; the standby failing leaves the old attempt alone.
    {P::kDraining, I::kFirstToken, P::kStreaming},
    {P::kDraining, I::kAttemptFailed, P::kStarting},
    {P::kDraining, I::kStandbyFailed, P::kStreaming},
});

}  // namespace

std::string_view to_string(StreamPhase phase) {
  constexpr std::array<std::string_view, 5> kNames = {
      "waiting", "starting", "streaming", "draining", "finished"};
  return kNames[static_cast<std::size_t>(phase)];
}

std::string_view to_string(StreamInput input) {
  constexpr std::array<std::string_view, 6> kNames = {"attempt_started",
                                                      "first_token",
                                                      "attempt_failed",
                                                      "drain_started",
                                                      "standby_failed",
                                                      "finished"};
  return kNames[static_cast<std::size_t>(input)];
}

std::optional<StreamPhase> next_phase(StreamPhase from, StreamInput input) {
  if (input == I::kFinished) {
    return from == P::kFinished ? std::nullopt : std::optional(P::kFinished);
  }
  for (const auto& t : kTable) {
    if (t.from == from && t.input == input) {
      return t.to;
    }
  }
  return std::nullopt;
}

}  // namespace connswap::director
