#pragma once
// Options every connswap program shares, read from the command line and the environment
// with CLI11 (flags win over the environment). Role options are named `--foo-bar` and read
// `CONNECTION_SWAP_<ROLE>_FOO_BAR` unless the seed fixed another name (docs/QUICKSTART).

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "base/time.h"

namespace connswap::app {

enum class Role : std::uint8_t { kDirector, kWorker, kClient };

std::string_view role_name(Role role);  // "director", "worker", "client"

// Exit statuses (STYLE 2.3): 0 ok, 1 runtime failure, 2 bad configuration.
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// "CONNECTION_SWAP_<ROLE>_FOO_BAR" for "--foo-bar".
std::string env_name(Role role, std::string_view long_flag);

// Prints exactly one line `connswap-<role>: error: <message>` on stderr; returns `code`.
int fail(Role role, int code, std::string_view message);

// Adds `--flag` bound to `value`, with its derived environment name (or `env` when given),
// its default shown in --help.
template <class T>
CLI::Option* add_env_option(CLI::App& app,
                            Role role,
                            const std::string& flag,
                            T& value,
                            const std::string& help,
                            std::string env = {}) {
  CLI::Option* opt = app.add_option(flag, value, help)
                         ->envname(env.empty() ? env_name(role, flag) : std::move(env))
                         ->capture_default_str();
  if constexpr (std::is_unsigned_v<T>) {
    opt->check(CLI::NonNegativeNumber);  // CLI11 would wrap "-5" around
  }
  return opt;
}

// Adds a millisecond option `--foo-ms` that sets the Duration `value` (nanoseconds).
CLI::Option* add_ms_option(
    CLI::App& app, Role role, const std::string& flag, Duration& value, const std::string& help);

struct TlsFiles {
  std::string cert = "certs/server.pem";  // this node's certificate (server, and MGMT client)
  std::string key = "certs/server-key.pem";
  std::string ca = "certs/ca.pem";  // the cluster CA: verifies servers and MGMT clients
};

struct CommonArgs {
  TlsFiles tls;
  std::string log_level;     // "" = CONNECTION_SWAP_LOG, else RUST_LOG, else info
  std::string metrics_addr;  // "" = no metrics endpoint
  std::string ready_file;    // "" = none
};

// Adds --tls-cert/--tls-key/--tls-ca and --log-level; with `long_lived` also
// --metrics-addr and --ready-file.
void add_common_options(CLI::App& app, Role role, CommonArgs& args, bool long_lived);

// The effective log spec: `flag` (the --log-level / CONNECTION_SWAP_LOG value) if set,
// else $RUST_LOG, else "info".
std::string effective_log_spec(const std::string& flag);
// Applies effective_log_spec(); kInvalidArgument if unparsable.
Result<void> apply_log_level(const std::string& flag);

// Raises the log level to at least warn while the program binds its ports, so that a bad
// configuration prints only its one error line; apply_log_level() afterwards restores it.
void quiet_startup(const std::string& flag);

// Parses argv; returns the exit code to use now (help: 0, bad usage: 2 with one line on
// stderr), or -1 to go on.
int parse_or_exit(CLI::App& app, Role role, int argc, const char* const* argv);

}  // namespace connswap::app
