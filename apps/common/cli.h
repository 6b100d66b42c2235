#pragma once
// The CLI11 side of common/options.h: declaring options and parsing argv. Only the files that
// declare options include this (CLI11 2.1 is header-only and costs ~10 s of compile per
// translation unit under the sanitizers).

#include <cstdint>
#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "base/time.h"
#include "common/options.h"

namespace connswap::app {

// Adds `--flag` bound to `value`, with its derived environment name (or `env` when given),
// its default shown in --help.
template <class T>
CLI::Option* add_env_option(CLI::App& app,
                            Role role,
                            const std::string& flag,
                            T& value,
                            const std::string& help,
                            std::string env = {}) {
  CLI::Option* opt = app.add_option(flag, value, help)
                         ->envname(env.empty() ? env_name(role, flag) : std::move(env))
                         ->capture_default_str();
  if constexpr (std::is_unsigned_v<T>) {
    opt->check(CLI::NonNegativeNumber);  // CLI11 would wrap "-5" around
  }
  return opt;
}

// The largest millisecond option value: 100 years. Its nanoseconds fit a Duration (the
// largest would be ~584 years); anything above is refused as a usage error.
inline constexpr std::uint64_t kMaxOptionMs = 3'155'760'000'000;

// Adds a millisecond option `--foo-ms` that sets the Duration `value` (nanoseconds); values
// above kMaxOptionMs are a usage error naming the option.
CLI::Option* add_ms_option(
    CLI::App& app, Role role, const std::string& flag, Duration& value, const std::string& help);

// Adds --tls-cert/--tls-key/--tls-ca and --log-level; with `long_lived` also
// --metrics-addr and --ready-file.
void add_common_options(CLI::App& app, Role role, CommonArgs& args, bool long_lived);

// Adds --log-format text|json (env CONNECTION_SWAP_<ROLE>_LOG_FORMAT) bound to `format`;
// add_common_options adds it for long-lived programs, the client calls it itself.
CLI::Option* add_log_format_option(CLI::App& app, Role role, std::string& format);

// Parses argv; returns the exit code to use now (help: 0, bad usage: 2 with one line on
// stderr), or -1 to go on.
int parse_or_exit(CLI::App& app, Role role, int argc, const char* const* argv);

}  // namespace connswap::app
