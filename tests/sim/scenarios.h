#pragma once
// The simulator's scenario table: each failure mode of a worker (and the network's
// partitions and flaps) under 0 %, 1 % and 5 % loss, with a seeded number of streams, and
// the outcome every stream must reach.

#include <cstdint>
#include <string>
#include <vector>

namespace connswap::sim {

struct ScenarioResult {
  std::vector<std::string> failures;  // empty: passed
  std::uint32_t streams = 0;
  std::uint64_t tokens = 0;       // received by clients, all streams
  std::uint64_t migrations = 0;   // seen by clients, all streams
  std::uint64_t unavailable = 0;  // streams that ended UNAVAILABLE
  double virtual_seconds = 0;
  std::uint64_t datagrams = 0;
};

// Every scenario's name ("crash/loss5", "partition-heal/loss1", ...), in table order.
std::vector<std::string> scenario_names();
// Runs `name` with `seed`. Unknown names fail.
ScenarioResult run_scenario(const std::string& name, std::uint64_t seed);

}  // namespace connswap::sim
