// connswap-quicperf: QUIC transport benchmark and test peer (see apps/quicperf/protocol.h).
//   connswap-quicperf server --listen 127.0.0.1:0 --cert F --key F [--port-file F] ...
//   connswap-quicperf client --connect 127.0.0.1:PORT --ca F --mode
//   download|upload|rtt|echo|streams

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "perf_client.h"
#include "perf_server.h"

using connswap::quicperf::ClientArgs;
using connswap::quicperf::ServerArgs;

namespace {

void add_server(CLI::App& app, ServerArgs& a, bool& no_gso, bool& no_gro) {
  app.add_option("--listen", a.listen, "address to bind (port 0: any free port)");
  app.add_option("--cert", a.cert_file, "PEM certificate chain")->required();
  app.add_option("--key", a.key_file, "PEM private key (also seeds the stateless-reset secret)")
      ->required();
  app.add_option("--port-file", a.port_file, "write the bound port here (atomically)");
  app.add_flag("--no-gso", no_gso, "send one datagram per sendmsg");
  app.add_flag("--no-gro", no_gro, "receive without UDP_GRO");
  app.add_option("--idle-timeout-ms", a.idle_timeout_ms, "QUIC idle timeout");
  app.add_option("--qlog-dir", a.qlog_dir, "write one qlog file per connection");
}

void add_client(CLI::App& app, ClientArgs& a, std::string& mode, bool& no_gso, bool& no_gro) {
  app.add_option("--connect", a.connect, "server address host:port")->required();
  app.add_option("--ca", a.ca_file, "PEM trust anchors for the server certificate")->required();
  app.add_option("--server-name", a.server_name, "SNI / name to verify");
  app.add_option("--mode", mode, "download|upload|rtt|echo|streams")
      ->required()
      ->check(CLI::IsMember({"download", "upload", "rtt", "echo", "streams"}));
  app.add_option("--bytes", a.perf.bytes, "payload bytes (download, upload, echo)");
  app.add_option("--count", a.perf.count, "rtt: number of sequential echoes");
  app.add_option("--size", a.perf.size, "rtt: message size in bytes");
  app.add_option("--streams", a.perf.streams, "streams: concurrent 1 KiB echo streams");
  app.add_flag("--no-gso", no_gso, "send one datagram per sendmsg");
  app.add_flag("--no-gro", no_gro, "receive without UDP_GRO");
  app.add_option("--rebind-after-bytes",
                 a.perf.rebind_after_bytes,
                 "migrate to a new local port after this many bytes");
  app.add_option("--idle-timeout-ms", a.idle_timeout_ms, "QUIC idle timeout");
  app.add_flag("--json", a.json, "print one JSON line");
}

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  CLI::App app{"connswap-quicperf: QUIC transport benchmark and test peer"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off");

  ServerArgs server;
  bool server_no_gso = false;
  bool server_no_gro = false;
  add_server(*app.add_subcommand("server", "serve echo/sink/source streams"),
             server,
             server_no_gso,
             server_no_gro);

  ClientArgs client;
  std::string mode;
  bool client_no_gso = false;
  bool client_no_gro = false;
  auto* client_cmd = app.add_subcommand("client", "run one measurement against a server");
  add_client(*client_cmd, client, mode, client_no_gso, client_no_gro);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!connswap::log::set_level(log_level)) {
    std::fprintf(stderr, "connswap-quicperf: error: bad --log-level '%s'\n", log_level.c_str());
    return 2;
  }
  if (client_cmd->parsed()) {
    client.perf.mode = *connswap::quicperf::parse_mode(mode);
    client.gso = !client_no_gso;
    client.gro = !client_no_gro;
    return connswap::quicperf::run_client(client);
  }
  server.gso = !server_no_gso;
  server.gro = !server_no_gro;
  return connswap::quicperf::run_server(server);
}

}  // namespace

// STYLE.md 2.3: main catches what the control plane throws (a CLI11 construction error,
// std::filesystem, fmt) and reports it on one line instead of std::terminate.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "connswap-quicperf: error: %s\n", e.what());
    return 1;
  }
}
