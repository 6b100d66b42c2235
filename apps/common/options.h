#pragma once
// Options every connswap program shares, read from the command line and the environment
// with CLI11 (flags win over the environment); the CLI11 side is in common/cli.h, so that
// only the files that declare options pay for compiling CLI11. Role options are named `--foo-bar`
// and read `CONNECTION_SWAP_<ROLE>_FOO_BAR` unless the seed fixed another name (docs/QUICKSTART).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"

namespace connswap::app {

enum class Role : std::uint8_t { kDirector, kWorker, kClient, kCtl };

std::string_view role_name(Role role);  // "director", "worker", "client", "ctl"

// Exit statuses (STYLE 2.3): 0 ok, 1 runtime failure, 2 bad configuration.
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// "CONNECTION_SWAP_<ROLE>_FOO_BAR" for "--foo-bar".
std::string env_name(Role role, std::string_view long_flag);

// Prints exactly one line `connswap-<role>: error: <message>` on stderr; returns `code`.
int fail(Role role, int code, std::string_view message);

struct TlsFiles {
  std::string cert = "certs/server.pem";  // this node's certificate (server, and MGMT client)
  std::string key = "certs/server-key.pem";
  std::string ca = "certs/ca.pem";  // the cluster CA: verifies servers and MGMT clients
};

// The files connswap-certs makes for `role` (its --tls-* defaults): certs/director.pem,
// certs/worker.pem, certs/operator.pem (connswap-ctl), certs/client.pem, with their keys
// and certs/ca.pem.
TlsFiles role_tls_files(Role role);

struct CommonArgs {
  TlsFiles tls;
  std::string log_level;            // "" = CONNECTION_SWAP_LOG, else RUST_LOG, else info
  std::string metrics_addr;         // "" = no metrics endpoint
  std::string ready_file;           // "" = none
  std::string log_format = "text";  // --log-format: "text" (LEVEL key=value lines) | "json"
};

// The effective log spec: `flag` (the --log-level / CONNECTION_SWAP_LOG value) if set,
// else $RUST_LOG, else "info".
std::string effective_log_spec(const std::string& flag);
// Applies effective_log_spec(); kInvalidArgument if unparsable.
Result<void> apply_log_level(const std::string& flag);

// Applies --log-format: "text" or "json" (one JSON object per line, base/log_json.h);
// kInvalidArgument otherwise. Call before the first log line.
Result<void> apply_log_format(const std::string& format);

// Raises the log level to at least warn while the program binds its ports, so that a bad
// configuration prints only its one error line; apply_log_level() afterwards restores it.
void quiet_startup(const std::string& flag);

}  // namespace connswap::app
