#include "support/test_pki.h"

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include "pki/cert.h"
#include "pki/pem_file.h"

namespace connswap::testing {
namespace {

template <class T>
T or_abort(Result<T> r, const char* what) {
  if (!r) {
    ADD_FAILURE() << "make_test_pki: " << what << ": " << r.error().message();
    std::abort();
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(*r);
  }
}

void write(const pki::CertAndKey& pair,
           const std::filesystem::path& cert,
           const std::filesystem::path& key) {
  or_abort(pki::write_pem_files(pair, {.cert = cert, .key = key}, pki::Overwrite::kNo),
           "writing PEM files");
}

pki::LeafOptions role_leaf(const char* cn, PeerRole role) {
  pki::LeafOptions options{
      .common_name = cn,
      .role = role == PeerRole::kOperator ? pki::LeafRole::kClient : pki::LeafRole::kNode,
      .dns_names = {"localhost"},
      .ip_addresses = {"127.0.0.1", "::1"},
      .validity_days = 2};
  options.roles.add(role);
  return options;
}

}  // namespace

TestPki make_test_pki() {
  TestPki t;
  t.owner = TempDir("connswap-pki");
  t.dir = t.owner.path();
  t.ca_cert = t.dir / "ca.pem";
  t.ca_key = t.dir / "ca-key.pem";
  t.server_cert = t.dir / "server.pem";
  t.server_key = t.dir / "server-key.pem";
  t.client_cert = t.dir / "client.pem";
  t.client_key = t.dir / "client-key.pem";
  t.other_ca_cert = t.dir / "other-ca.pem";
  t.other_ca_key = t.dir / "other-ca-key.pem";
  t.other_cert = t.dir / "other.pem";
  t.other_key = t.dir / "other-key.pem";

  auto ca =
      or_abort(pki::make_ca({.common_name = "connswap test CA", .validity_days = 2}), "making CA");
  auto server = or_abort(pki::make_leaf(ca,
                                        {.common_name = "localhost",
                                         .role = pki::LeafRole::kServer,
                                         .dns_names = {"localhost"},
                                         .ip_addresses = {"127.0.0.1", "::1"},
                                         .validity_days = 2}),
                         "making server cert");
  auto client = or_abort(pki::make_leaf(ca,
                                        {.common_name = "connswap-test-client",
                                         .role = pki::LeafRole::kClient,
                                         .validity_days = 2}),
                         "making client cert");
  auto other = or_abort(pki::make_ca({.common_name = "connswap other CA", .validity_days = 2}),
                        "making other CA");
  write(ca, t.ca_cert, t.ca_key);
  write(server, t.server_cert, t.server_key);
  write(client, t.client_cert, t.client_key);
  auto other_leaf = or_abort(pki::make_leaf(other,
                                            {.common_name = "localhost",
                                             .role = pki::LeafRole::kServer,
                                             .dns_names = {"localhost"},
                                             .ip_addresses = {"127.0.0.1", "::1"},
                                             .validity_days = 2}),
                             "making other-CA cert");
  const struct {
    const char* cn;
    PeerRole role;
    std::filesystem::path *cert, *key;
    const char* file;
  } roles[] = {
      {"connswap-test-director",
       PeerRole::kDirector,
       &t.director_cert,
       &t.director_key,
       "director"},
      {"connswap-test-worker", PeerRole::kWorker, &t.worker_cert, &t.worker_key, "worker"},
      {"connswap-test-worker2", PeerRole::kWorker, &t.worker2_cert, &t.worker2_key, "worker2"},
      {"connswap-test-operator",
       PeerRole::kOperator,
       &t.operator_cert,
       &t.operator_key,
       "operator"},
  };
  for (const auto& r : roles) {
    *r.cert = t.dir / (std::string(r.file) + ".pem");
    *r.key = t.dir / (std::string(r.file) + "-key.pem");
    write(or_abort(pki::make_leaf(ca, role_leaf(r.cn, r.role)), "making a role cert"),
          *r.cert,
          *r.key);
  }
  write(other, t.other_ca_cert, t.other_ca_key);
  write(other_leaf, t.other_cert, t.other_key);
  return t;
}

}  // namespace connswap::testing
