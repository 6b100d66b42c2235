#include "options.h"

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli.h"

namespace connswap::app {

namespace {

struct RawArgs {
  std::vector<std::string> links;
  std::vector<std::string> blackholes;
  std::uint64_t delay_ms = 0;
  std::uint64_t jitter_ms = 0;
  std::uint64_t signal_blackhole_ms = 3000;
  std::uint64_t flow_idle_ms = 60'000;
  std::string log_level = "info";
};

std::string env_of(const std::string& flag) {
  std::string name = "CONNECTION_SWAP_IMPAIR_";
  for (char c : flag.substr(2)) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

template <class T>
CLI::Option* add(CLI::App& app, const std::string& flag, T& value, const std::string& help) {
  return app.add_option(flag, value, help)->envname(env_of(flag))->capture_default_str();
}

void add_options(CLI::App& app, RelayConfig& c, RawArgs& raw) {
  add(app,
      "--link",
      raw.links,
      "NAME,LISTEN,TARGET: a UDP port at LISTEN (port 0: any) forwarding to TARGET "
      "(HOST:PORT, or @PATH#KEY: KEY of a ready-file, read when needed); repeatable")
      ->required();
  add(app, "--loss", c.profile.loss, "probability each datagram is dropped")
      ->check(CLI::Range(0.0, 1.0));
  add(app, "--delay-ms", raw.delay_ms, "one-way delay")->check(CLI::Range(0, 60'000));
  add(app, "--jitter-ms", raw.jitter_ms, "delay is uniform in delay +- jitter (order kept)")
      ->check(CLI::Range(0, 60'000));
  add(app, "--reorder", c.profile.reorder, "probability a datagram skips the delay")
      ->check(CLI::Range(0.0, 1.0));
  add(app, "--duplicate", c.profile.duplicate, "probability a datagram is sent twice")
      ->check(CLI::Range(0.0, 1.0));
  add(app, "--rate-bytes", c.profile.rate_bytes_per_s, "bytes per second per direction; 0 = off")
      ->check(CLI::NonNegativeNumber);
  add(app, "--queue-bytes", c.profile.queue_bytes, "rate limit backlog; beyond it tail drop")
      ->check(CLI::NonNegativeNumber);
  add(app,
      "--blackhole",
      raw.blackholes,
      "START_MS+LENGTH_MS after start: every link drops everything; repeatable");
  add(app, "--signal-blackhole-ms", raw.signal_blackhole_ms, "SIGUSR1 starts a blackhole this long")
      ->check(CLI::Range(1, 3'600'000));
  add(app, "--seed", c.seed, "random seed (each link and direction derives its own)");
  add(app, "--flow-idle-ms", raw.flow_idle_ms, "a client mapping idle this long is closed")
      ->check(CLI::Range(1, 3'600'000));
  add(app, "--ready-file", c.ready_file, "write NAME=ADDRESS per link and pid here once bound");
  add(app, "--log-level", raw.log_level, "trace|debug|info|warn|error|off");
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "connswap-impair: error: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int parse_impair_command_line(RelayConfig& c, int argc, const char* const* argv) {
  CLI::App app{
      "connswap-impair: a seeded UDP impairment relay (loss, delay, jitter, reordering, "
      "duplication, rate limit, blackholes) for tests and benchmarks; tc netem without the "
      "kernel.",
      "connswap-impair"};
  RawArgs raw;
  add_options(app, c, raw);
  app.footer(
      "SIGUSR1 starts a blackhole of --signal-blackhole-ms on every link; SIGTERM/SIGINT "
      "print one stats line per link and direction on stdout and exit 0. Exit status: 1 "
      "runtime failure; 2 bad usage or ports in use.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    return usage_error(std::string(e.what()) + " (see --help)");
  }
  for (const std::string& text : raw.links) {
    auto spec = parse_link(text);
    if (!spec) {
      return usage_error(spec.error().detail);
    }
    c.links.push_back(std::move(*spec));
  }
  for (const std::string& text : raw.blackholes) {
    auto w = impair::parse_window(text);
    if (!w) {
      return usage_error(w.error().detail);
    }
    c.blackholes.push_back(*w);
  }
  c.profile.delay = raw.delay_ms * kMillisecond;
  c.profile.jitter = raw.jitter_ms * kMillisecond;
  c.signal_blackhole = raw.signal_blackhole_ms * kMillisecond;
  c.flow_idle = raw.flow_idle_ms * kMillisecond;
  if (auto ok = impair::validate(c.profile); !ok) {
    return usage_error(ok.error().detail);
  }
  if (auto ok = apply_log_level(raw.log_level); !ok) {
    return usage_error(ok.error().detail);
  }
  return -1;
}

}  // namespace connswap::app
