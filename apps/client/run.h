#pragma once
// connswap-client's configuration and its one run: a Channel to the director, N Generate
// streams through services::GenerateClient, the summary line on stdout.

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace connswap::app {

struct ClientArgs {
  std::vector<std::string> directors = {"127.0.0.1:61000"};  // the first is used
  std::uint32_t streams = 1;
  std::uint32_t max_tokens = 60;
  std::string prompt = "hello";
  std::string connection_id;  // "" = a random conn-XXXX
  Duration timeout = 0;       // per stream; 0 = none
  std::string tls_ca = "certs/ca.pem";
  std::string server_name = "localhost";
  std::string log_level;  // "" = $RUST_LOG, else info
};

// Checks the configuration; kInvalidArgument names the bad option.
Result<void> validate(const ClientArgs& args);

// Runs the streams to the end (or SIGINT/SIGTERM) and prints the summary on stdout.
// Returns the exit status: 0 verified, 1 otherwise.
int run_client(const ClientArgs& args);

}  // namespace connswap::app
