#pragma once
// connswap-impair's I/O: one listening UDP port per link, forwarding each client's datagrams
// to the link's target through an impair::Pipe and the answers back through another. Each
// client address gets its own upstream socket (impair::Flows), so the target sees one
// stable peer per client and QUIC works through the relay.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "impair/blackhole.h"
#include "impair/profile.h"
#include "net/loop.h"

namespace connswap::app {

// Where a link forwards to: an address, or a key of another program's ready-file
// (`@PATH#KEY`), read when the first datagram arrives (the target may start later).
struct LinkSpec {
  std::string name;    // ready-file key and log label
  std::string listen;  // HOST:PORT (port 0: any)
  std::string target;  // HOST:PORT or @PATH#KEY
};

// Parses "NAME,LISTEN,TARGET"; kInvalidArgument otherwise.
Result<LinkSpec> parse_link(const std::string& text);

struct RelayConfig {
  std::vector<LinkSpec> links;
  impair::Profile profile;                  // both directions of every link
  std::vector<impair::Window> blackholes;   // fixed windows after start
  Duration signal_blackhole = 3 * kSecond;  // SIGUSR1 starts a blackhole this long
  std::uint64_t seed = 1;                   // link i direction d uses a seed derived from it
  Duration flow_idle = 60 * kSecond;        // a client mapping unused this long is closed
  std::string ready_file;                   // NAME=ADDRESS per link, and pid
};

class Relay {
 public:
  // Binds every link's listening port. kIo / kInvalidArgument on failure.
  static Result<std::unique_ptr<Relay>> open(net::Loop& loop, const RelayConfig& config);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Writes the ready-file, serves until SIGTERM/SIGINT, then prints one stats line per link
  // and direction on stdout. Returns the exit status.
  int run();

 private:
  struct Impl;
  explicit Relay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace connswap::app
