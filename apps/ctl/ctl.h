#pragma once
// connswap-ctl's calls: one connswap.v1.Migration method on the director's MGMT port over
// one QUIC connection that presents this node's certificate (mTLS), and the answer printed
// as key=value lines (or protobuf JSON).

#include <cstdint>
#include <optional>
#include <string>

#include "base/time.h"
#include "common/options.h"

namespace connswap::app {

struct CtlArgs {
  std::string director = "127.0.0.1:61001";   // the director's MGMT address
  TlsFiles tls = role_tls_files(Role::kCtl);  // --tls-cert "" presents no certificate
  std::string server_name = "localhost";
  Duration timeout = 10 * kSecond;
  bool json = false;
  std::string log_level = "warn";
  // Subcommand arguments.
  std::string worker;                      // drain WORKER / move --to WORKER
  std::string connection_id;               // move --connection, sessions --connection
  std::optional<std::uint64_t> stream_id;  // move --stream
  std::uint32_t limit = 0;                 // sessions --limit
};

// Each runs one call and prints its answer on stdout. Returns the exit status: 0 done,
// 1 the call failed (one line on stderr: `connswap-ctl: error: CODE: message`), 2 bad
// configuration (TLS files).
int run_drain(const CtlArgs& args);
int run_move(const CtlArgs& args);
int run_sessions(const CtlArgs& args);

}  // namespace connswap::app
