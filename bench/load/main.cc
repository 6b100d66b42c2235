// connswap-bench: load through a director (or straight to a worker) with C connections x S
// Generate streams; reports tokens/s, per-token latency, failover gaps under an injected
// fault, director CPU and RSS; JSON + a table, optionally a gnuplot PNG. docs/BENCHMARKS.md.
//
//   connswap-bench --connections 2 --streams 500 --token-interval-ms 500 --fail kill
//   connswap-bench --director 127.0.0.1:61000 --pid 1234 --tls-ca certs/ca.pem

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "run.h"

using connswap::kMillisecond;
using namespace connswap::bench;

int main(int argc, char** argv) {
  BenchArgs a;
  CLI::App app{"connswap-bench: load generator and failover meter for connswap", "connswap-bench"};
  auto* target = app.add_option_group("target", "default: start a director + workers here");
  target->add_option("--director", a.director, "USER address of a running director");
  target->add_option("--worker", a.worker, "USER address of a running worker (Worker/Generate)");
  target->require_option(0, 1);
  app.add_flag("--direct", a.direct, "started cluster: load worker-a directly, not the director");
  app.add_flag("--http",
               a.http,
               "SSE completion streams through the director's HTTP front (--director: its "
               "HTTP address)");
  app.add_option("--pid", a.pid, "PID of the running --director/--worker (CPU, RSS)");
  app.add_option("--fail-pid", a.fail_pid, "PID of the running worker --fail signals");
  app.add_option("--bin-dir", a.bin_dir, "the build's apps/ dir (default: next to this binary)");
  app.add_option("--work-dir", a.work_dir, "certificates, ready-files, logs (default: temp)");
  app.add_flag("--keep", a.keep, "keep the temporary work dir");
  app.add_option("--workers", a.workers, "workers to start")->check(CLI::Range(1, 64));
  app.add_option("-c,--connections", a.connections, "client connections")
      ->check(CLI::Range(1, 10'000));
  app.add_option("-s,--streams", a.streams, "Generate streams per connection")
      ->check(CLI::Range(1, 100'000));
  app.add_option("-t,--threads", a.threads, "client threads (connections spread over them)")
      ->check(CLI::Range(1, 64));
  app.add_option("--seconds", a.seconds, "measured window")->check(CLI::PositiveNumber);
  app.add_option("--warmup", a.warmup, "seconds between all streams flowing and the window")
      ->check(CLI::NonNegativeNumber);
  app.add_option_function<std::uint64_t>(
         "--token-interval-ms",
         [&a](const std::uint64_t& ms) { a.interval = ms * kMillisecond; },
         "workers' token interval (started ones get it; subtracted from gaps); 0 = unpaced")
      ->default_str("0");
  app.add_option("--max-tokens", a.max_tokens, "tokens per stream; 0 = until the end");
  std::string fail = "none";
  app.add_option("--fail", fail, "fault injected into worker-a during the window")
      ->check(CLI::IsMember({"none", "kill", "stop", "term", "error", "mgmt-partition"}))
      ->capture_default_str();
  app.add_option("--fail-at", a.fail_at, "seconds into the window (default: the middle)");
  app.add_option("--loss-pct",
                 a.loss_pct,
                 "started cluster: every worker's USER path through a connswap-impair relay "
                 "dropping this % of datagrams both ways")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--relay-seed", a.relay_seed, "seed the started relays derive theirs from")
      ->capture_default_str();
  app.add_option("--director-metrics",
                 a.director_metrics,
                 "running director's /metrics HOST:PORT, scraped after the window (a started "
                 "director always gets --metrics-addr)");
  app.add_option("--json", a.json, "write the JSON result here ('-': stdout, table to stderr)");
  app.add_option("--plot", a.plot, "PNG of one stream's token arrivals across the failover");
  app.add_option("--tls-ca", a.tls_ca, "CA of a running target's certificate");
  app.add_option("--server-name", a.server_name, "name the target's certificate carries");
  app.add_option("--director-arg", a.director_args, "extra flag for the started director")
      ->allow_extra_args(false);
  app.add_option("--director-wrapper",
                 a.director_wrapper,
                 "run the started director under this command (e.g. 'valgrind --tool=massif')");
  app.add_option("--standby-wrapper",
                 a.standby_wrapper,
                 "run every started worker but worker-a (the one --fail hits) under this command");
  app.add_option("--worker-arg", a.worker_args, "extra flag for the started workers")
      ->allow_extra_args(false);
  app.add_flag("-q,--quiet", a.quiet, "no progress line on stderr");
  CLI11_PARSE(app, argc, argv);
  const std::map<std::string, Fault> faults = {{"none", Fault::kNone},
                                               {"kill", Fault::kKill},
                                               {"stop", Fault::kStop},
                                               {"term", Fault::kTerm},
                                               {"error", Fault::kError},
                                               {"mgmt-partition", Fault::kMgmtPartition}};
  a.fail = faults.at(fail);
  (void)connswap::log::set_level("warn");  // our own QUIC/RPC stack: no per-connection lines
  return run_bench(a);
}
