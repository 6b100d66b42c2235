#pragma once
// Test-only view of a PEM certificate through GnuTLS, to check what pki/ produced.

#include <optional>
#include <string>
#include <vector>

namespace connswap::testing {

// What the tests look at in one certificate.
struct CertInfo {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // inet_ntop text
  std::vector<std::string> uris;          // SAN URIs (roles: connswap:role:<name>)
  std::vector<std::string> key_purposes;  // EKU OIDs
  bool is_ca = false;
  unsigned key_usage = 0;  // GNUTLS_KEY_* bits
  std::string serial_hex;
  long validity_seconds = 0;
  std::string algorithm;  // e.g. "EC/ECDSA"
};

// Parses `pem`; nullopt if it is not a certificate.
std::optional<CertInfo> inspect(const std::string& pem);

// Verifies `leaf_pem` against the single trust anchor `ca_pem` with GnuTLS's trust list.
// `purpose_oid` (EKU) and `hostname` are checked when non-empty. Returns the verification
// status text ("" when the chain is trusted).
std::string verify(const std::string& leaf_pem,
                   const std::string& ca_pem,
                   const std::string& purpose_oid = {},
                   const std::string& hostname = {});

// True if the certificate matches the IP address (gnutls_x509_crt_check_ip).
bool matches_ip(const std::string& leaf_pem, const std::string& ip);

// EKU OIDs, re-exported so tests need not include GnuTLS.
extern const char* const kServerAuthOid;
extern const char* const kClientAuthOid;
// GNUTLS_KEY_KEY_CERT_SIGN / GNUTLS_KEY_DIGITAL_SIGNATURE.
extern const unsigned kKeyCertSign;
extern const unsigned kDigitalSignature;

}  // namespace connswap::testing
