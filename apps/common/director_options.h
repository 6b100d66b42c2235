#pragma once
// connswap-director's command line: every DirectorConfig field as `--foo-bar` /
// CONNECTION_SWAP_DIRECTOR_FOO_BAR, the cluster key file and resume-ticket knobs, plus the
// common options (TLS, log level, metrics, ready-file).

#include <string>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "common/options.h"
#include "director/config.h"
#include "services/director_service.h"

namespace connswap::app {

struct DirectorArgs {
  director::DirectorConfig config;
  std::string policy = "round_robin";
  std::string cluster_key_file;  // "" = no resume tickets (connswap-keys makes one)
  services::ResumeConfig resume;
  CommonArgs common;
};

void add_director_options(CLI::App& app, DirectorArgs& args);

// After parsing: applies --policy and validates (director::validate). kInvalidArgument with
// a message naming the option.
Result<void> finish_director_options(DirectorArgs& args);

// One line with the effective configuration, for the startup log.
std::string describe(const DirectorArgs& args);

}  // namespace connswap::app
