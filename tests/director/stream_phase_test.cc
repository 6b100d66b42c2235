#include "director/stream_phase.h"

#include <array>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

using P = StreamPhase;
using I = StreamInput;

struct Case {
  P from;
  I input;
  std::optional<P> to;
};

constexpr auto kCases = std::to_array<Case>({
    {P::kWaiting, I::kAttemptStarted, P::kStarting},
    {P::kWaiting, I::kFirstToken, std::nullopt},
    {P::kWaiting, I::kFinished, P::kFinished},
    {P::kStarting, I::kFirstToken, P::kStreaming},
    {P::kStarting, I::kAttemptFailed, P::kWaiting},
    {P::kStarting, I::kDrainStarted, P::kDraining},
    {P::kStreaming, I::kAttemptFailed, P::kWaiting},
    {P::kStreaming, I::kDrainStarted, P::kDraining},
    {P::kStreaming, I::kAttemptStarted, std::nullopt},
    {P::kDraining, I::kFirstToken, P::kStreaming},
    {P::kDraining, I::kAttemptFailed, P::kStarting},
    {P::kDraining, I::kStandbyFailed, P::kStreaming},
    {P::kDraining, I::kDrainStarted, std::nullopt},
    {P::kFinished, I::kFinished, std::nullopt},
    {P::kFinished, I::kAttemptStarted, std::nullopt},
});

TEST(StreamPhase, TransitionTable) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(to_string(c.from)) + " + " + std::string(to_string(c.input)));
    EXPECT_EQ(next_phase(c.from, c.input), c.to);
  }
}

}  // namespace
}  // namespace connswap::director
