// connswap-ctl: the operator's command for the director's connswap.v1.Migration service on
// its MGMT port (mTLS: a certificate with the operator role, connswap-certs' operator.pem).
//   connswap-ctl --director 127.0.0.1:61001 sessions
//   connswap-ctl drain worker-a
//   connswap-ctl move --connection conn-1234 --stream 3 --to worker-b

#include <exception>

#include "common/cli.h"
#include "ctl.h"

using connswap::app::CtlArgs;
using connswap::app::Role;

namespace {

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  CtlArgs args;
  CLI::App app{"connswap-ctl: drain workers, move streams and list sessions on a director",
               "connswap-ctl"};
  app.add_option("--director", args.director, "the director's MGMT address HOST:PORT")
      ->envname("CONNECTION_SWAP_DIRECTOR_MGMT_ADDR")
      ->capture_default_str();
  app.add_option("--tls-cert", args.tls.cert, "PEM certificate from the cluster CA (\"\": none)")
      ->envname("CONNECTION_SWAP_TLS_CERT")
      ->capture_default_str();
  app.add_option("--tls-key", args.tls.key, "PEM private key of --tls-cert")
      ->envname("CONNECTION_SWAP_TLS_KEY")
      ->capture_default_str();
  app.add_option("--tls-ca", args.tls.ca, "PEM cluster CA: verifies the director")
      ->envname("CONNECTION_SWAP_TLS_CA")
      ->capture_default_str();
  connswap::app::add_env_option(app,
                                Role::kCtl,
                                "--server-name",
                                args.server_name,
                                "name the director's certificate carries");
  connswap::app::add_ms_option(app, Role::kCtl, "--timeout-ms", args.timeout, "call deadline");
  app.add_flag("--json", args.json, "print the response as protobuf JSON");
  app.add_option("--log-level", args.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.require_subcommand(1);

  CLI::App* drain = app.add_subcommand(
      "drain", "stop placing streams on WORKER and move its streams away, make-before-break");
  drain->add_option("worker", args.worker, "worker label")->required();

  CLI::App* move = app.add_subcommand(
      "move", "move a stream (--stream) or every stream of --connection, make-before-break");
  move->add_option("--connection", args.connection_id, "the client's connection id")->required();
  move->add_option("--stream", args.stream_id, "stream id (Assigned.stream_id); default all");
  move->add_option("--to", args.worker, "destination worker; default any other");

  CLI::App* sessions = app.add_subcommand("sessions", "list client sessions and their streams");
  sessions->add_option("--connection", args.connection_id, "only this connection id");
  sessions->add_option("--limit", args.limit, "at most N sessions")->check(CLI::NonNegativeNumber);

  app.footer(
      "Exit status: 0 done; 1 the director refused or could not be reached; 2 bad usage. "
      "Output: key=value lines (--json: the response message).");
  if (int code = connswap::app::parse_or_exit(app, Role::kCtl, argc, argv); code >= 0) {
    return code;
  }
  if (auto ok = connswap::app::apply_log_level(args.log_level); !ok) {
    return connswap::app::fail(Role::kCtl, connswap::app::kExitUsage, ok.error().detail);
  }
  if (drain->parsed()) {
    return connswap::app::run_drain(args);
  }
  if (move->parsed()) {
    return connswap::app::run_move(args);
  }
  return connswap::app::run_sessions(args);
}

}  // namespace

// STYLE.md 2.3: main catches what the control plane throws (a CLI11 construction error,
// std::filesystem, fmt) and reports it on one line instead of std::terminate.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    return connswap::app::fail(Role::kCtl, connswap::app::kExitRuntime, e.what());
  }
}
