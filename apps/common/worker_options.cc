#include "common/worker_options.h"

#include <fmt/format.h>

#include "common/cli.h"
#include "common/option_names.h"

namespace connswap::app {

void add_worker_options(CLI::App& app, WorkerArgs& args) {
  constexpr Role kRole = Role::kWorker;
  worker::WorkerConfig& c = args.config;
  add_env_option(app, kRole, "--user-addr", c.user_addr, "USER listen address (Worker/Generate)");
  add_env_option(
      app, kRole, "--mgmt-addr", c.mgmt_addr, "MGMT listen address (WorkerAdmin/Health)");
  add_env_option(app, kRole, "--label", c.label, "unique worker name in the director's pool");
  add_env_option(app,
                 kRole,
                 "--model",
                 c.model,
                 "the model id this worker serves, announced to the director (OpenAI `model`)");
  add_env_option(app,
                 kRole,
                 "--director-mgmt-addr",
                 c.director_mgmt_addr,
                 "the director's MGMT address (register, heartbeat, drain)",
                 "CONNECTION_SWAP_DIRECTOR_MGMT_ADDR");
  add_ms_option(app, kRole, "--token-interval-ms", c.token_interval, "token pacing; 0 = unpaced");
  add_ms_option(
      app, kRole, "--fail-after-ms", c.fail_after, "simulated failure after this; 0 = never");
  add_env_option(
      app, kRole, "--fail-mode", args.fail_mode, "simulated failure: error|crash|hang|none")
      ->check(CLI::IsMember({"error", "crash", "hang", "none"}));
  add_ms_option(app,
                kRole,
                "--recovery-ms",
                c.recovery_after,
                "fail-mode error: unavailable this long, then healthy again");
  add_ms_option(app,
                kRole,
                "--heartbeat-interval-ms",
                c.heartbeat_interval,
                "heartbeat period until the director says otherwise");
  add_env_option(
      app, kRole, "--prefix-window", c.prefix_window, "tokens of history kept for the generator");
  add_ms_option(app,
                kRole,
                "--drain-timeout-ms",
                args.drain_timeout,
                "on SIGTERM/SIGINT: drain, exit when no stream is left or after this");
  add_common_options(app, kRole, args.common, /*long_lived=*/true);
}

Result<void> finish_worker_options(WorkerArgs& args) {
  auto mode = worker::parse_fail_mode(args.fail_mode);
  if (!mode) {
    return make_error(Errc::kInvalidArgument, "--fail-mode: " + mode.error().detail);
  }
  args.config.fail_mode = *mode;
  if (auto ok = worker::validate(args.config); !ok) {
    return make_error(Errc::kInvalidArgument, name_options(ok.error().detail));
  }
  return {};
}

std::string describe(const WorkerArgs& a) {
  const worker::WorkerConfig& c = a.config;
  return fmt::format(
      "label={} user_addr={} mgmt_addr={} director_mgmt_addr={} token_interval_ms={} "
      "fail_after_ms={} fail_mode={} recovery_ms={} heartbeat_interval_ms={} "
      "drain_timeout_ms={} metrics_addr={} tls_cert={} tls_ca={}",
      c.label,
      c.user_addr,
      c.mgmt_addr,
      c.director_mgmt_addr,
      c.token_interval / kMillisecond,
      c.fail_after / kMillisecond,
      worker::to_string(c.fail_mode),
      c.recovery_after / kMillisecond,
      c.heartbeat_interval / kMillisecond,
      a.drain_timeout / kMillisecond,
      a.common.metrics_addr.empty() ? "off" : a.common.metrics_addr,
      a.common.tls.cert,
      a.common.tls.ca);
}

int parse_worker_command_line(WorkerArgs& args, int argc, const char* const* argv) {
  CLI::App cli{
      "connswap-worker: generates token streams for the director, registers and heartbeats "
      "on the director's MGMT port, and fails on purpose when told to.",
      "connswap-worker"};
  add_worker_options(cli, args);
  cli.footer(
      "Every option also reads the environment variable shown (flags win). The node "
      "certificate (--tls-cert) is also the client certificate on the director's MGMT port. "
      "SIGTERM/SIGINT drain (a second one exits at once). Exit status: 0 after a drain; 1 "
      "runtime failure or second signal; 2 bad configuration (options, TLS files, ports in "
      "use); 3 simulated crash.");
  return parse_or_exit(cli, Role::kWorker, argc, argv);
}

}  // namespace connswap::app
