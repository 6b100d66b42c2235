#pragma once
// connswap-soak: a real cluster (a director, N workers from this build) under random faults
// drawn from a seed while C x S verified streams run through it (docs/RELIABILITY.md, "Chaos
// soak"). Prints the seed, every fault with its time, and the figures; fails on anything
// lost, duplicated, out of order, wrong, failed or hung.

#include <cstdint>
#include <string>

#include "base/time.h"

namespace connswap::soak {

struct SoakArgs {
  double seconds = 60;
  std::uint64_t seed = 1;
  int workers = 4;
  int connections = 4;
  int streams = 50;  // concurrent, per connection
  std::uint32_t min_tokens = 40;
  std::uint32_t max_tokens = 200;
  Duration min_interval = 20 * kMillisecond;  // workers' token intervals spread over these
  Duration max_interval = 50 * kMillisecond;
  Duration fault_min = 1 * kSecond;  // between two scheduled faults
  Duration fault_max = 3 * kSecond;
  Duration stall = 2 * kSecond;  // the director's --min-stall-ms; hung = no token for 2x this
  std::string bin_dir;           // the build's apps/ (default: next to this binary)
  std::string work_dir;          // "" = a temporary directory, removed on success unless keep
  bool keep = false;
  bool quiet = false;                       // no progress lines
  std::string director_log_level = "warn";  // its log in the work dir
};

// Returns the exit status: 0 nothing wrong, 1 something lost/duplicated/out of order/hung/
// failed (or the cluster could not be run).
int run_soak(const SoakArgs& args);

}  // namespace connswap::soak
