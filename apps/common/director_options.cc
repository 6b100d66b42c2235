#include "common/director_options.h"

#include <fmt/format.h>

#include "common/cli.h"
#include "common/option_names.h"

namespace connswap::app {

namespace {

// Issue 14 item 2: the replay cache's bounds (docs/RELIABILITY.md "Limits (resume)").
void add_resume_limit_options(CLI::App& app, migration::ReplayLimits& l) {
  constexpr Role kRole = Role::kDirector;
  add_env_option(app,
                 kRole,
                 "--resume-replay-capacity",
                 l.capacity,
                 "redeemed resume tokens remembered until expiry; full: the connection id "
                 "holding most is collapsed into one tombstone");
  add_env_option(app,
                 kRole,
                 "--resume-max-per-connection",
                 l.per_connection,
                 "live redeemed resume tokens per connection id (more: RESOURCE_EXHAUSTED)");
  add_env_option(app,
                 kRole,
                 "--resume-max-per-stream",
                 l.per_stream,
                 "resumes of one stream within a token lifetime (more: RESOURCE_EXHAUSTED)");
}

Result<void> check_resume_limits(const migration::ReplayLimits& l) {
  if (l.capacity == 0 || l.per_connection == 0 || l.per_stream == 0) {
    return make_error(Errc::kInvalidArgument,
                      "--resume-replay-capacity, --resume-max-per-connection, "
                      "--resume-max-per-stream: must be > 0");
  }
  if (l.per_stream > l.per_connection || l.per_connection > l.capacity) {
    return make_error(Errc::kInvalidArgument,
                      "--resume-max-per-stream <= --resume-max-per-connection <= "
                      "--resume-replay-capacity");
  }
  return {};
}

}  // namespace

void add_director_options(CLI::App& app, DirectorArgs& args) {
  constexpr Role kRole = Role::kDirector;
  director::DirectorConfig& c = args.config;
  add_env_option(app, kRole, "--user-addr", c.user_addr, "USER listen address (client Generate)");
  add_env_option(app, kRole, "--mgmt-addr", c.mgmt_addr, "MGMT listen address (worker Registry)");
  add_env_option(app, kRole, "--policy", args.policy, "worker choice: round_robin|least_loaded")
      ->check(CLI::IsMember({"round_robin", "least_loaded"}));
  add_ms_option(app,
                kRole,
                "--heartbeat-timeout-ms",
                c.heartbeat_timeout,
                "no heartbeat this long: the worker is lost (workers heartbeat every third)");
  add_ms_option(app,
                kRole,
                "--heartbeat-interval-ms",
                c.heartbeat_interval,
                "heartbeat period told to workers (0 = a third of --heartbeat-timeout-ms)");
  add_ms_option(app,
                kRole,
                "--worker-keepalive-ms",
                c.worker_keepalive,
                "QUIC keep-alive on connections to workers: how fast a dead one is noticed");
  add_ms_option(app,
                kRole,
                "--failure-hold-ms",
                c.failure_hold,
                "a worker that failed a stream gets no new stream this long");
  add_ms_option(app,
                kRole,
                "--first-token-timeout-ms",
                c.first_token_timeout,
                "attempt start -> first token, else the attempt stalled");
  add_ms_option(app, kRole, "--min-stall-ms", c.min_stall, "floor of the progress deadline");
  add_ms_option(app,
                kRole,
                "--probe-timeout-ms",
                c.probe_timeout,
                "a probed worker that sends no packet this long is unresponsive (0 = no probes)");
  add_ms_option(app,
                kRole,
                "--min-probe-ms",
                c.min_probe,
                "a stream silent this long (at least) has its worker's connection probed");
  add_env_option(app,
                 kRole,
                 "--probe-factor",
                 c.probe_factor,
                 "probe when silent for factor x the stream's average token gap (>= 1)");
  add_env_option(
      app, kRole, "--probe-pings", c.probe_pings, "PINGs spread over --probe-timeout-ms (1-100)");
  add_env_option(app,
                 kRole,
                 "--stall-factor",
                 c.stall_factor,
                 "progress deadline = factor x average token gap (>= 1)");
  add_ms_option(app,
                kRole,
                "--worker-wait-ms",
                c.worker_wait,
                "no worker available this long: the stream ends UNAVAILABLE");
  add_env_option(app,
                 kRole,
                 "--migration-limit",
                 c.migration_limit,
                 "failovers per stream before it ends UNAVAILABLE");
  add_ms_option(app,
                kRole,
                "--handover-timeout-ms",
                c.handover_timeout,
                "a drain/move standby that has not taken over by then is abandoned");
  add_env_option(app,
                 kRole,
                 "--handover-retries",
                 c.handover_retries,
                 "a drain/move standby that comes up one token behind the old worker is "
                 "restarted after the old worker's next token this often, then takes over "
                 "behind (0 = at once)");
  add_env_option(app,
                 kRole,
                 "--handover-window",
                 c.handover_window,
                 "drain/move standbys starting at once, at most (adaptive below it; the rest "
                 "start after a later token of their old worker)");
  add_env_option(app,
                 kRole,
                 "--cluster-key-file",
                 args.cluster_key_file,
                 "cluster key file (connswap-keys): signs and checks resume tickets; directors "
                 "sharing it resume each other's streams; empty = no tickets");
  add_env_option(app,
                 kRole,
                 "--resume-every-tokens",
                 args.resume.every_tokens,
                 "a fresh resume ticket to the client after this many tokens (0 = by time only)");
  add_ms_option(app,
                kRole,
                "--resume-every-ms",
                args.resume.every,
                "...or at the first token this long after the last ticket (0 = by count only)");
  add_env_option(
      app, kRole, "--resume-ttl-s", args.resume.ttl_seconds, "resume token lifetime in seconds");
  add_resume_limit_options(app, args.resume.policy.replay);
  add_env_option(app,
                 kRole,
                 "--delivered-window",
                 c.delivered_window,
                 "tokens a stream keeps as the next worker's prefix when it cannot keep them "
                 "all (max_tokens 0, past the --prefix-max-* bounds), and in resume tickets");
  add_env_option(app,
                 kRole,
                 "--prefix-max-tokens",
                 c.prefix_max_tokens,
                 "a stream with max_tokens keeps every delivered token (a model server's "
                 "continuation prompt) up to this many...");
  add_env_option(app,
                 kRole,
                 "--prefix-max-bytes",
                 c.prefix_max_bytes,
                 "...and this many bytes of text (bytes + 4 x tokens <= 2 MiB, half a frame)");
  add_limit_options(app, args.limits);
  add_queue_options(app, kRole, args.queues);
  add_common_options(app, kRole, args.common, /*long_lived=*/true);
  add_http_options(app, args.http);
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
  if (args.resume.ttl_seconds == 0) {
    return make_error(Errc::kInvalidArgument, "--resume-ttl-s: must be > 0");
  }
  if (args.resume.every_tokens == 0 && args.resume.every == 0) {
    return make_error(Errc::kInvalidArgument,
                      "--resume-every-tokens, --resume-every-ms: one must be > 0");
  }
  if (auto ok = check_resume_limits(args.resume.policy.replay); !ok) {
    return ok;
  }
  CONNSWAP_TRY(validate_limits(args.limits));
  CONNSWAP_TRY(validate_queues(args.queues));
  return finish_http_options(args.http);
}

std::string describe(const DirectorArgs& a) {
  const director::DirectorConfig& c = a.config;
  return fmt::format(
      "user_addr={} mgmt_addr={} policy={} heartbeat_timeout_ms={} heartbeat_interval_ms={} "
      "worker_keepalive_ms={} failure_hold_ms={} "
      "first_token_timeout_ms={} min_stall_ms={} stall_factor={} probe_timeout_ms={} "
      "min_probe_ms={} probe_factor={} probe_pings={} worker_wait_ms={} "
      "migration_limit={} delivered_window={} prefix_max_tokens={} prefix_max_bytes={} "
      "handover_timeout_ms={} handover_retries={} handover_window={} cluster_key_file={} "
      "resume_every_tokens={} resume_every_ms={} resume_ttl_s={} metrics_addr={} tls_cert={} "
      "tls_ca={} {} {}",
      c.user_addr,
      c.mgmt_addr,
      director::to_string(c.policy),
      c.heartbeat_timeout / kMillisecond,
      director::effective_heartbeat_interval(c) / kMillisecond,
      c.worker_keepalive / kMillisecond,
      c.failure_hold / kMillisecond,
      c.first_token_timeout / kMillisecond,
      c.min_stall / kMillisecond,
      c.stall_factor,
      c.probe_timeout / kMillisecond,
      c.min_probe / kMillisecond,
      c.probe_factor,
      c.probe_pings,
      c.worker_wait / kMillisecond,
      c.migration_limit,
      c.delivered_window,
      c.prefix_max_tokens,
      c.prefix_max_bytes,
      c.handover_timeout / kMillisecond,
      c.handover_retries,
      c.handover_window,
      a.cluster_key_file.empty() ? "off" : a.cluster_key_file,
      a.resume.every_tokens,
      a.resume.every / kMillisecond,
      a.resume.ttl_seconds,
      a.common.metrics_addr.empty() ? "off" : a.common.metrics_addr,
      a.common.tls.cert,
      a.common.tls.ca,
      describe_limits(a.limits),
      describe_queues(a.queues, Role::kDirector));
}

int parse_director_command_line(DirectorArgs& args, int argc, const char* const* argv) {
  CLI::App cli{
      "connswap-director: proxies client Generate streams (USER port) to workers that register "
      "on the MGMT port, and moves a stream to another worker when its worker fails.",
      "connswap-director"};
  add_director_options(cli, args);
  cli.footer(
      "Every option also reads the environment variable shown (flags win). MGMT calls need a "
      "client certificate issued by --tls-ca (mTLS). Exit status: 0 after SIGINT/SIGTERM; 1 "
      "runtime failure; 2 bad configuration (options, TLS files, ports in use).");
  return parse_or_exit(cli, Role::kDirector, argc, argv);
}

}  // namespace connswap::app
