#pragma once
// Worker configuration (STYLE 2.7): a plain aggregate with the seed's defaults. apps/ fills
// it from the CLI and environment; the role library only reads it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "worker/failure_plan.h"

namespace connswap::worker {

struct WorkerConfig {
  std::string user_addr = "127.0.0.1:62001";  // Generate streams from the director
  std::string mgmt_addr = "127.0.0.1:63001";  // health checks and admin calls
  // The USER address announced to the director ("" = the bound one): where the director
  // dials, e.g. a relay or NAT in front of this worker.
  std::string advertise_user_addr{};
  std::string label = "worker-a";  // unique name in the director's pool
  // Where to register and heartbeat: one host:port, or several comma-separated (the worker
  // registers with every director of the list; director_addrs() splits it).
  std::string director_mgmt_addr = "127.0.0.1:61001";
  Duration token_interval = 500 * kMillisecond;  // pacing; 0 = unpaced
  Duration fail_after = 15 * kSecond;            // simulated failure; 0 = never
  FailMode fail_mode = FailMode::kError;         // how the simulated failure looks
  Duration recovery_after = 10 * kSecond;        // kError: unavailable this long
  Duration heartbeat_interval = 5 * kSecond;     // registration refresh period
  std::size_t prefix_window = 256;               // synthetic source: tokens of history kept
  // Synthetic source, for failover benchmarks (worker/synthetic_source.h): each interval
  // uniform in token_interval x [1 - P/100, 1 + P/100] (0..100; 0 = steady), and every
  // call's first token this long after it starts (0 = at once).
  std::uint32_t token_jitter_pct = 0;
  Duration prefill = 0;
  std::string model = "connswap-synthetic";  // the model id announced to the director
};

// Checks addresses parse, the label is non-empty and printable without spaces, and the
// heartbeat interval is positive. Returns kInvalidArgument naming the first bad field.
Result<void> validate(const WorkerConfig& config);

// The director MGMT addresses of config.director_mgmt_addr, in order (empty parts dropped).
std::vector<std::string> director_addrs(const WorkerConfig& config);

}  // namespace connswap::worker
