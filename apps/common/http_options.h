#pragma once
// The director's HTTP front options (--http-*): address, limits and timeouts, each a flag
// and a CONNECTION_SWAP_DIRECTOR_HTTP_* variable.

#include <string>

#include "base/error.h"
#include "common/status_options.h"
#include "front/http_session.h"
#include "net/tcp.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

struct HttpArgs {
  std::string addr;               // "" = no HTTP front
  bool tls = false;               // HTTPS with --tls-cert/--tls-key
  front::HttpFrontConfig config;  // parser limits, timeouts, max_tokens bounds
  net::TcpLimits tcp;             // connection limit
  StatusArgs status;              // the status page (status_options.h)
};

void add_http_options(CLI::App& app, HttpArgs& args);

// After parsing: checks the address parses and every limit is positive. kInvalidArgument
// naming the option.
Result<void> finish_http_options(HttpArgs& args);

// "http_addr=... http_max_connections=..." for the startup line.
std::string describe(const HttpArgs& args);

}  // namespace connswap::app
