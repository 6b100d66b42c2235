// MGMT authentication: the real DirectorService Registry methods behind the guard, over the
// in-memory link, with the peer identity a QUIC binding would set.

#include "common/mgmt_auth.h"

#include <array>
#include <optional>
#include <string_view>

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>

#include "rpc/client.h"
#include "services/director_service.h"
#include "support/fake_link.h"

namespace connswap::app::testing {
namespace {

using Register = rpc::UnaryResult<v1::RegisterResponse>;

struct NoWorkers : services::WorkerConnector {
  Result<rpc::Session*> connect(std::string_view, Timestamp) override {
    return make_error(Errc::kUnavailable, "no workers in this test");
  }
};

constexpr std::array<std::string_view, 3> kGuarded = {
    services::kRegistryRegister, services::kRegistryHeartbeat, services::kRegistryDrain};

class MgmtAuth : public ::testing::Test {
 protected:
  MgmtAuth() {
    EXPECT_TRUE(service_.add_mgmt_methods(inner_));
    EXPECT_TRUE(add_authenticated(inner_, outer_, kGuarded));
    link_.attach(rpc::testing::kClientSide, &client_);
    link_.attach(rpc::testing::kServerSide, &server_);
  }
  ~MgmtAuth() override { service_.stop(); }

  std::optional<Register> register_worker() {
    v1::RegisterRequest req;
    req.set_label("worker-a");
    req.set_user_addr("127.0.0.1:62001");
    req.set_mgmt_addr("127.0.0.1:63001");
    req.set_available(true);
    std::optional<Register> out;
    rpc::CallOptions options;
    options.method = std::string(services::kRegistryRegister);
    auto call = rpc::call_unary<v1::RegisterRequest, v1::RegisterResponse>(
        client_, options, req, [&](Register r) { out = std::move(r); }, now_);
    EXPECT_TRUE(call);
    link_.pump(now_);
    return out;
  }

  Timestamp now_ = 1000 * kSecond;
  NoWorkers workers_;
  services::DirectorService service_{{}, workers_, [this] { return now_; }};
  rpc::Registry inner_, outer_;
  rpc::testing::FakeLink link_;
  rpc::Session client_{link_.transport(rpc::testing::kClientSide), nullptr};
  rpc::Session server_{link_.transport(rpc::testing::kServerSide), &outer_};
};

TEST_F(MgmtAuth, AnonymousPeerIsRefusedUnauthenticated) {
  server_.set_peer({"127.0.0.1:45000", /*authenticated=*/false});
  auto r = register_worker();
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, rpc::StatusCode::kUnauthenticated) << r->error().to_string();
  EXPECT_EQ(service_.stats().registrations, 0U);
  EXPECT_EQ(service_.pool().size(), 0U);
}

TEST_F(MgmtAuth, PeerWithVerifiedCertificateRegisters) {
  server_.set_peer({"127.0.0.1:45001", /*authenticated=*/true});
  auto r = register_worker();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().to_string();
  EXPECT_TRUE((*r)->ok());
  EXPECT_EQ(service_.stats().registrations, 1U);
}

TEST_F(MgmtAuth, UnknownMethodCannotBeGuarded) {
  rpc::Registry outer;
  const std::array<std::string_view, 1> missing = {"connswap.v1.Registry/Nope"};
  auto r = add_authenticated(inner_, outer, missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace connswap::app::testing
