#include "run.h"

#include <cstdio>
#include <memory>

#include <fmt/ranges.h>

#include "base/address.h"
#include "base/log.h"
#include "base/random.h"
#include "common/options.h"
#include "common/tls_files.h"
#include "net/loop.h"
#include "runner.h"

namespace connswap::app {
namespace {

spdlog::logger& logger() {
  return log::get("client");
}

// 64 random bits: two clients that each let the id be made do not share a session entry
// (once 10,000 values, issue 14 item 6).
std::string random_connection_id() {
  return fmt::format("conn-{:016x}", random_u64());
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
  if (args.reconnect_backoff == 0) {
    return make_error(Errc::kInvalidArgument, "--reconnect-backoff-ms: must be > 0");
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
  logger().info(
      "connection.id={} director={} streams={} max_tokens={} timeout_ms={} resume={} "
      "rebind_every_ms={}: client starting",
      connection_id,
      fmt::join(args.directors, ","),
      args.streams,
      args.max_tokens,
      args.timeout / kMillisecond,
      args.resume,
      args.rebind_every / kMillisecond);

  net::Loop loop;
  ClientRunner runner(loop, args, std::move(*tls), connection_id);
  if (auto started = runner.start(); !started) {
    return fail(Role::kClient, kExitRuntime, started.error().message());
  }
  runner.run();

  const client::ClientSummary summary = runner.summary();
  const std::string line = client::format_summary(summary);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return summary.verified && summary.streams > 0 ? 0 : kExitRuntime;
}

}  // namespace connswap::app
