// connswap-sim: runs the scenario table (tests/sim/scenarios.cc) over a range of seeds on
// the virtual network, or replays one scenario and seed. Prints every failure with the
// command that replays it; exits 1 if any run failed.
//
//   connswap_sim [--first S] [--seeds N] [--scenario NAME] [--seed S] [--log LEVEL] [--list]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "sim/scenarios.h"

namespace {

struct Args {
  std::uint64_t first = 1;
  std::uint64_t seeds = 10;
  std::string scenario;  // "" = all
  std::string log = "off";
  bool list = false;
  bool verbose = false;
};

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--list") {
      a.list = true;
    } else if (arg == "--verbose" || arg == "-v") {
      a.verbose = true;
    } else if (arg == "--first" && has_value) {
      a.first = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seeds" && has_value) {
      a.seeds = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && has_value) {
      a.first = std::strtoull(argv[++i], nullptr, 10);
      a.seeds = 1;
    } else if (arg == "--scenario" && has_value) {
      a.scenario = argv[++i];
    } else if (arg == "--log" && has_value) {
      a.log = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--first S] [--seeds N] [--seed S] [--scenario NAME] "
                   "[--log LEVEL] [--list] [--verbose]\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using connswap::sim::run_scenario;
  using connswap::sim::scenario_names;
  Args args;
  if (!parse_args(argc, argv, args) || !connswap::log::set_level(args.log)) {
    return 2;
  }
  const std::vector<std::string> all = scenario_names();
  if (args.list) {
    for (const auto& name : all) {
      std::printf("%s\n", name.c_str());
    }
    return 0;
  }
  std::vector<std::string> names;
  for (const auto& name : all) {
    if (args.scenario.empty() || name == args.scenario || name.rfind(args.scenario + "/", 0) == 0) {
      names.push_back(name);
    }
  }
  if (names.empty()) {
    std::fprintf(stderr, "sim: no scenario named %s (see --list)\n", args.scenario.c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();  // the report's wall time only
  std::size_t runs = 0;
  std::size_t failed = 0;
  std::uint64_t unavailable = 0;
  std::uint64_t migrations = 0;
  double virtual_seconds = 0;
  for (std::uint64_t seed = args.first; seed < args.first + args.seeds; ++seed) {
    for (const auto& name : names) {
      const auto r = run_scenario(name, seed);
      ++runs;
      unavailable += r.unavailable;
      migrations += r.migrations;
      virtual_seconds += r.virtual_seconds;
      if (args.verbose) {
        std::printf(
            "sim: scenario=%s seed=%llu streams=%u tokens=%llu migrations=%llu "
            "unavailable=%llu virtual=%.2fs datagrams=%llu %s\n",
            name.c_str(),
            static_cast<unsigned long long>(seed),
            r.streams,
            static_cast<unsigned long long>(r.tokens),
            static_cast<unsigned long long>(r.migrations),
            static_cast<unsigned long long>(r.unavailable),
            r.virtual_seconds,
            static_cast<unsigned long long>(r.datagrams),
            r.failures.empty() ? "ok" : "FAILED");
      }
      if (r.failures.empty()) {
        continue;
      }
      ++failed;
      std::printf("sim: scenario=%s seed=%llu FAILED: %s\n",
                  name.c_str(),
                  static_cast<unsigned long long>(seed),
                  r.failures.front().c_str());
      for (std::size_t i = 1; i < r.failures.size(); ++i) {
        std::printf("sim:   %s\n", r.failures[i].c_str());
      }
      std::printf("sim:   replay: %s --scenario %s --seed %llu --log debug\n",
                  argv[0],
                  name.c_str(),
                  static_cast<unsigned long long>(seed));
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "sim: %zu runs (seeds %llu..%llu x %zu scenarios), %zu failed; %llu migrations, "
      "%llu streams UNAVAILABLE; %.1f s virtual in %.1f s wall\n",
      runs,
      static_cast<unsigned long long>(args.first),
      static_cast<unsigned long long>(args.first + args.seeds - 1),
      names.size(),
      failed,
      static_cast<unsigned long long>(migrations),
      static_cast<unsigned long long>(unavailable),
      virtual_seconds,
      wall);
  return failed == 0 ? 0 : 1;
}
