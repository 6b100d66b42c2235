// The router's phases are a view of the migration state machine. The table below is the
// router's former own transition table (StreamPhase + StreamInput, before the machine took
// over), with each input written as the machine event the router now sends: the machine
// must allow exactly what the router relied on.

#include "director/stream_phase.h"

#include <array>
#include <optional>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

using P = StreamPhase;
using S = migration::MigrationState;
using E = migration::MigrationEvent;

struct Case {
  S from;
  E event;
  std::optional<P> to;  // nullopt: refused
};

constexpr auto kCases = std::to_array<Case>({
    {S::kSelecting, E::kWorkerSelected, P::kStarting},   // attempt_started
    {S::kSelecting, E::kResumed, std::nullopt},          // first_token while waiting
    {S::kSelecting, E::kCancelled, P::kFinished},        // finished
    {S::kResuming, E::kResumed, P::kStreaming},          // first_token
    {S::kResuming, E::kWorkerFailed, P::kWaiting},       // attempt_failed
    {S::kResuming, E::kHandoverStarted, P::kDraining},   // drain_started
    {S::kStreaming, E::kWorkerFailed, P::kWaiting},      // attempt_failed
    {S::kStreaming, E::kHandoverStarted, P::kDraining},  // drain_started
    {S::kStreaming, E::kWorkerSelected, std::nullopt},   // attempt_started
    {S::kHandover, E::kResumed, P::kStreaming},          // standby delivered first
    {S::kHandover, E::kWorkerFailed, P::kStarting},      // old failed: standby promoted
    {S::kHandover, E::kStandbyFailed, P::kStreaming},    // standby_failed
    {S::kHandover, E::kHandoverStarted, std::nullopt},   // drain_started twice
    {S::kCompleted, E::kCancelled, std::nullopt},        // finished twice
    {S::kAborted, E::kWorkerSelected, std::nullopt},
});

TEST(StreamPhase, MachineKeepsTheRoutersTransitions) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(migration::to_string(c.from)) + " + " +
                 std::string(migration::to_string(c.event)));
    const auto next = migration::next_state(c.from, c.event);
    ASSERT_EQ(next.has_value(), c.to.has_value());
    if (next) {
      EXPECT_EQ(phase_of(*next), *c.to);
    }
  }
}

TEST(StreamPhase, EveryStateHasAPhase) {
  EXPECT_EQ(phase_of(S::kSelecting), P::kWaiting);
  EXPECT_EQ(phase_of(S::kResuming), P::kStarting);
  EXPECT_EQ(phase_of(S::kStreaming), P::kStreaming);
  EXPECT_EQ(phase_of(S::kSuspected), P::kStreaming);
  EXPECT_EQ(phase_of(S::kHandover), P::kDraining);
  for (S s : {S::kCompleted, S::kFailed, S::kAborted}) {
    EXPECT_EQ(phase_of(s), P::kFinished);
  }
}

}  // namespace
}  // namespace connswap::director
