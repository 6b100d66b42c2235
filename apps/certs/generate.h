#pragma once
// The work behind connswap-certs, separate from main() so that main stays wiring only.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace connswap::certs {

// The command line, as parsed by CLI11.
struct Options {
  std::filesystem::path out_dir;          // created if missing
  std::vector<std::string> dns_names;     // extra server SANs (localhost is always added)
  std::vector<std::string> ip_addresses;  // extra server SANs (127.0.0.1, ::1 always added)
  std::uint32_t days{825};                // leaf validity; a new CA gets max(days, 3650)
  std::string client_cn{"connswap-client"};
  std::vector<std::string> worker_names;  // --worker-cert NAME: also NAME.pem (worker role)
  bool force{false};                      // replace existing server/client files
  bool new_ca{false};  // make a new CA even if out_dir has one (replacing it needs force)
};

// Checks names, addresses and days without touching the disk (kInvalidArgument).
[[nodiscard]] Result<void> validate(const Options& options);

// Writes ca.pem, ca-key.pem (unless an existing CA is reused) and, each with its -key.pem:
// server.pem (no role), director.pem, worker.pem, operator.pem, client.pem (one role each,
// as SAN URI connswap:role:<name>) and NAME.pem (worker role) per --worker-cert. Checks every
// target before writing anything. Returns a short human-readable summary. Errors:
// kInvalidArgument (files exist without force, half a CA present), kIo, kNotFound, kTls.
[[nodiscard]] Result<std::string> generate(const Options& options);

}  // namespace connswap::certs
