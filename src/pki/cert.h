#pragma once
// Certificate generation for connswap deployments and tests: an ECDSA P-256 CA and leaf
// certificates (server or client) signed by it. Everything is exchanged as PEM text, so no
// GnuTLS type leaks out of this module.

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/peer_roles.h"

namespace connswap::pki {

// A certificate and its private key, both PEM encoded (key as unencrypted PKCS#8).
struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

// What a leaf certificate is for; selects the extended key usage.
enum class LeafRole : std::uint8_t {
  kServer,  // EKU serverAuth
  kClient,  // EKU clientAuth
  kNode,    // EKU serverAuth and clientAuth: a director or worker (serves, and calls peers)
};

// Parameters of a new CA certificate.
struct CaOptions {
  std::string common_name{"connswap CA"};  // subject and issuer CN
  std::uint32_t validity_days{3650};       // 1..36500
};

// Parameters of a new leaf certificate.
struct LeafOptions {
  std::string common_name;                  // subject CN; must not be empty
  LeafRole role{LeafRole::kServer};         // selects the EKU
  std::vector<std::string> dns_names{};     // SAN dNSName entries ("localhost", "*.a.b")
  std::vector<std::string> ip_addresses{};  // SAN iPAddress entries, IPv4 or IPv6 text
  RoleSet roles{};                          // each as a SAN URI connswap:role:<name>
  std::uint32_t validity_days{825};         // 1..36500
};

// Checks names, addresses and validity. Errors are Errc::kInvalidArgument with a detail
// naming the bad field; make_ca/make_leaf run the same checks.
[[nodiscard]] Result<void> validate(const CaOptions& options);
[[nodiscard]] Result<void> validate(const LeafOptions& options);

// Creates a self-signed CA: fresh ECDSA P-256 key, CA:TRUE, keyCertSign + cRLSign, random
// 128-bit serial, SHA-256. Errors: kInvalidArgument (options), kTls (GnuTLS failure).
[[nodiscard]] Result<CertAndKey> make_ca(const CaOptions& options);

// Creates a leaf with a fresh ECDSA P-256 key, signed by `ca` (as returned by make_ca or
// load_pem_files). Errors: kInvalidArgument (options, or `ca` is not a CA or its key does
// not match its certificate), kTls (unparsable PEM or GnuTLS failure).
[[nodiscard]] Result<CertAndKey> make_leaf(const CertAndKey& ca, const LeafOptions& options);

}  // namespace connswap::pki
