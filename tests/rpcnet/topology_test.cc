// Connection loss, several listeners on one loop, a proxy between connections, migration.

#include <algorithm>
#include <filesystem>

#include "fixture.h"

namespace connswap::rpcnet::testing {
namespace {

using rpc::StatusCode;
using Topology = RpcNetTest;

TEST_F(Topology, ServerStopEndsEveryOpenCallUnavailable) {
  start();
  std::optional<quic::ConnectionClosed> lost;
  channel_->on_lost([&](const quic::ConnectionClosed& c) { lost = c; });
  std::vector<std::shared_ptr<ClientRecord>> records;
  for (int i = 0; i < 5; ++i) {
    records.push_back(start_call("test.Echo/Park"));
  }
  EchoClientCall stream;
  records.push_back(start_call("test.Echo/ServerStream", &stream));
  stream.raw().pause_reading();
  ASSERT_TRUE(stream.write(make_request("s", 100'000, 100)));
  ASSERT_TRUE(stream.half_close());
  ASSERT_TRUE(wait([&] { return parked_.size() == 5; }));
  server_->stop();
  ASSERT_TRUE(wait([&] { return lost.has_value(); }));
  EXPECT_TRUE(channel_->lost());
  EXPECT_FALSE(channel_->connected());
  for (const auto& rec : records) {
    ASSERT_TRUE(rec->status);
    EXPECT_EQ(rec->status->code, StatusCode::kUnavailable) << rec->status->to_string();
  }
  for (const auto& p : parked_) {
    ASSERT_TRUE(p->status);
    EXPECT_EQ(p->status->code, StatusCode::kUnavailable);
  }
  // The Session stays usable as an object; new calls fail at once.
  auto late = channel_->session().start_call(options("test.Echo/Unary"), {}, loop_.now());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::kUnavailable);
}

TEST_F(Topology, UserAndMgmtListenersOnOneLoop) {
  start();  // USER: the echo service, no client certificates
  rpc::Registry mgmt;
  ASSERT_TRUE((mgmt.add_unary<EchoRequest, EchoResponse>("mgmt.Admin/Status",
                                                         [](EchoCall call, EchoRequest) {
                                                           EchoResponse r;
                                                           r.set_text("healthy");
                                                           (void)call.reply(r);
                                                         })));
  std::vector<ConnectionInfo> opened;
  std::vector<ConnectionInfo> closed;
  auto mgmt_options = server_options(/*mtls=*/true);
  mgmt_options.hooks.on_open = [&](const ConnectionInfo& info) { opened.push_back(info); };
  mgmt_options.hooks.on_close = [&](const ConnectionInfo& info, const quic::ConnectionClosed&) {
    closed.push_back(info);
  };
  auto mgmt_server = Server::listen(loop_, std::move(mgmt_options), mgmt);
  ASSERT_TRUE(mgmt_server) << mgmt_server.error().message();
  EXPECT_NE((*mgmt_server)->local_address(), server_->local_address());
  auto admin =
      Channel::connect(loop_, channel_options((*mgmt_server)->local_address(), /*with_cert=*/true));
  ASSERT_TRUE(admin) << admin.error().message();

  auto user_call = unary("test.Echo/Unary", make_request("u"));
  auto mgmt_call = unary("mgmt.Admin/Status", EchoRequest(), kNever, admin->get());
  auto wrong_port = unary("mgmt.Admin/Status", EchoRequest());  // not served on USER
  ASSERT_TRUE(wait([&] { return user_call->status && mgmt_call->status && wrong_port->status; }));
  EXPECT_TRUE(user_call->status->ok());
  ASSERT_TRUE(mgmt_call->status->ok());
  EXPECT_EQ(mgmt_call->responses[0].text(), "healthy");
  EXPECT_EQ(wrong_port->status->code, StatusCode::kUnimplemented);

  ASSERT_EQ(opened.size(), 1u);
  EXPECT_TRUE(opened[0].client_certificate);
  EXPECT_EQ(opened[0].id, (*admin)->connection_id());
  EXPECT_NE(opened[0].peer.port(), 0);
  EXPECT_EQ((*mgmt_server)->connection_count(), 1u);
  EXPECT_EQ(server_->connection_count(), 1u);

  // A client without a certificate cannot open a connection on MGMT.
  auto anonymous = Channel::connect(loop_, channel_options((*mgmt_server)->local_address()));
  ASSERT_TRUE(anonymous);
  auto refused = unary("mgmt.Admin/Status", EchoRequest(), kNever, anonymous->get());
  ASSERT_TRUE(wait([&] { return refused->status.has_value(); }));
  EXPECT_EQ(refused->status->code, StatusCode::kUnavailable);
  EXPECT_EQ(opened.size(), 1u);

  (*admin)->close();
  ASSERT_TRUE(wait([&] { return closed.size() == 1; }));
  EXPECT_EQ(closed[0].id, opened[0].id);
}

// MGMT authentication: the client CA is configured but a certificate optional; handlers see
// who connected (rpc::Call::peer) and refuse anonymous callers themselves.
TEST_F(Topology, HandlersSeeWhetherTheClientCertificateVerified) {
  quic::ServerTlsOptions tls;
  tls.cert_file = pki_.server_cert.string();
  tls.key_file = pki_.server_key.string();
  tls.client_ca_file = pki_.ca_cert.string();
  tls.client_cert_optional = true;
  auto server_tls_ctx = quic::TlsContext::make_server(tls);
  ASSERT_TRUE(server_tls_ctx) << server_tls_ctx.error().message();
  rpc::Registry mgmt;
  std::vector<rpc::PeerInfo> seen;
  ASSERT_TRUE(
      (mgmt.add_unary<EchoRequest, EchoResponse>("mgmt.Admin/Who", [&](EchoCall call, EchoRequest) {
        seen.push_back(call.raw().peer());
        (void)call.reply(EchoResponse());
      })));
  auto options = server_options();
  options.quic.tls = *server_tls_ctx;
  auto server = Server::listen(loop_, std::move(options), mgmt);
  ASSERT_TRUE(server) << server.error().message();
  const Address addr = (*server)->local_address();
  auto with_cert = Channel::connect(loop_, channel_options(addr, /*with_cert=*/true));
  auto anonymous = Channel::connect(loop_, channel_options(addr));
  ASSERT_TRUE(with_cert && anonymous);
  auto a = unary("mgmt.Admin/Who", EchoRequest(), kNever, with_cert->get());
  ASSERT_TRUE(wait([&] { return a->status.has_value(); }));
  auto b = unary("mgmt.Admin/Who", EchoRequest(), kNever, anonymous->get());
  ASSERT_TRUE(wait([&] { return b->status.has_value(); }));
  ASSERT_TRUE(a->status->ok() && b->status->ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].authenticated);
  EXPECT_FALSE(seen[1].authenticated);
  EXPECT_EQ(seen[1].address.rfind("127.0.0.1:", 0), 0u) << seen[1].address;
  EXPECT_NE(seen[0].address, seen[1].address);
}

// Roles (issue 14 item 5): the verified certificate's SAN URIs connswap:role:<name> and its
// SHA-256 fingerprint reach handlers; a certificate without roles grants none.
TEST_F(Topology, HandlersSeeTheCertificatesRolesAndFingerprint) {
  quic::ServerTlsOptions tls;
  tls.cert_file = pki_.server_cert.string();
  tls.key_file = pki_.server_key.string();
  tls.client_ca_file = pki_.ca_cert.string();
  tls.client_cert_optional = true;
  auto server_tls_ctx = quic::TlsContext::make_server(tls);
  ASSERT_TRUE(server_tls_ctx) << server_tls_ctx.error().message();
  rpc::Registry mgmt;
  std::vector<rpc::PeerInfo> seen;
  ASSERT_TRUE(
      (mgmt.add_unary<EchoRequest, EchoResponse>("mgmt.Admin/Who", [&](EchoCall call, EchoRequest) {
        seen.push_back(call.raw().peer());
        (void)call.reply(EchoResponse());
      })));
  std::vector<ConnectionInfo> opened;
  auto options = server_options();
  options.quic.tls = *server_tls_ctx;
  options.hooks.on_open = [&](const ConnectionInfo& info) { opened.push_back(info); };
  auto server = Server::listen(loop_, std::move(options), mgmt);
  ASSERT_TRUE(server) << server.error().message();
  const Address addr = (*server)->local_address();
  const std::filesystem::path certs[][2] = {{pki_.operator_cert, pki_.operator_key},
                                            {pki_.worker_cert, pki_.worker_key},
                                            {pki_.client_cert, pki_.client_key}};
  std::vector<std::unique_ptr<Channel>> channels;
  for (const auto& [cert, key] : certs) {
    quic::ClientTlsOptions client;
    client.ca_file = pki_.ca_cert.string();
    client.cert_file = cert.string();
    client.key_file = key.string();
    auto client_ctx = quic::TlsContext::make_client(client);
    ASSERT_TRUE(client_ctx) << client_ctx.error().message();
    auto channel_opts = channel_options(addr);
    channel_opts.quic.tls = *client_ctx;
    auto channel = Channel::connect(loop_, std::move(channel_opts));
    ASSERT_TRUE(channel);
    auto call = unary("mgmt.Admin/Who", EchoRequest(), kNever, channel->get());
    ASSERT_TRUE(wait([&] { return call->status.has_value(); }));
    ASSERT_TRUE(call->status->ok());
    channels.push_back(std::move(*channel));
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(to_string(seen[0].roles), "operator");
  EXPECT_EQ(to_string(seen[1].roles), "worker");
  EXPECT_TRUE(seen[2].roles.empty());  // made without a role
  EXPECT_TRUE(seen[2].authenticated);
  for (const rpc::PeerInfo& peer : seen) {
    EXPECT_EQ(peer.fingerprint.size(), 64u) << peer.fingerprint;
  }
  EXPECT_NE(seen[0].fingerprint, seen[1].fingerprint);
  ASSERT_EQ(opened.size(), 3u);
  EXPECT_EQ(opened[1].roles, seen[1].roles);
  EXPECT_EQ(opened[1].fingerprint, seen[1].fingerprint);
}

// The director's shape: a call on connection A (client -> front) is answered from the
// events of a call on connection B (front -> back), on the same loop.
TEST_F(Topology, ProxyAnswersACallFromAnotherConnectionsEvents) {
  start();  // back end: the echo service on server_
  auto to_back = Channel::connect(loop_, channel_options(server_->local_address()));
  ASSERT_TRUE(to_back);
  Channel& back = **to_back;
  rpc::Registry front_registry;
  ASSERT_TRUE((front_registry.add_unary<EchoRequest, EchoResponse>(
      "front.Proxy/Unary", [&](EchoCall call, EchoRequest request) {
        auto forwarded = back.call_unary<EchoRequest, EchoResponse>(
            options("test.Echo/Unary"), request, [call](rpc::UnaryResult<EchoResponse> r) mutable {
              if (r) {
                (void)call.reply(*r);  // a write on A from B's callback
              } else {
                (void)call.finish(r.error());
              }
            });
        if (!forwarded) {
          (void)call.finish({StatusCode::kUnavailable, forwarded.error().message()});
        }
      })));
  auto front = Server::listen(loop_, server_options(), front_registry);
  ASSERT_TRUE(front);
  auto client = Channel::connect(loop_, channel_options((*front)->local_address()));
  ASSERT_TRUE(client);
  std::vector<std::shared_ptr<ClientRecord>> records;
  for (int i = 0; i < 100; ++i) {
    records.push_back(
        unary("front.Proxy/Unary", make_request("p" + std::to_string(i)), kNever, client->get()));
  }
  ASSERT_TRUE(wait([&] {
    return std::all_of(records.begin(), records.end(), [](auto& r) { return r->status; });
  }));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(records[i]->status->ok()) << records[i]->status->to_string();
    EXPECT_EQ(records[i]->responses[0].text(), "p" + std::to_string(i));
  }
}

TEST_F(Topology, CallsContinueAcrossClientMigration) {
  start();
  EchoClientCall call;
  auto rec = start_call("test.Echo/Bidi", &call);
  ASSERT_TRUE(call.write(make_request("before")));
  ASSERT_TRUE(wait([&] { return rec->responses.size() == 1; }));
  ASSERT_TRUE(channel_->migrate());
  ASSERT_TRUE(call.write(make_request("after")));
  ASSERT_TRUE(call.half_close());
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  EXPECT_EQ(rec->responses.size(), 2u);
}

}  // namespace
}  // namespace connswap::rpcnet::testing
