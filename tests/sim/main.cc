// connswap-sim: runs the scenario table (tests/sim/scenarios.cc) over a range of seeds on
// the virtual network, or replays one scenario and seed. Prints every failure with the
// command that replays it; exits 1 if any run failed.
//
//   connswap_sim [--first S] [--seeds N | --sweep N] [--scenario NAME] [--seed S]
//                [--log LEVEL] [--list] [--verbose] [--check-replay]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/pattern_formatter.h>

#include "base/log.h"
#include "sim/scenarios.h"
#include "sim/sim.h"

namespace {

// "%V" in a log pattern: the simulation's virtual time, seconds since it started.
class VirtualTimeFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&,
              const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto t = connswap::sim::virtual_now();
    const auto s = fmt::format("{:.6f}", t < kStart ? 0.0 : static_cast<double>(t - kStart) / 1e9);
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<VirtualTimeFlag>();
  }

 private:
  static constexpr connswap::Timestamp kStart = 1000 * connswap::kSecond;  // Sim's epoch
};

void use_virtual_time_in_logs() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<VirtualTimeFlag>('V').set_pattern("t=%V %l %n %v");
  connswap::log::get("sim").set_formatter(std::move(formatter));  // the shared sink's
}

// Matrix (default): every selected scenario for every seed in [first, first + seeds).
// Sweep (--sweep N): N runs, run j on scenario j mod table with seed first + j, so every
// run has its own seed.
struct Args {
  std::uint64_t first = 1;
  std::uint64_t seeds = 10;
  std::uint64_t sweep = 0;
  std::string scenario;  // "" = all
  std::string log = "off";
  bool list = false;
  bool verbose = false;
  bool check_replay = false;  // run each twice; differing courses are a failure
};

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--list") {
      a.list = true;
    } else if (arg == "--check-replay") {
      a.check_replay = true;
    } else if (arg == "--verbose" || arg == "-v") {
      a.verbose = true;
    } else if (arg == "--first" && has_value) {
      a.first = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--sweep" && has_value) {
      a.sweep = std::strtoull(argv[++i], nullptr, 10);
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
                   "usage: %s [--first S] [--seeds N | --sweep N] [--seed S] "
                   "[--scenario NAME] [--log LEVEL] [--list] [--verbose] [--check-replay]\n",
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
  std::vector<std::pair<std::string, std::uint64_t>> runs;
  if (args.sweep != 0) {
    for (std::uint64_t j = 0; j < args.sweep; ++j) {
      runs.emplace_back(names[j % names.size()], args.first + j);
    }
  } else {
    for (std::uint64_t seed = args.first; seed < args.first + args.seeds; ++seed) {
      for (const auto& name : names) {
        runs.emplace_back(name, seed);
      }
    }
  }
  if (args.log != "off") {
    use_virtual_time_in_logs();
  }
  const auto start = std::chrono::steady_clock::now();  // the report's wall time only
  std::size_t failed = 0;
  std::uint64_t unavailable = 0;
  std::uint64_t migrations = 0;
  double virtual_seconds = 0;
  for (const auto& [name, seed] : runs) {
    auto r = run_scenario(name, seed);
    if (args.check_replay) {
      const auto again = run_scenario(name, seed);
      if (again.datagrams != r.datagrams || again.tokens != r.tokens ||
          again.migrations != r.migrations || again.virtual_seconds != r.virtual_seconds) {
        r.failures.push_back("not deterministic: a second run took another course (datagrams " +
                             std::to_string(r.datagrams) + " vs " +
                             std::to_string(again.datagrams) + ")");
      }
    }
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
    std::fflush(stdout);
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "sim: %zu runs, %zu failed; %llu migrations, %llu streams UNAVAILABLE; %.1f s "
      "virtual in %.1f s wall\n",
      runs.size(),
      failed,
      static_cast<unsigned long long>(migrations),
      static_cast<unsigned long long>(unavailable),
      virtual_seconds,
      wall);
  return failed == 0 ? 0 : 1;
}
