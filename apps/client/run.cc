#include "run.h"

#include <cstdio>
#include <memory>

#include "base/address.h"
#include "base/log.h"
#include "base/random.h"
#include "common/options.h"
#include "common/tls_files.h"
#include "net/loop.h"
#include "rpcnet/channel.h"
#include "services/generate_client.h"

namespace connswap::app {
namespace {

spdlog::logger& logger() {
  return log::get("client");
}

std::string random_connection_id() {
  char buf[16];
  std::snprintf(buf, sizeof buf, "conn-%04u", static_cast<unsigned>(random_u64() % 10000));
  return buf;
}

}  // namespace

Result<void> validate(const ClientArgs& args) {
  if (args.directors.empty()) {
    return make_error(Errc::kInvalidArgument, "--director: no address");
  }
  for (const auto& d : args.directors) {
    if (auto a = Address::parse(d); !a || a->port() == 0) {
      return make_error(Errc::kInvalidArgument, "--director: bad address '" + d + "'");
    }
  }
  if (args.streams == 0) {
    return make_error(Errc::kInvalidArgument, "--streams: must be at least 1");
  }
  if (args.tls_ca.empty()) {
    return make_error(Errc::kInvalidArgument, "--tls-ca: required (connswap-certs makes ca.pem)");
  }
  return {};
}

int run_client(const ClientArgs& args) {
  TlsFiles files;
  files.ca = args.tls_ca;
  auto tls = make_client_tls(files, /*present_cert=*/false);
  if (!tls) {
    return fail(Role::kClient, kExitUsage, "--tls-ca: " + tls.error().message());
  }
  const std::string connection_id =
      args.connection_id.empty() ? random_connection_id() : args.connection_id;
  // TODO(e2e): fail over to the next --director address (a later issue).
  const std::string& director = args.directors.front();
  logger().info(
      "connection.id={} director={} streams={} max_tokens={} timeout_ms={}: client starting",
      connection_id,
      director,
      args.streams,
      args.max_tokens,
      args.timeout / kMillisecond);

  net::Loop loop;
  rpcnet::ChannelOptions options;
  options.remote = *Address::parse(director);
  options.quic.tls = std::move(*tls);
  options.quic.server_name = args.server_name;
  auto channel = rpcnet::Channel::connect(loop, std::move(options));
  if (!channel) {
    return fail(
        Role::kClient, kExitRuntime, "connect " + director + ": " + channel.error().message());
  }

  services::GenerateClientConfig config;
  config.connection_id = connection_id;
  config.streams = args.streams;
  config.request.prompt = args.prompt;
  config.request.max_tokens = args.max_tokens;
  config.timeout = args.timeout;
  services::GenerateClient client(config, (*channel)->session());
  client.on_finished([&loop] { loop.stop(); });
  bool interrupted = false;
  loop.on_stop_signal([&](int signo) {
    if (!interrupted) {
      interrupted = true;
      logger().warn("connection.id={} signal={}: cancelling streams", connection_id, signo);
      client.cancel();  // every call ends CANCELLED; on_finished stops the loop
    }
  });
  loop.refresh_now();
  if (auto started = client.start(loop.now()); !started) {
    return fail(Role::kClient, kExitRuntime, "start: " + started.error().message());
  }
  loop.run();

  client::ClientSummary summary = client.summary();
  // One Channel, so one handshake at most; a client that never reached the director had none.
  summary.quic_handshakes = (*channel)->handshake_completed() ? 1 : 0;
  (*channel)->close();
  const std::string line = client::format_summary(summary);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return summary.verified && summary.streams > 0 ? 0 : kExitRuntime;
}

}  // namespace connswap::app
