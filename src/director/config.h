#pragma once
// Director configuration (STYLE 2.7): a plain aggregate with the seed's defaults. apps/
// fills it from the CLI and environment; the role library only reads it.

#include <cstddef>
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

// What the prefix bounds may add to a worker request at most: half the 4 MiB frame limit
// (wire::kDefaultMaxFrameSize), the other half left to the prompt and parameters. Each
// prefix entry costs its text plus kPrefixEntryOverhead bytes of protobuf (tag and length).
inline constexpr std::size_t kMaxPrefixWireBytes = std::size_t{2} << 20;
inline constexpr std::size_t kPrefixEntryOverhead = 4;
inline constexpr std::uint32_t kDefaultPrefixMaxTokens = 32'768;
inline constexpr std::uint32_t kDefaultPrefixMaxBytes = 1 << 20;

// "round_robin" | "least_loaded"; anything else is kInvalidArgument.
Result<BalancePolicy> parse_policy(std::string_view text);
std::string_view to_string(BalancePolicy policy);

// The QUIC idle timeout of the director's connections to workers (quic::TransportSettings'
// default, which apps/director keeps): worker_keepalive must be shorter.
inline constexpr Duration kWorkerIdleTimeout = 30 * kSecond;

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
  // Liveness probes (issue 18): an attempt silent for max(min_probe, probe_factor x the
  // stream's mean token gap) has its worker's connection PINGed (one probe per worker at a
  // time). A worker that sends no packet at all within probe_timeout is unresponsive (hung,
  // stopped, cut off): every attempt on it fails at once (reason stall). A dead worker's
  // port answers the PING with ICMP: connection_lost at once. probe_timeout 0 = no probes.
  double probe_factor = 1.5;
  Duration min_probe = 10 * kMillisecond;
  Duration probe_timeout = 150 * kMillisecond;
  std::uint32_t probe_pings = 3;  // PINGs spread over probe_timeout (one lost is not a verdict)
  Duration worker_wait = 5 * kSecond;        // no worker this long -> UNAVAILABLE
  Duration handover_timeout = 10 * kSecond;  // a drain/move standby that never takes over
  std::uint32_t migration_limit = 3;         // failovers per stream before UNAVAILABLE
  // Tokens a stream keeps as the next worker's prefix when it cannot keep them all (and in
  // resume snapshots): the newest delivered_window, within prefix_max_bytes.
  std::uint32_t delivered_window = 256;
  // A stream with max_tokens != 0 keeps its whole delivered prefix (what a model server
  // needs to continue the answer) up to min(max_tokens, prefix_max_tokens) tokens and
  // prefix_max_bytes bytes of text; beyond either it falls back to delivered_window.
  std::uint32_t prefix_max_tokens = kDefaultPrefixMaxTokens;
  std::uint32_t prefix_max_bytes = kDefaultPrefixMaxBytes;
  // A drain/move standby whose first token is the one the old worker sent last (one token
  // behind: taking over would cost up to an interval) is restarted right after the old
  // worker's next token this many times; then, or when further behind, it takes over.
  std::uint32_t handover_retries = 2;
  // Drain/move standbys starting at once, at most (the window starts here, is halved when
  // they come up one token behind, and grows back by one per standby that takes over); the
  // rest start
  // after a later token of their old worker, so that a drain of many streams does not
  // make every standby's first token late.
  std::uint32_t handover_window = 64;
};

// Checks addresses parse and every duration/limit is usable (timeouts > 0, stall_factor
// >= 1, 1 <= delivered_window <= prefix_max_tokens, prefix_max_bytes >= 1 and
// prefix_max_bytes + kPrefixEntryOverhead x prefix_max_tokens <= kMaxPrefixWireBytes,
// heartbeat_interval < heartbeat_timeout). Returns kInvalidArgument naming the first bad
// field.
Result<void> validate(const DirectorConfig& config);

// The heartbeat interval workers are told: heartbeat_interval, or heartbeat_timeout / 3
// (the seed's 5 s of 15 s) when it is 0; at least 1 ms.
Duration effective_heartbeat_interval(const DirectorConfig& config);

}  // namespace connswap::director
