// MGMT authentication and roles: the real DirectorService Registry and Migration methods
// behind the guard, over the in-memory link, with the peer identity a QUIC binding would set
// (issue 14 item 5, docs/RELIABILITY.md §5).

#include "common/mgmt_auth.h"

#include <array>
#include <optional>
#include <string_view>

#include <connswap/v1/director.pb.h>
#include <connswap/v1/migration.pb.h>
#include <gtest/gtest.h>

#include "rpc/client.h"
#include "services/director_service.h"
#include "support/fake_link.h"

namespace connswap::app::testing {
namespace {

using Register = rpc::UnaryResult<v1::RegisterResponse>;
using Heartbeat = rpc::UnaryResult<v1::HeartbeatResponse>;
using DrainWorker = rpc::UnaryResult<v1::DrainWorkerResponse>;

struct NoWorkers : services::WorkerConnector {
  Result<rpc::Session*> connect(std::string_view, Timestamp) override {
    return make_error(Errc::kUnavailable, "no workers in this test");
  }
};

constexpr std::array<GuardedMethod, 4> kGuarded = {{
    {services::kRegistryRegister, PeerRole::kWorker},
    {services::kRegistryHeartbeat, PeerRole::kWorker},
    {services::kRegistryDrain, PeerRole::kWorker},
    {services::kMigrationDrainWorker, PeerRole::kOperator},
}};

RoleSet roles_of(PeerRole role) {
  RoleSet roles;
  roles.add(role);
  return roles;
}

// A peer as rpcnet sets it after a handshake with a verified certificate.
rpc::PeerInfo cert_peer(RoleSet roles, std::string fingerprint) {
  return {"127.0.0.1:45001", /*authenticated=*/true, roles, std::move(fingerprint)};
}

class MgmtAuth : public ::testing::Test {
 protected:
  MgmtAuth() {
    EXPECT_TRUE(service_.add_mgmt_methods(inner_));
    EXPECT_TRUE(add_guarded(inner_, outer_, kGuarded, &refusals_));
    link_.attach(rpc::testing::kClientSide, &client_);
    link_.attach(rpc::testing::kServerSide, &server_);
  }
  ~MgmtAuth() override { service_.stop(); }

  template <class Req, class Resp>
  std::optional<rpc::UnaryResult<Resp>> call(std::string_view method, const Req& req) {
    std::optional<rpc::UnaryResult<Resp>> out;
    rpc::CallOptions options;
    options.method = std::string(method);
    auto started = rpc::call_unary<Req, Resp>(
        client_, options, req, [&](rpc::UnaryResult<Resp> r) { out = std::move(r); }, now_);
    EXPECT_TRUE(started);
    link_.pump(now_);
    return out;
  }

  std::optional<Register> register_worker(const std::string& label = "worker-a") {
    v1::RegisterRequest req;
    req.set_label(label);
    req.set_user_addr("127.0.0.1:62001");
    req.set_mgmt_addr("127.0.0.1:63001");
    req.set_available(true);
    return call<v1::RegisterRequest, v1::RegisterResponse>(services::kRegistryRegister, req);
  }

  std::optional<Heartbeat> heartbeat(const std::string& label = "worker-a") {
    v1::HeartbeatRequest req;
    req.set_label(label);
    req.set_available(false);  // an intruder would starve the worker of streams
    return call<v1::HeartbeatRequest, v1::HeartbeatResponse>(services::kRegistryHeartbeat, req);
  }

  Timestamp now_ = 1000 * kSecond;
  NoWorkers workers_;
  services::DirectorService service_{{}, workers_, [this] { return now_; }};
  rpc::Registry inner_, outer_;
  AuthRefusals refusals_;
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
  EXPECT_EQ(refusals_.no_certificate, 1U);
}

TEST_F(MgmtAuth, WorkerCertificateRegisters) {
  server_.set_peer(cert_peer(roles_of(PeerRole::kWorker), "aa"));
  auto r = register_worker();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(*r) << r->error().to_string();
  EXPECT_TRUE((*r)->ok());
  EXPECT_EQ(service_.stats().registrations, 1U);
  EXPECT_EQ(refusals_.missing_role, 0U);
}

// A certificate made before roles (verified, no role) is refused with a message naming the
// missing role and the way out.
TEST_F(MgmtAuth, CertificateWithoutTheRoleIsRefusedNamingIt) {
  server_.set_peer(cert_peer({}, "aa"));
  auto r = register_worker();
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, rpc::StatusCode::kPermissionDenied);
  const std::string message = r->error().message;
  EXPECT_NE(message.find("worker role"), std::string::npos) << message;
  EXPECT_NE(message.find("connswap:role:worker"), std::string::npos) << message;
  EXPECT_NE(message.find("connswap-certs"), std::string::npos) << message;
  EXPECT_EQ(service_.pool().size(), 0U);
  EXPECT_EQ(refusals_.missing_role, 1U);

  server_.set_peer(cert_peer(roles_of(PeerRole::kOperator), "bb"));  // wrong role
  auto op = register_worker();
  ASSERT_TRUE(op.has_value());
  ASSERT_FALSE(*op);
  EXPECT_EQ(op->error().code, rpc::StatusCode::kPermissionDenied);
  EXPECT_EQ(service_.pool().size(), 0U);
}

// The attack: a worker certificate calling an admin method.
TEST_F(MgmtAuth, WorkerCertificateCannotDrainAWorker) {
  server_.set_peer(cert_peer(roles_of(PeerRole::kWorker), "aa"));
  ASSERT_TRUE(register_worker().value());
  v1::DrainWorkerRequest req;
  req.set_worker("worker-a");
  auto r =
      call<v1::DrainWorkerRequest, v1::DrainWorkerResponse>(services::kMigrationDrainWorker, req);
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, rpc::StatusCode::kPermissionDenied) << r->error().to_string();
  EXPECT_NE(r->error().message.find("operator role"), std::string::npos);
  EXPECT_FALSE(service_.pool().find("worker-a")->draining);

  server_.set_peer(cert_peer(roles_of(PeerRole::kOperator), "op"));
  auto ok =
      call<v1::DrainWorkerRequest, v1::DrainWorkerResponse>(services::kMigrationDrainWorker, req);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(*ok) << ok->error().to_string();
  EXPECT_TRUE(service_.pool().find("worker-a")->draining);
}

// The attack: a second worker certificate re-registering (or heartbeating) another
// worker's label. Refused while the owner is alive; once it is lost, the label rebinds.
TEST_F(MgmtAuth, ALabelBelongsToTheCertificateThatRegisteredItWhileItLives) {
  server_.set_peer(cert_peer(roles_of(PeerRole::kWorker), "owner"));
  ASSERT_TRUE(register_worker().value());

  server_.set_peer(cert_peer(roles_of(PeerRole::kWorker), "intruder"));
  auto taken = register_worker();
  ASSERT_TRUE(taken.has_value());
  ASSERT_FALSE(*taken);
  EXPECT_EQ(taken->error().code, rpc::StatusCode::kPermissionDenied);
  EXPECT_NE(taken->error().message.find("belongs to another certificate"), std::string::npos)
      << taken->error().message;
  auto hb = heartbeat();
  ASSERT_TRUE(hb.has_value());
  ASSERT_FALSE(*hb);
  EXPECT_EQ(hb->error().code, rpc::StatusCode::kPermissionDenied);
  EXPECT_TRUE(service_.pool().find("worker-a")->available);  // the owner's word stands
  EXPECT_EQ(service_.pool().find("worker-a")->user_addr, "127.0.0.1:62001");
  EXPECT_EQ(service_.stats().labels_refused, 2U);
  EXPECT_EQ(service_.stats().registrations, 1U);
  // Another label is the intruder's to take: a worker certificate may serve.
  EXPECT_TRUE(register_worker("worker-z").value());

  // The owner stops heartbeating: lost after heartbeat_timeout (15 s by default).
  now_ += 16 * kSecond;
  service_.on_timeout(now_);
  ASSERT_TRUE(service_.pool().find("worker-a")->lost);
  auto rebound = register_worker();
  ASSERT_TRUE(rebound.has_value());
  EXPECT_TRUE(*rebound) << rebound->error().to_string();
  // Now the first certificate is the stranger.
  server_.set_peer(cert_peer(roles_of(PeerRole::kWorker), "owner"));
  auto old = heartbeat();
  ASSERT_TRUE(old.has_value());
  ASSERT_FALSE(*old);
  EXPECT_EQ(old->error().code, rpc::StatusCode::kPermissionDenied);
}

TEST_F(MgmtAuth, UnknownMethodCannotBeGuarded) {
  rpc::Registry outer;
  const std::array<GuardedMethod, 1> missing = {{{"connswap.v1.Registry/Nope", PeerRole::kWorker}}};
  auto r = add_guarded(inner_, outer, missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace connswap::app::testing
