#pragma once
// A throwaway PKI for tests: CA, server and client certs, role certs, and an unrelated CA, all
// as PEM files in a fresh temporary directory.

#include <filesystem>

#include "support/temp_dir.h"

namespace connswap::testing {

// Paths of the generated files. The directory (and everything in it) is removed when the
// TestPki is destroyed; move-only. Keys are mode 0600, unencrypted PKCS#8.
struct TestPki {
  std::filesystem::path dir;
  std::filesystem::path ca_cert, ca_key;
  std::filesystem::path server_cert, server_key;  // SANs localhost, 127.0.0.1, ::1; serverAuth
  std::filesystem::path client_cert, client_key;  // CN "connswap-test-client"; clientAuth
  // Role certificates (SAN URI connswap:role:<name>); director and workers serve localhost
  // like server_cert and are clientAuth too. server_cert and client_cert have no role.
  std::filesystem::path director_cert, director_key;
  std::filesystem::path worker_cert, worker_key;
  std::filesystem::path worker2_cert, worker2_key;  // a second worker certificate
  std::filesystem::path operator_cert, operator_key;
  std::filesystem::path other_ca_cert, other_ca_key;  // an unrelated CA
  std::filesystem::path other_cert, other_key;  // like server_cert, but signed by the other CA
  TempDir owner;                                // owns `dir`
};

// Generates a TestPki (a few ms: ECDSA P-256). On failure reports a GTest failure with the
// error and aborts the process, since no test can continue without certificates.
TestPki make_test_pki();

}  // namespace connswap::testing
