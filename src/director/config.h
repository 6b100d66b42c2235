#pragma once
// Director configuration (STYLE 2.7): a plain aggregate with the seed's defaults. apps/
// fills it from the CLI and environment; the role library only reads it.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"

namespace connswap::director {

// How the pool picks a worker for a new attempt.
enum class BalancePolicy : std::uint8_t {
  kRoundRobin,   // the seed's default: next selectable worker after the last one chosen
  kLeastLoaded,  // fewest attempts placed by this director, then lowest reported load
};

// "round_robin" | "least_loaded"; anything else is kInvalidArgument.
Result<BalancePolicy> parse_policy(std::string_view text);
std::string_view to_string(BalancePolicy policy);

struct DirectorConfig {
  std::string user_addr = "127.0.0.1:61000";  // client Generate streams
  std::string mgmt_addr = "127.0.0.1:61001";  // worker registration and heartbeats
  BalancePolicy policy = BalancePolicy::kRoundRobin;
  Duration heartbeat_timeout = 15 * kSecond;       // no heartbeat this long -> worker lost
  Duration heartbeat_interval = 0;                 // told to workers; 0 = heartbeat_timeout / 3
  Duration worker_keepalive = 200 * kMillisecond;  // QUIC PING period on worker connections
  Duration failure_hold = 5 * kSecond;             // a failed worker is skipped this long
  Duration first_token_timeout = 5 * kSecond;      // attempt start -> first token
  Duration min_stall = 2 * kSecond;                // progress deadline floor
  double stall_factor = 4.0;                       // progress deadline = factor x EWMA gap
  Duration worker_wait = 5 * kSecond;              // no worker this long -> UNAVAILABLE
  Duration handover_timeout = 10 * kSecond;        // a drain/move standby that never takes over
  std::uint32_t migration_limit = 3;               // failovers per stream before UNAVAILABLE
  std::uint32_t delivered_window = 256;            // tokens kept per stream as the prefix
};

// Checks addresses parse and every duration/limit is usable (timeouts > 0, stall_factor
// >= 1, delivered_window >= 1, heartbeat_interval < heartbeat_timeout). Returns
// kInvalidArgument naming the first bad field.
Result<void> validate(const DirectorConfig& config);

// The heartbeat interval workers are told: heartbeat_interval, or heartbeat_timeout / 3
// (the seed's 5 s of 15 s) when it is 0; at least 1 ms.
Duration effective_heartbeat_interval(const DirectorConfig& config);

}  // namespace connswap::director
