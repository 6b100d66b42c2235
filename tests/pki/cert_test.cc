#include "pki/cert.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "pki/x509_inspect.h"

namespace connswap::pki {
namespace {

using testing::inspect;
using testing::verify;

class CertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new CertAndKey(make_ca({}).value());
    other_ca_ = new CertAndKey(make_ca({.common_name = "other"}).value());
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
  }
  static LeafOptions server_options() {
    return {.common_name = "localhost",
            .role = LeafRole::kServer,
            .dns_names = {"localhost", "node1.example.net"},
            .ip_addresses = {"127.0.0.1", "::1", "10.1.2.3", "fd00::7"},
            .validity_days = 30};
  }

  static inline CertAndKey* ca_ = nullptr;
  static inline CertAndKey* other_ca_ = nullptr;
};

TEST_F(CertTest, CaHasCaConstraintAndKeyCertSign) {
  auto info = inspect(ca_->cert_pem);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_ca);
  EXPECT_NE(info->key_usage & testing::kKeyCertSign, 0u);
  EXPECT_EQ(info->common_name, "connswap CA");
  EXPECT_EQ(info->algorithm, "EC/ECDSA");
  EXPECT_NE(ca_->key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST_F(CertTest, ServerChainVerifiesAgainstItsCaOnly) {
  auto server = make_leaf(*ca_, server_options());
  ASSERT_TRUE(server) << server.error().message();
  EXPECT_EQ(verify(server->cert_pem, ca_->cert_pem), "");
  EXPECT_EQ(verify(server->cert_pem, ca_->cert_pem, testing::kServerAuthOid, "localhost"), "");
  EXPECT_NE(verify(server->cert_pem, other_ca_->cert_pem), "");
  EXPECT_NE(verify(server->cert_pem, ca_->cert_pem, {}, "evil.example"), "");
}

TEST_F(CertTest, ServerHasSansAndServerAuth) {
  auto server = make_leaf(*ca_, server_options());
  ASSERT_TRUE(server) << server.error().message();
  auto info = inspect(server->cert_pem);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->dns_names, (std::vector<std::string>{"localhost", "node1.example.net"}));
  EXPECT_EQ(info->ip_addresses,
            (std::vector<std::string>{"127.0.0.1", "::1", "10.1.2.3", "fd00::7"}));
  EXPECT_EQ(info->key_purposes, std::vector<std::string>{testing::kServerAuthOid});
  EXPECT_NE(info->key_usage & testing::kDigitalSignature, 0u);
  EXPECT_TRUE(testing::matches_ip(server->cert_pem, "127.0.0.1"));
  EXPECT_TRUE(testing::matches_ip(server->cert_pem, "::1"));
  EXPECT_FALSE(testing::matches_ip(server->cert_pem, "127.0.0.2"));
  EXPECT_EQ(info->validity_seconds, 30L * 86400 + 3600);  // includes 1 h of backdating
}

TEST_F(CertTest, ClientHasClientAuthOnly) {
  auto client = make_leaf(*ca_, {.common_name = "connswap-test-client", .role = LeafRole::kClient});
  ASSERT_TRUE(client) << client.error().message();
  auto info = inspect(client->cert_pem);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->common_name, "connswap-test-client");
  EXPECT_EQ(info->key_purposes, std::vector<std::string>{testing::kClientAuthOid});
  EXPECT_EQ(verify(client->cert_pem, ca_->cert_pem, testing::kClientAuthOid), "");
  EXPECT_NE(verify(client->cert_pem, ca_->cert_pem, testing::kServerAuthOid), "");
}

// Roles (issue 14 item 5) are SAN URIs; a node certificate serves and calls peers.
TEST_F(CertTest, NodeCarriesItsRolesAsUrisAndBothEkus) {
  LeafOptions options = server_options();
  options.role = LeafRole::kNode;
  options.roles.add(PeerRole::kDirector);
  options.roles.add(PeerRole::kWorker);
  auto node = make_leaf(*ca_, options);
  ASSERT_TRUE(node) << node.error().message();
  auto info = inspect(node->cert_pem);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->uris,
            (std::vector<std::string>{"connswap:role:worker", "connswap:role:director"}));
  EXPECT_EQ(info->key_purposes,
            (std::vector<std::string>{testing::kServerAuthOid, testing::kClientAuthOid}));
  EXPECT_EQ(verify(node->cert_pem, ca_->cert_pem, testing::kServerAuthOid, "localhost"), "");
  EXPECT_EQ(verify(node->cert_pem, ca_->cert_pem, testing::kClientAuthOid), "");
  // No role asked, no URI written.
  auto plain = inspect(make_leaf(*ca_, server_options()).value().cert_pem);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->uris.empty());
}

TEST(PeerRoles, UrisRoundTripAndOthersGrantNothing) {
  for (PeerRole r :
       {PeerRole::kWorker, PeerRole::kOperator, PeerRole::kDirector, PeerRole::kClient}) {
    EXPECT_EQ(role_from_uri(role_uri(r)), r) << role_uri(r);
  }
  EXPECT_EQ(role_from_uri("connswap:role:admin"), std::nullopt);
  EXPECT_EQ(role_from_uri("connswap:role:worker2"), std::nullopt);
  EXPECT_EQ(role_from_uri("spiffe://connswap/role/worker"), std::nullopt);
  EXPECT_EQ(role_from_uri("connswap:role:"), std::nullopt);
  RoleSet roles;
  EXPECT_EQ(to_string(roles), "none");
  roles.add(PeerRole::kOperator);
  roles.add(PeerRole::kWorker);
  EXPECT_EQ(to_string(roles), "worker,operator");
  EXPECT_FALSE(roles.has(PeerRole::kDirector));
}

TEST_F(CertTest, SerialsAreRandomAndPositive) {
  auto a = inspect(make_leaf(*ca_, server_options()).value().cert_pem);
  auto b = inspect(make_leaf(*ca_, server_options()).value().cert_pem);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->serial_hex, b->serial_hex);
  EXPECT_EQ(a->serial_hex.size(), 32u);
  EXPECT_LT(a->serial_hex[0], '8');  // top bit clear: a positive INTEGER
}

TEST_F(CertTest, LeafCannotSignLeaves) {
  auto server = make_leaf(*ca_, server_options()).value();
  auto r = make_leaf(server, server_options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

TEST_F(CertTest, MismatchedCaKeyIsRejected) {
  CertAndKey mixed{ca_->cert_pem, other_ca_->key_pem};
  auto r = make_leaf(mixed, server_options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

TEST_F(CertTest, GarbageCaIsAnErrorNotACrash) {
  auto r = make_leaf({"not a cert", "not a key"}, server_options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTls);
}

struct BadLeaf {
  const char* name;
  LeafOptions options;
};

TEST(CertValidate, RejectsBadLeafOptions) {
  const BadLeaf cases[] = {
      {"empty cn", {.common_name = ""}},
      {"zero days", {.common_name = "x", .validity_days = 0}},
      {"too many days", {.common_name = "x", .validity_days = 36501}},
      {"bad ip", {.common_name = "x", .ip_addresses = {"256.1.1.1"}}},
      {"host as ip", {.common_name = "x", .ip_addresses = {"localhost"}}},
      {"bad dns", {.common_name = "x", .dns_names = {"a b"}}},
      {"empty dns", {.common_name = "x", .dns_names = {""}}},
      {"double dot", {.common_name = "x", .dns_names = {"a..b"}}},
  };
  for (const BadLeaf& c : cases) {
    auto r = validate(c.options);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << c.name;
  }
  EXPECT_TRUE(validate(LeafOptions{.common_name = "x", .dns_names = {"*.example.com"}}));
  EXPECT_FALSE(make_ca({.validity_days = 0}));
}

}  // namespace
}  // namespace connswap::pki
