#pragma once
// connswap-worker's command line: every WorkerConfig field as `--foo-bar` /
// CONNECTION_SWAP_WORKER_FOO_BAR (the director's MGMT address reads
// CONNECTION_SWAP_DIRECTOR_MGMT_ADDR, as in the seed), the drain timeout, plus the common
// options (TLS, log level, metrics, ready-file).

#include <string>

#include "base/error.h"
#include "base/time.h"
#include "common/options.h"
#include "worker/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

struct WorkerArgs {
  worker::WorkerConfig config;
  std::string fail_mode = "error";
  Duration drain_timeout = 30 * kSecond;  // SIGTERM: exit when streams are gone or after this
  CommonArgs common;
};

void add_worker_options(CLI::App& app, WorkerArgs& args);

// Reads argv and the environment into `args` with the --help text of connswap-worker;
// returns the exit code to use now (help: 0, bad usage: 2 with one line on stderr), or -1
// to go on. Does not validate: finish_worker_options() does.
int parse_worker_command_line(WorkerArgs& args, int argc, const char* const* argv);

// After parsing: applies --fail-mode and validates (worker::validate). kInvalidArgument with
// a message naming the option.
Result<void> finish_worker_options(WorkerArgs& args);

// One line with the effective configuration, for the startup log.
std::string describe(const WorkerArgs& args);

}  // namespace connswap::app
