#pragma once
// connswap-worker's command line: every WorkerConfig field as `--foo-bar` /
// CONNECTION_SWAP_WORKER_FOO_BAR (the director's MGMT address reads
// CONNECTION_SWAP_DIRECTOR_MGMT_ADDR, as in the seed), the drain timeout, plus the common
// options (TLS, log level, metrics, ready-file).

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "common/options.h"
#include "common/queue_options.h"
#include "worker/config.h"
#include "worker/openai_source.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

// Where a worker's tokens come from.
enum class Backend : std::uint8_t {
  kSynthetic,  // the built-in generator (the demo's words), paced by --token-interval-ms
  kOpenAI,     // an OpenAI-compatible model server at --backend-url (worker/openai_source.h)
};

struct WorkerArgs {
  worker::WorkerConfig config;
  std::string backend_name = "synthetic";  // --backend
  Backend backend = Backend::kSynthetic;
  worker::BackendConfig backend_config;     // --backend-* (kOpenAI only)
  std::vector<std::string> backend_params;  // --backend-param NAME=VALUE, repeatable
  std::string fail_mode = "error";
  Duration drain_timeout = 30 * kSecond;  // SIGTERM: exit when streams are gone or after this
  // USER serves callers without the director role too (off: PERMISSION_DENIED); logged.
  bool allow_any_client = false;
  QueueArgs queues{.send_queue_bytes = kWorkerSendQueueBytes};  // --send-queue-bytes
  CommonArgs common;
};

void add_worker_options(CLI::App& app, WorkerArgs& args);

// Reads argv and the environment into `args` with the --help text of connswap-worker;
// returns the exit code to use now (help: 0, bad usage: 2 with one line on stderr), or -1
// to go on. Does not validate: finish_worker_options() does.
int parse_worker_command_line(WorkerArgs& args, int argc, const char* const* argv);

// After parsing: applies --fail-mode, --backend and --backend-param, and validates
// (worker::validate). kInvalidArgument with a message naming the option.
Result<void> finish_worker_options(WorkerArgs& args);

// One line with the effective configuration, for the startup log.
std::string describe(const WorkerArgs& args);

}  // namespace connswap::app
