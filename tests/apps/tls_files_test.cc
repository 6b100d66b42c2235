// TLS files: missing or empty files are named with their option and variable; the contexts
// build from a connswap-certs style directory.

#include "common/tls_files.h"

#include <fstream>

#include <gtest/gtest.h>

#include "support/test_pki.h"

namespace connswap::app::testing {
namespace {

TlsFiles files_of(const connswap::testing::TestPki& pki) {
  return {
      .cert = pki.server_cert.string(), .key = pki.server_key.string(), .ca = pki.ca_cert.string()};
}

TEST(TlsFiles, MissingFilesNameOptionAndVariable) {
  const auto pki = connswap::testing::make_test_pki();
  TlsFiles f = files_of(pki);
  f.cert = (pki.dir / "nope.pem").string();
  auto r = check_tls_files(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_NE(r.error().detail.find("--tls-cert"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find("CONNECTION_SWAP_TLS_CERT"), std::string::npos);

  f = files_of(pki);
  f.key = (pki.dir / "empty.pem").string();
  std::ofstream(f.key).flush();
  r = check_tls_files(f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("--tls-key"), std::string::npos) << r.error().detail;

  f = files_of(pki);
  f.ca = "";
  r = check_tls_files(f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("CONNECTION_SWAP_TLS_CA"), std::string::npos);
}

TEST(TlsFiles, ContextsFromOneNodeCertificate) {
  const auto pki = connswap::testing::make_test_pki();
  const TlsFiles f = files_of(pki);
  ASSERT_TRUE(check_tls_files(f));
  auto user = make_server_tls(f, ClientAuth::kNone);
  ASSERT_TRUE(user) << user.error().message();
  EXPECT_FALSE((*user)->requires_client_cert());
  auto mgmt = make_server_tls(f, ClientAuth::kOptional);
  ASSERT_TRUE(mgmt) << mgmt.error().message();
  EXPECT_TRUE((*mgmt)->requires_client_cert());
  EXPECT_TRUE((*mgmt)->client_cert_optional());
  auto client = make_client_tls(f, /*present_cert=*/true);
  ASSERT_TRUE(client) << client.error().message();
  auto secret = reset_secret(f);
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->size(), 32U);
}

TEST(TlsFiles, HostOfAddress) {
  EXPECT_EQ(host_of("127.0.0.1:61000"), "127.0.0.1");
  EXPECT_EQ(host_of("localhost:61000"), "localhost");
  EXPECT_EQ(host_of("[::1]:61000"), "::1");
}

}  // namespace
}  // namespace connswap::app::testing
