// connswap-client: streams Generate calls through the director on one QUIC connection,
// verifies every token (exactly once, in order, right text) across migrations and director
// losses (streams resume from their tickets on a new connection) and prints one summary
// line on stdout. Exit status: 0 verified, 1 not verified, 2 bad configuration.
//   connswap-client --director 127.0.0.1:61000 --tls-ca certs/ca.pem --streams 2

#include <exception>
#include <string>

#include "common/cli.h"
#include "run.h"

using connswap::app::ClientArgs;
using connswap::app::Role;

namespace {

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  ClientArgs args;
  CLI::App app{"connswap-client: Generate streams through the director, verified end to end",
               "connswap-client"};
  app.add_option("--director",
                 args.directors,
                 "director USER address(es) HOST:PORT[,HOST:PORT...]: the first at start, the "
                 "next one at each reconnect")
      ->envname("CONNECTION_SWAP_DIRECTOR_TARGET")
      ->delimiter(',')
      ->capture_default_str();
  connswap::app::add_env_option(
      app, Role::kClient, "--streams", args.streams, "concurrent Generate streams");
  connswap::app::add_env_option(
      app, Role::kClient, "--max-tokens", args.max_tokens, "tokens per stream (0: unbounded)");
  connswap::app::add_env_option(app, Role::kClient, "--prompt", args.prompt, "the prompt");
  connswap::app::add_env_option(app,
                                Role::kClient,
                                "--connection-id",
                                args.connection_id,
                                "connection id sent as metadata; default a random conn-XXXX");
  connswap::app::add_ms_option(
      app, Role::kClient, "--timeout-ms", args.timeout, "deadline per stream; 0: none");
  app.add_flag("!--no-resume",
               args.resume,
               "do not resume streams from their tickets when the director goes away")
      ->envname("CONNECTION_SWAP_CLIENT_NO_RESUME");
  connswap::app::add_env_option(app,
                                Role::kClient,
                                "--reconnect-attempts",
                                args.reconnect_attempts,
                                "reconnects in a row without a token before streams fail");
  connswap::app::add_ms_option(app,
                               Role::kClient,
                               "--reconnect-backoff-ms",
                               args.reconnect_backoff,
                               "first reconnect delay; doubles per attempt up to 2 s");
  connswap::app::add_ms_option(app,
                               Role::kClient,
                               "--keepalive-ms",
                               args.keepalive,
                               "PING the director when idle this long (0: off); finds a dead "
                               "director fast");
  connswap::app::add_ms_option(app,
                               Role::kClient,
                               "--rebind-every-ms",
                               args.rebind_every,
                               "move to a new local UDP port this often, mid-stream (QUIC "
                               "connection migration); 0: never");
  app.add_option("--tls-ca", args.tls_ca, "PEM CA that signed the director's certificate")
      ->envname("CONNECTION_SWAP_TLS_CA")
      ->capture_default_str();
  connswap::app::add_env_option(app,
                                Role::kClient,
                                "--server-name",
                                args.server_name,
                                "name the director's certificate must carry (SNI)");
  app.add_option("--log-level",
                 args.log_level,
                 "trace|debug|info|warn|error|off or a RUST_LOG-like list; default: "
                 "$RUST_LOG, else info")
      ->envname("CONNECTION_SWAP_LOG");
  connswap::app::add_log_format_option(app, Role::kClient, args.log_format);
  if (int code = connswap::app::parse_or_exit(app, Role::kClient, argc, argv); code >= 0) {
    return code;
  }
  if (auto ok = connswap::app::apply_log_level(args.log_level); !ok) {
    return connswap::app::fail(Role::kClient, connswap::app::kExitUsage, ok.error().detail);
  }
  if (auto ok = connswap::app::apply_log_format(args.log_format); !ok) {
    return connswap::app::fail(Role::kClient, connswap::app::kExitUsage, ok.error().detail);
  }
  if (auto ok = connswap::app::validate(args); !ok) {
    return connswap::app::fail(Role::kClient, connswap::app::kExitUsage, ok.error().detail);
  }
  return connswap::app::run_client(args);
}

}  // namespace

// STYLE.md 2.3: main catches what the control plane throws (a CLI11 construction error,
// std::filesystem, fmt) and reports it on one line instead of std::terminate.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    return connswap::app::fail(Role::kClient, connswap::app::kExitRuntime, e.what());
  }
}
