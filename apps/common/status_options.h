#pragma once
// The director's status page options (--http-status, --status-max-streams,
// --status-feed-queue, --status-feed-keepalive-ms; issue 17), each a flag and a
// CONNECTION_SWAP_DIRECTOR_* variable. They matter only with --http-addr.

#include <string>

#include "base/error.h"
#include "front/status_source.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

struct StatusArgs {
  std::string mode = "on";     // --http-status on|off|operator
  front::StatusConfig config;  // access follows `mode` after finish_status_options
};

void add_status_options(CLI::App& app, StatusArgs& args);

// After parsing: sets config.access; kInvalidArgument for a zero limit, naming the option.
Result<void> finish_status_options(StatusArgs& args);

}  // namespace connswap::app
