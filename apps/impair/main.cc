// connswap-impair: a seeded UDP impairment relay. One listening port per --link forwards
// each client's datagrams to the link's target (and the answers back) through loss, delay,
// jitter, reordering, duplication, a rate limit and blackholes (tc netem in user space).
//   connswap-impair --link user,127.0.0.1:0,127.0.0.1:61000 --loss 0.05 --delay-ms 50
//     --jitter-ms 10 --seed 7 --ready-file relay.ready

#include <cstdio>
#include <exception>

#include "base/log.h"
#include "common/options.h"
#include "net/loop.h"
#include "options.h"
#include "relay.h"

namespace {

int run_main(int argc, char** argv) {
  connswap::app::RelayConfig config;
  if (int code = connswap::app::parse_impair_command_line(config, argc, argv); code >= 0) {
    return code;
  }
  auto& logger = connswap::log::get("impair");
  logger.info(
      "links={} loss={} delay_ms={} jitter_ms={} reorder={} duplicate={} rate_bytes={} "
      "seed={}: starting",
      config.links.size(),
      config.profile.loss,
      config.profile.delay / connswap::kMillisecond,
      config.profile.jitter / connswap::kMillisecond,
      config.profile.reorder,
      config.profile.duplicate,
      config.profile.rate_bytes_per_s,
      config.seed);
  connswap::net::Loop loop;
  auto relay = connswap::app::Relay::open(loop, config);
  if (!relay) {
    std::fprintf(stderr, "connswap-impair: error: %s\n", relay.error().detail.c_str());
    return connswap::app::kExitUsage;
  }
  return (*relay)->run();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "connswap-impair: error: %s\n", e.what());
    return connswap::app::kExitRuntime;
  }
}
