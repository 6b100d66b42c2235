#pragma once
// connswap-client's configuration and its one run: a Channel to the director, N Generate
// streams through services::GenerateClient (resumed on a new connection when the director
// goes away), optional UDP rebinding, the summary line on stdout.

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace connswap::app {

struct ClientArgs {
  // Tried in order: the first at start, the next one (wrapping) at each reconnect.
  std::vector<std::string> directors = {"127.0.0.1:61000"};
  std::uint32_t streams = 1;
  std::uint32_t max_tokens = 60;
  std::string prompt = "hello";
  std::string connection_id;  // "" = a random conn-XXXX
  Duration timeout = 0;       // per stream; 0 = none
  std::string tls_ca = "certs/ca.pem";
  std::string server_name = "localhost";
  std::string log_level;            // "" = $RUST_LOG, else info
  std::string log_format = "text";  // --log-format: text | json
  bool resume = true;  // resume interrupted streams from their tickets on a new connection
  std::uint32_t reconnect_attempts = 10;            // in a row without a token, then give up
  Duration reconnect_backoff = 100 * kMillisecond;  // first delay; doubles up to 2 s
  Duration keepalive = 500 * kMillisecond;          // PING when idle: a dead director shows
  Duration rebind_every = 0;  // move to a new local UDP port this often (0 = never)
};

// Checks the configuration; kInvalidArgument names the bad option.
Result<void> validate(const ClientArgs& args);

// Runs the streams to the end (or SIGINT/SIGTERM) and prints the summary on stdout.
// Returns the exit status: 0 verified, 1 otherwise.
int run_client(const ClientArgs& args);

}  // namespace connswap::app
