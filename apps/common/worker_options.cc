#include "common/worker_options.h"

#include <fmt/format.h>

#include "common/cli.h"
#include "common/option_names.h"

namespace connswap::app {

namespace {

void add_backend_options(CLI::App& app, WorkerArgs& args) {
  constexpr Role kRole = Role::kWorker;
  worker::BackendConfig& b = args.backend_config;
  add_env_option(app,
                 kRole,
                 "--backend",
                 args.backend_name,
                 "where tokens come from: synthetic (built-in words) | openai (a model server)")
      ->check(CLI::IsMember({"synthetic", "openai"}));
  add_env_option(app,
                 kRole,
                 "--backend-url",
                 b.url,
                 "openai: the model server's OpenAI base URL (POST {url}/completions)");
  add_ms_option(
      app, kRole, "--backend-connect-timeout-ms", b.connect_timeout, "openai: TCP connect limit");
  add_ms_option(app,
                kRole,
                "--backend-first-token-ms",
                b.first_token_timeout,
                "openai: request -> first token limit (queueing + prefill); then the stream fails");
  add_ms_option(app,
                kRole,
                "--backend-stall-ms",
                b.stall_timeout,
                "openai: longest gap between tokens mid-stream; then the stream fails over");
  add_ms_option(app,
                kRole,
                "--backend-health-interval-ms",
                b.health_interval,
                "openai: health probe (GET {url}/models) period");
  add_ms_option(app,
                kRole,
                "--backend-health-timeout-ms",
                b.health_timeout,
                "openai: a probe slower than this failed (unavailable until one passes)");
  add_env_option(app,
                 kRole,
                 "--backend-max-streams",
                 b.max_streams,
                 "openai: concurrent streams; more are refused");
  add_env_option(app,
                 kRole,
                 "--backend-max-buffered-tokens",
                 b.max_buffered_tokens,
                 "openai: decoded tokens one stream may hold unsent before it fails");
  add_env_option(app,
                 kRole,
                 "--backend-param",
                 args.backend_params,
                 "openai: NAME=VALUE sent with every request unless the client sets NAME (VALUE "
                 "as JSON, else a string), e.g. repeat_penalty=1.0; repeatable");
}

}  // namespace

void add_worker_options(CLI::App& app, WorkerArgs& args) {
  constexpr Role kRole = Role::kWorker;
  worker::WorkerConfig& c = args.config;
  add_env_option(app, kRole, "--user-addr", c.user_addr, "USER listen address (Worker/Generate)");
  add_env_option(
      app, kRole, "--mgmt-addr", c.mgmt_addr, "MGMT listen address (WorkerAdmin/Health)");
  add_env_option(app,
                 kRole,
                 "--advertise-user-addr",
                 c.advertise_user_addr,
                 "USER address announced to the director (\"\": the bound one), e.g. a relay's");
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
  add_env_option(app,
                 kRole,
                 "--prefix-window",
                 c.prefix_window,
                 "synthetic backend: tokens of history kept for the generator");
  add_env_option(app,
                 kRole,
                 "--token-jitter-pct",
                 c.token_jitter_pct,
                 "synthetic backend: each interval uniform in +-P % of --token-interval-ms "
                 "(seeded by the prompt: runs repeat); 0 = steady")
      ->check(CLI::Range(0, 100));
  add_ms_option(app,
                kRole,
                "--prefill-ms",
                c.prefill,
                "synthetic backend: every call's first token (fresh or resumed) this long after "
                "it starts, like a model's prefill; 0 = at once");
  add_ms_option(app,
                kRole,
                "--drain-timeout-ms",
                args.drain_timeout,
                "on SIGTERM/SIGINT: drain, exit when no stream is left or after this");
  app.add_flag("--allow-any-client",
               args.allow_any_client,
               "USER serves Worker/Generate to any caller, not only certificates with the "
               "director role (logged at start; docs/RELIABILITY.md)")
      ->envname(env_name(kRole, "--allow-any-client"));
  add_backend_options(app, args);
  add_queue_options(app, kRole, args.queues);
  add_common_options(app, kRole, args.common, /*long_lived=*/true);
  // The seed's simulated failure (after 15 s) is the demo's synthetic workers': a worker in
  // front of a model server fails only when told to (--fail-after-ms, flag or environment).
  app.final_callback([&app, &args] {
    if (args.backend_name == "openai" && app.count("--fail-after-ms") == 0) {
      args.config.fail_after = 0;
    }
  });
}

Result<void> finish_worker_options(WorkerArgs& args) {
  auto mode = worker::parse_fail_mode(args.fail_mode);
  if (!mode) {
    return make_error(Errc::kInvalidArgument, "--fail-mode: " + mode.error().detail);
  }
  args.config.fail_mode = *mode;
  args.backend = args.backend_name == "openai" ? Backend::kOpenAI : Backend::kSynthetic;
  for (const std::string& p : args.backend_params) {
    const std::size_t eq = p.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return make_error(Errc::kInvalidArgument, "--backend-param: NAME=VALUE, got '" + p + "'");
    }
    args.backend_config.defaults[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (args.backend_config.model.empty()) {
    args.backend_config.model = args.config.model;
  }
  if (args.backend == Backend::kOpenAI) {
    if (auto ok = worker::validate(args.backend_config); !ok) {
      return make_error(Errc::kInvalidArgument, name_options(ok.error().detail));
    }
  }
  if (auto ok = worker::validate(args.config); !ok) {
    return make_error(Errc::kInvalidArgument, name_options(ok.error().detail));
  }
  return validate_queues(args.queues);
}

std::string describe(const WorkerArgs& a) {
  const worker::WorkerConfig& c = a.config;
  return fmt::format(
      "label={} user_addr={} advertise_user_addr={} mgmt_addr={} director_mgmt_addr={} "
      "token_interval_ms={} token_jitter_pct={} prefill_ms={} "
      "fail_after_ms={} fail_mode={} recovery_ms={} heartbeat_interval_ms={} "
      "drain_timeout_ms={} metrics_addr={} tls_cert={} tls_ca={} allow_any_client={} "
      "{} backend={}{}",
      c.label,
      c.user_addr,
      c.advertise_user_addr.empty() ? "bound" : c.advertise_user_addr,
      c.mgmt_addr,
      c.director_mgmt_addr,
      c.token_interval / kMillisecond,
      c.token_jitter_pct,
      c.prefill / kMillisecond,
      c.fail_after / kMillisecond,
      worker::to_string(c.fail_mode),
      c.recovery_after / kMillisecond,
      c.heartbeat_interval / kMillisecond,
      a.drain_timeout / kMillisecond,
      a.common.metrics_addr.empty() ? "off" : a.common.metrics_addr,
      a.common.tls.cert,
      a.common.tls.ca,
      a.allow_any_client,
      describe_queues(a.queues, Role::kWorker),
      a.backend_name,
      a.backend == Backend::kOpenAI
          ? fmt::format(" backend_url={} model={} backend_stall_ms={} backend_first_token_ms={} "
                        "backend_max_streams={}",
                        a.backend_config.url,
                        a.backend_config.model,
                        a.backend_config.stall_timeout / kMillisecond,
                        a.backend_config.first_token_timeout / kMillisecond,
                        a.backend_config.max_streams)
          : std::string());
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
