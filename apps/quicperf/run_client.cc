// `connswap-quicperf client`: configuration, the loop, and the result line.

#include <cmath>
#include <cstdio>

#include "base/log.h"
#include "net/client.h"
#include "net/loop.h"
#include "perf_client.h"
#include "quic/tls.h"

namespace connswap::quicperf {
namespace {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  auto index = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, index == 0 ? 0 : index - 1)];
}

std::string printf_string(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "connswap-quicperf: error: %s\n", what.c_str());
  return 1;
}

}  // namespace

std::string format_result(
    Mode mode, const PerfConfig& config, const PerfResult& r, bool json, bool gso, bool gro) {
  const auto& lat = r.latencies_us;
  const double mib_s = r.seconds > 0 ? static_cast<double>(r.bytes) / (1 << 20) / r.seconds : 0;
  const char* t = json ? "true" : "on";
  const char* f = json ? "false" : "off";
  const std::string m(to_string(mode));
  if (mode == Mode::kRtt) {
    return json ? printf_string(
                      "{\"mode\":\"rtt\",\"count\":%llu,\"size\":%zu,\"p50_us\":%.1f,\"p90_us\":"
                      "%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"gso\":%s,\"gro\":%s,\"migrated\":%s}",
                      static_cast<unsigned long long>(r.count),
                      config.size,
                      percentile(lat, 50),
                      percentile(lat, 90),
                      percentile(lat, 99),
                      lat.empty() ? 0.0 : lat.back(),
                      gso ? t : f,
                      gro ? t : f,
                      r.migrated ? t : f)
                : printf_string(
                      "rtt: %llu x %zu B  p50 %.1f us  p90 %.1f us  p99 %.1f us  max "
                      "%.1f us  (gso %s, gro %s)",
                      static_cast<unsigned long long>(r.count),
                      config.size,
                      percentile(lat, 50),
                      percentile(lat, 90),
                      percentile(lat, 99),
                      lat.empty() ? 0.0 : lat.back(),
                      gso ? t : f,
                      gro ? t : f);
  }
  if (json) {
    return printf_string(
        "{\"mode\":\"%s\",\"bytes\":%llu,\"seconds\":%.3f,\"mib_per_s\":%.1f,\"count\":%llu,"
        "\"checksum_ok\":%s,\"gso\":%s,\"gro\":%s,\"migrated\":%s}",
        m.c_str(),
        static_cast<unsigned long long>(r.bytes),
        r.seconds,
        mib_s,
        static_cast<unsigned long long>(r.count),
        m == "echo" ? (r.checksum_ok ? t : f) : "null",  // only echo mode checks a checksum
        gso ? t : f,
        gro ? t : f,
        r.migrated ? t : f);
  }
  return printf_string(
      "%s: %llu bytes in %.3f s = %.1f MiB/s%s%s  (gso %s, gro %s)",
      m.c_str(),
      static_cast<unsigned long long>(r.bytes),
      r.seconds,
      mib_s,
      mode == Mode::kStreams
          ? printf_string(", %llu streams", static_cast<unsigned long long>(r.count)).c_str()
          : "",
      r.migrated ? ", migrated" : "",
      gso ? t : f,
      gro ? t : f);
}

int run_client(const ClientArgs& args) {
  auto remote = Address::parse(args.connect);
  if (!remote) {
    return fail(remote.error().message());
  }
  quic::ClientTlsOptions tls_options;
  tls_options.ca_file = args.ca_file;
  auto tls = quic::TlsContext::make_client(tls_options);
  if (!tls) {
    return fail(tls.error().message());
  }
  net::ClientOptions options;
  options.remote = *remote;
  options.quic.tls = *tls;
  options.quic.server_name = args.server_name;
  options.quic.transport.idle_timeout = args.idle_timeout_ms * kMillisecond;
  options.socket.gso = args.gso;
  options.socket.gro = args.gro;

  net::Loop loop;
  PerfClient perf(args.perf);
  auto client = net::ClientEndpoint::connect(loop, options, perf);
  if (!client) {
    return fail(client.error().message());
  }
  perf.attach(**client);
  bool interrupted = false;
  loop.on_stop_signal([&](int) {
    interrupted = true;
    loop.stop();
  });
  // Bounded only by the idle timeout: a dead server ends the run through on_closed.
  while (!perf.done() && !interrupted) {
    loop.run_until([&] { return perf.done(); }, 3600 * kSecond);
  }
  const bool gso = (*client)->socket().gso_enabled();
  const bool gro = (*client)->socket().gro_enabled();
  (*client)->stop();  // sends CONNECTION_CLOSE
  if (interrupted) {
    return 0;
  }
  const PerfResult& r = perf.result();
  if (!r.ok) {
    return fail(r.error);
  }
  std::printf("%s\n", format_result(args.perf.mode, args.perf, r, args.json, gso, gro).c_str());
  return 0;
}

}  // namespace connswap::quicperf
