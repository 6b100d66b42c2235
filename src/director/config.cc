#include "director/config.h"

#include <algorithm>
#include <string>

#include "base/address.h"

namespace connswap::director {
namespace {

Result<void> check_addr(std::string_view field, const std::string& value) {
  auto addr = Address::parse(value);
  if (!addr) {
    return make_error(Errc::kInvalidArgument, std::string(field) + ": " + addr.error().detail);
  }
  return {};
}

Result<void> check_positive(std::string_view field, std::uint64_t value) {
  if (value == 0) {
    return make_error(Errc::kInvalidArgument, std::string(field) + ": must be > 0");
  }
  return {};
}

// The whole-prefix bounds: the window must fit in them, and a maximal prefix must leave
// half of a worker request's frame to the prompt.
Result<void> check_prefix(const DirectorConfig& config) {
  CONNSWAP_TRY(check_positive("prefix_max_tokens", config.prefix_max_tokens));
  CONNSWAP_TRY(check_positive("prefix_max_bytes", config.prefix_max_bytes));
  if (config.delivered_window > config.prefix_max_tokens) {
    return make_error(Errc::kInvalidArgument, "delivered_window: must be <= prefix_max_tokens");
  }
  const std::uint64_t wire = std::uint64_t{config.prefix_max_bytes} +
                             std::uint64_t{kPrefixEntryOverhead} * config.prefix_max_tokens;
  if (wire > kMaxPrefixWireBytes) {
    return make_error(Errc::kInvalidArgument,
                      "prefix_max_bytes: prefix_max_bytes + " +
                          std::to_string(kPrefixEntryOverhead) +
                          " x prefix_max_tokens must be <= " + std::to_string(kMaxPrefixWireBytes) +
                          " (half the 4 MiB frame limit of a worker request)");
  }
  return {};
}

}  // namespace

Result<BalancePolicy> parse_policy(std::string_view text) {
  if (text == "round_robin") {
    return BalancePolicy::kRoundRobin;
  }
  if (text == "least_loaded") {
    return BalancePolicy::kLeastLoaded;
  }
  return make_error(Errc::kInvalidArgument,
                    "policy must be round_robin|least_loaded, got '" + std::string(text) + "'");
}

std::string_view to_string(BalancePolicy policy) {
  return policy == BalancePolicy::kRoundRobin ? "round_robin" : "least_loaded";
}

Result<void> validate(const DirectorConfig& config) {
  CONNSWAP_TRY(check_addr("user_addr", config.user_addr));
  CONNSWAP_TRY(check_addr("mgmt_addr", config.mgmt_addr));
  CONNSWAP_TRY(check_positive("heartbeat_timeout", config.heartbeat_timeout));
  CONNSWAP_TRY(check_positive("first_token_timeout", config.first_token_timeout));
  CONNSWAP_TRY(check_positive("min_stall", config.min_stall));
  CONNSWAP_TRY(check_positive("worker_wait", config.worker_wait));
  CONNSWAP_TRY(check_positive("handover_timeout", config.handover_timeout));
  CONNSWAP_TRY(check_positive("handover_window", config.handover_window));
  CONNSWAP_TRY(check_positive("delivered_window", config.delivered_window));
  CONNSWAP_TRY(check_positive("worker_keepalive", config.worker_keepalive));
  if (config.worker_keepalive >= kWorkerIdleTimeout) {
    // Else every connection to a worker fails to open and each looks like a refusal.
    return make_error(Errc::kInvalidArgument,
                      "worker_keepalive: must be shorter than the QUIC idle timeout (30 s)");
  }
  CONNSWAP_TRY(check_prefix(config));
  if (config.heartbeat_interval >= config.heartbeat_timeout) {
    return make_error(Errc::kInvalidArgument,
                      "heartbeat_interval: must be < heartbeat_timeout (or 0 for a third of it)");
  }
  if (!(config.stall_factor >= 1.0 && config.stall_factor <= 1000.0)) {
    return make_error(Errc::kInvalidArgument, "stall_factor: must be in [1, 1000]");
  }
  CONNSWAP_TRY(check_positive("min_probe", config.min_probe));
  if (config.probe_pings < 1 || config.probe_pings > 100) {
    return make_error(Errc::kInvalidArgument, "probe_pings: must be in [1, 100]");
  }
  if (!(config.probe_factor >= 1.0 && config.probe_factor <= 1000.0)) {
    return make_error(Errc::kInvalidArgument, "probe_factor: must be in [1, 1000]");
  }
  return {};
}

Duration effective_heartbeat_interval(const DirectorConfig& config) {
  const Duration interval =
      config.heartbeat_interval != 0 ? config.heartbeat_interval : config.heartbeat_timeout / 3;
  return std::max<Duration>(interval, kMillisecond);
}

}  // namespace connswap::director
