#include "common/options.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "base/log.h"
#include "base/log_json.h"
#include "common/cli.h"
#include "common/option_names.h"

namespace connswap::app {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kDirector:
      return "director";
    case Role::kWorker:
      return "worker";
    case Role::kClient:
      return "client";
    case Role::kCtl:
      return "ctl";
  }
  return "unknown";
}

std::string env_name(Role role, std::string_view long_flag) {
  while (!long_flag.empty() && long_flag.front() == '-') {
    long_flag.remove_prefix(1);
  }
  std::string out = "CONNECTION_SWAP_";
  for (char c : role_name(role)) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  out += '_';
  for (char c : long_flag) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

int fail(Role role, int code, std::string_view message) {
  std::fprintf(stderr,
               "connswap-%.*s: error: %.*s\n",
               static_cast<int>(role_name(role).size()),
               role_name(role).data(),
               static_cast<int>(message.size()),
               message.data());
  return code;
}

CLI::Option* add_ms_option(
    CLI::App& app, Role role, const std::string& flag, Duration& value, const std::string& help) {
  return app
      .add_option_function<std::uint64_t>(
          flag, [&value](const std::uint64_t& ms) { value = ms * kMillisecond; }, help)
      ->envname(env_name(role, flag))
      ->check(CLI::NonNegativeNumber)                      // CLI11 would wrap "-5" around
      ->check(CLI::Range(std::uint64_t{0}, kMaxOptionMs))  // ms * 1e6 would wrap around
      ->type_name("MS")
      ->default_str(std::to_string(value / kMillisecond));
}

TlsFiles role_tls_files(Role role) {
  const char* name = role == Role::kDirector ? "director"
                     : role == Role::kWorker ? "worker"
                     : role == Role::kCtl    ? "operator"
                                             : "client";
  return {.cert = std::string("certs/") + name + ".pem",
          .key = std::string("certs/") + name + "-key.pem",
          .ca = "certs/ca.pem"};
}

void add_common_options(CLI::App& app, Role role, CommonArgs& args, bool long_lived) {
  if (args.tls.cert == TlsFiles{}.cert && args.tls.key == TlsFiles{}.key) {
    args.tls = role_tls_files(role);  // each role its own certificate (docs/PROTOCOL.md §7.5)
  }
  app.add_option("--tls-cert",
                 args.tls.cert,
                 "PEM certificate of this node (also the client "
                 "certificate on MGMT connections)")
      ->envname("CONNECTION_SWAP_TLS_CERT")
      ->capture_default_str();
  app.add_option("--tls-key", args.tls.key, "PEM private key of --tls-cert")
      ->envname("CONNECTION_SWAP_TLS_KEY")
      ->capture_default_str();
  app.add_option("--tls-ca", args.tls.ca, "PEM cluster CA: verifies servers and MGMT clients")
      ->envname("CONNECTION_SWAP_TLS_CA")
      ->capture_default_str();
  app.add_option("--log-level",
                 args.log_level,
                 "trace|debug|info|warn|error|off or a RUST_LOG-like list; default: "
                 "$RUST_LOG, else info")
      ->envname("CONNECTION_SWAP_LOG");
  if (!long_lived) {
    return;
  }
  add_log_format_option(app, role, args.log_format);
  add_env_option(app,
                 role,
                 "--metrics-addr",
                 args.metrics_addr,
                 "Prometheus /metrics on HOST:PORT (port 0: any free port); empty: off");
  add_env_option(app,
                 role,
                 "--ready-file",
                 args.ready_file,
                 "after binding, write user=/mgmt=/metrics=/pid= lines here (atomically)");
}

std::string effective_log_spec(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  const char* rust_log = std::getenv("RUST_LOG");
  if (rust_log != nullptr && *rust_log != '\0') {
    return rust_log;
  }
  return "info";
}

Result<void> apply_log_level(const std::string& flag) {
  const std::string spec = effective_log_spec(flag);
  if (!log::set_level(spec)) {
    return make_error(Errc::kInvalidArgument, "bad log level '" + spec + "'");
  }
  return {};
}

CLI::Option* add_log_format_option(CLI::App& app, Role role, std::string& format) {
  return add_env_option(
             app,
             role,
             "--log-format",
             format,
             "text (LEVEL key=value: message) | json (one JSON object per line: ts, level, "
             "logger, the key=value fields, msg)")
      ->check(CLI::IsMember({"text", "json"}));
}

Result<void> apply_log_format(const std::string& format) {
  const auto parsed = log::parse_format(format);
  if (!parsed) {
    return make_error(Errc::kInvalidArgument, "bad log format '" + format + "' (text|json)");
  }
  log::set_format(*parsed);
  return {};
}

void quiet_startup(const std::string& flag) {
  const auto level = log::parse_level(effective_log_spec(flag));
  if (level && *level < spdlog::level::warn) {
    (void)log::set_level("warn");
  }
}

int parse_or_exit(CLI::App& app, Role role, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);  // --help
    }
    return fail(role, kExitUsage, std::string(e.what()) + " (see --help)");
  }
  return -1;
}

}  // namespace connswap::app

// common/option_names.h
namespace connswap::app {

std::string name_options(const std::string& message) {
  static const std::pair<std::string_view, std::string_view> kFields[] = {
      {"user_addr", "--user-addr"},
      {"advertise_user_addr", "--advertise-user-addr"},
      {"mgmt_addr", "--mgmt-addr"},
      {"director_mgmt_addr", "--director-mgmt-addr"},
      {"label", "--label"},
      {"heartbeat_timeout", "--heartbeat-timeout-ms"},
      {"first_token_timeout", "--first-token-timeout-ms"},
      {"min_stall", "--min-stall-ms"},
      {"worker_wait", "--worker-wait-ms"},
      {"handover_timeout", "--handover-timeout-ms"},
      {"handover_window", "--handover-window"},
      {"delivered_window", "--delivered-window"},
      {"prefix_max_tokens", "--prefix-max-tokens"},
      {"prefix_max_bytes", "--prefix-max-bytes"},
      {"stall_factor", "--stall-factor"},
      {"min_probe", "--min-probe-ms"},
      {"probe_factor", "--probe-factor"},
      {"probe_pings", "--probe-pings"},
      {"heartbeat_interval", "--heartbeat-interval-ms"},
      {"worker_keepalive", "--worker-keepalive-ms"},
      {"recovery_after", "--recovery-ms"},
      {"backend_url", "--backend-url"},
      {"backend_connect_timeout", "--backend-connect-timeout-ms"},
      {"backend_first_token_timeout", "--backend-first-token-ms"},
      {"backend_stall_timeout", "--backend-stall-ms"},
      {"backend_health_interval", "--backend-health-interval-ms"},
      {"backend_health_timeout", "--backend-health-timeout-ms"},
      {"backend_max_streams", "--backend-max-streams"},
      {"backend_max_buffered_tokens", "--backend-max-buffered-tokens"},
  };
  const auto colon = message.find(':');
  const std::string_view field = std::string_view(message).substr(0, colon);
  for (const auto& [name, flag] : kFields) {
    if (field == name) {
      return std::string(flag) + message.substr(colon);
    }
  }
  return message;
}

}  // namespace connswap::app
