#include "common/director_options.h"

#include <fmt/format.h>

#include "common/option_names.h"

namespace connswap::app {

void add_director_options(CLI::App& app, DirectorArgs& args) {
  constexpr Role r = Role::kDirector;
  director::DirectorConfig& c = args.config;
  add_env_option(app, r, "--user-addr", c.user_addr, "USER listen address (client Generate)");
  add_env_option(app, r, "--mgmt-addr", c.mgmt_addr, "MGMT listen address (worker Registry)");
  add_env_option(app, r, "--policy", args.policy, "worker choice: round_robin|least_loaded")
      ->check(CLI::IsMember({"round_robin", "least_loaded"}));
  add_ms_option(app,
                r,
                "--heartbeat-timeout-ms",
                c.heartbeat_timeout,
                "no heartbeat this long: the worker is lost (workers heartbeat every third)");
  add_ms_option(app,
                r,
                "--failure-hold-ms",
                c.failure_hold,
                "a worker that failed a stream gets no new stream this long");
  add_ms_option(app,
                r,
                "--first-token-timeout-ms",
                c.first_token_timeout,
                "attempt start -> first token, else the attempt stalled");
  add_ms_option(app, r, "--min-stall-ms", c.min_stall, "floor of the progress deadline");
  add_env_option(app,
                 r,
                 "--stall-factor",
                 c.stall_factor,
                 "progress deadline = factor x average token gap (>= 1)");
  add_ms_option(app,
                r,
                "--worker-wait-ms",
                c.worker_wait,
                "no worker available this long: the stream ends UNAVAILABLE");
  add_env_option(app,
                 r,
                 "--migration-limit",
                 c.migration_limit,
                 "failovers per stream before it ends UNAVAILABLE");
  add_env_option(app,
                 r,
                 "--delivered-window",
                 c.delivered_window,
                 "tokens kept per stream and sent to the next worker as its prefix");
  add_common_options(app, r, args.common, /*long_lived=*/true);
}

Result<void> finish_director_options(DirectorArgs& args) {
  auto policy = director::parse_policy(args.policy);
  if (!policy) {
    return make_error(Errc::kInvalidArgument, "--policy: " + policy.error().detail);
  }
  args.config.policy = *policy;
  if (auto ok = director::validate(args.config); !ok) {
    return make_error(Errc::kInvalidArgument, name_options(ok.error().detail));
  }
  return {};
}

std::string describe(const DirectorArgs& a) {
  const director::DirectorConfig& c = a.config;
  return fmt::format(
      "user_addr={} mgmt_addr={} policy={} heartbeat_timeout_ms={} failure_hold_ms={} "
      "first_token_timeout_ms={} min_stall_ms={} stall_factor={} worker_wait_ms={} "
      "migration_limit={} delivered_window={} metrics_addr={} tls_cert={} tls_ca={}",
      c.user_addr,
      c.mgmt_addr,
      director::to_string(c.policy),
      c.heartbeat_timeout / kMillisecond,
      c.failure_hold / kMillisecond,
      c.first_token_timeout / kMillisecond,
      c.min_stall / kMillisecond,
      c.stall_factor,
      c.worker_wait / kMillisecond,
      c.migration_limit,
      c.delivered_window,
      a.common.metrics_addr.empty() ? "off" : a.common.metrics_addr,
      a.common.tls.cert,
      a.common.tls.ca);
}

}  // namespace connswap::app
