#pragma once
// connswap-director's command line: every DirectorConfig field as `--foo-bar` /
// CONNECTION_SWAP_DIRECTOR_FOO_BAR, the cluster key file and resume-ticket knobs, plus the
// common options (TLS, log level, metrics, ready-file).

#include <string>

#include "base/error.h"
#include "common/http_options.h"
#include "common/limit_options.h"
#include "common/options.h"
#include "common/queue_options.h"
#include "director/config.h"
#include "services/director_service.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

struct DirectorArgs {
  director::DirectorConfig config;
  std::string policy = "round_robin";
  std::string cluster_key_file;  // "" = no resume tickets (connswap-keys makes one)
  services::ResumeConfig resume;
  HttpArgs http;     // the OpenAI-compatible front (off by default)
  LimitArgs limits;  // connection/stream caps, Retry, blocked-stream lifetime (issue 14)
  QueueArgs queues;  // per-stream bytes in flight on each hop (issue 15)
  CommonArgs common;
};

void add_director_options(CLI::App& app, DirectorArgs& args);

// Reads argv and the environment into `args` with the --help text of connswap-director;
// returns the exit code to use now (help: 0, bad usage: 2 with one line on stderr), or -1
// to go on. Does not validate: finish_director_options() does.
int parse_director_command_line(DirectorArgs& args, int argc, const char* const* argv);

// After parsing: applies --policy and validates (director::validate). kInvalidArgument with
// a message naming the option.
Result<void> finish_director_options(DirectorArgs& args);

// One line with the effective configuration, for the startup log.
std::string describe(const DirectorArgs& args);

}  // namespace connswap::app
