// connswap-soak: the chaos soak (docs/RELIABILITY.md, "Chaos soak"). Starts a director and
// workers from this build, runs verified streams through them and hurts the processes at
// random from a seed every 1-3 s; exits 1 if any token was lost, duplicated or out of
// order, or a stream failed or hung.
//
//   connswap-soak --seconds 600 --seed 14

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "soak.h"

using connswap::kMillisecond;
using connswap::kSecond;
using namespace connswap::soak;

int main(int argc, char** argv) {
  SoakArgs a;
  CLI::App app{"connswap-soak: a cluster under seeded random faults, every stream verified",
               "connswap-soak"};
  app.add_option("--seconds", a.seconds, "how long faults are injected")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", a.seed, "the fault and stream plan")->capture_default_str();
  app.add_option("--workers", a.workers, "workers")
      ->check(CLI::Range(2, 26))
      ->capture_default_str();
  app.add_option("-c,--connections", a.connections, "client connections")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("-s,--streams", a.streams, "concurrent streams per connection")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--min-tokens", a.min_tokens, "shortest stream")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--max-tokens", a.max_tokens, "longest stream")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  std::uint64_t stall_ms = 2000;
  app.add_option("--stall-ms",
                 stall_ms,
                 "the director's --min-stall-ms and --first-token-timeout-ms; hung = 2x this")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  app.add_option("--bin-dir", a.bin_dir, "the build's apps/ dir (default: next to this binary)");
  app.add_option("--work-dir", a.work_dir, "certificates, keys, logs (default: temp)");
  app.add_flag("--keep", a.keep, "keep the temporary work dir");
  app.add_option("--director-log-level", a.director_log_level, "the director's --log-level")
      ->capture_default_str();
  app.add_flag("-q,--quiet", a.quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);
  if (a.min_tokens > a.max_tokens) {
    std::fprintf(stderr, "connswap-soak: --min-tokens is above --max-tokens\n");
    return 2;
  }
  a.stall = static_cast<connswap::Duration>(stall_ms) * kMillisecond;
  (void)kSecond;
  (void)connswap::log::set_level("error");  // the client library warns per stream
  return run_soak(a);
}
