#pragma once
// Real QUIC on 127.0.0.1 (port 0), client and server on one net::Loop: the echo service of
// tests/rpc served by an rpcnet::Server, called through an rpcnet::Channel.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/loop.h"
#include "rpc/client.h"
#include "rpc/fixture.h"
#include "rpc/registry.h"
#include "rpcnet/channel.h"
#include "rpcnet/server.h"
#include "support/test_pki.h"

namespace connswap::rpcnet::testing {

using rpc::testing::ClientRecord;
using rpc::testing::EchoCall;
using rpc::testing::EchoRequest;
using rpc::testing::EchoResponse;
using rpc::testing::make_request;
using rpc::testing::Parked;
using EchoClientCall = rpc::ClientCall<EchoRequest, EchoResponse>;

inline constexpr Duration kBudget = 10 * kSecond;  // every wait is bounded by this

std::shared_ptr<const quic::TlsContext> server_tls(const connswap::testing::TestPki& pki,
                                                   bool mtls = false);
std::shared_ptr<const quic::TlsContext> client_tls(const connswap::testing::TestPki& pki,
                                                   bool with_cert = false);

class RpcNetTest : public ::testing::Test {
 protected:
  RpcNetTest();
  ~RpcNetTest() override;

  ServerOptions server_options(bool mtls = false) const;
  ChannelOptions channel_options(const Address& remote, bool with_cert = false) const;
  // Starts server_ (serving registry_) and channel_ to it; tests adjust the options first.
  void start(ServerOptions server, ChannelOptions channel);
  void start() { start(server_options(), channel_options({})); }

  // Runs the loop until `done()`; false (and a test failure) after kBudget.
  bool wait(const std::function<bool()>& done);

  rpc::CallOptions options(std::string method, Timestamp deadline = kNever) const;
  // Typed calls on channel_ whose outcome lands in the returned record.
  std::shared_ptr<ClientRecord> start_call(const std::string& method,
                                           EchoClientCall* call_out = nullptr,
                                           Timestamp deadline = kNever);
  std::shared_ptr<ClientRecord> unary(const std::string& method,
                                      const EchoRequest& request,
                                      Timestamp deadline = kNever,
                                      Channel* channel = nullptr);

  connswap::testing::TestPki pki_ = connswap::testing::make_test_pki();
  net::Loop loop_;
  rpc::Registry registry_;
  std::vector<std::shared_ptr<Parked>> parked_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Channel> channel_;
};

}  // namespace connswap::rpcnet::testing
