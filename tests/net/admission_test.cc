// Admission limits of the server endpoint (issue 14 item 3) with real clients over loopback:
// connection caps (total, per source address) and Retry above a handshake rate.

#include <algorithm>

#include <gtest/gtest.h>

#include "net/client.h"
#include "net/loop.h"
#include "net/server.h"
#include "perf_client.h"
#include "perf_server.h"
#include "quic/packet.h"
#include "test_peer.h"

namespace connswap::net {
namespace {

using quicperf::Mode;
using quicperf::PerfClient;
using quicperf::PerfConfig;

constexpr Duration kBudget = 20 * kSecond;
constexpr std::uint64_t kConnectionRefused = 0x2;

class AdmissionTest : public ::testing::Test {
 protected:
  void start(AdmissionLimits limits) {
    ServerOptions options;
    options.listen = Address::loopback_v4(0);
    options.quic.tls = testing::server_tls(pki_);
    options.quic.static_secret = quic::derive_static_secret(as_bytes("test key"));
    options.admission = limits;
    auto server = ServerEndpoint::listen(loop_, options, server_handler_);
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
  }

  // A client that completes the handshake and holds the connection (no stream).
  struct Held {
    std::unique_ptr<testing::StreamingClient> handler;
    std::unique_ptr<ClientEndpoint> endpoint;
  };
  Held connect(const Address& local = {}) {
    Held h{std::make_unique<testing::StreamingClient>(Bytes{}, false), nullptr};
    ClientOptions options;
    options.remote = server_->local_address();
    options.local = local;
    options.quic.tls = testing::client_tls(pki_);
    options.quic.server_name = "localhost";
    auto client = ClientEndpoint::connect(loop_, options, *h.handler);
    EXPECT_TRUE(client) << (client ? "" : client.error().message());
    if (client) {
      h.endpoint = std::move(*client);
    }
    auto* handler = h.handler.get();
    EXPECT_TRUE(loop_.run_until(
        [&] { return handler->handshake() || handler->closed().has_value(); }, kBudget));
    return h;
  }

  connswap::testing::TestPki pki_ = connswap::testing::make_test_pki();
  Loop loop_;
  quicperf::PerfServer server_handler_;
  std::unique_ptr<ServerEndpoint> server_;
};

TEST_F(AdmissionTest, OverTheConnectionCapAClientIsRefusedAtOnce) {
  start({.max_connections = 2});
  Held a = connect();
  Held b = connect();
  ASSERT_TRUE(a.handler->handshake());
  ASSERT_TRUE(b.handler->handshake());
  const Timestamp before = loop_.now();
  Held c = connect();
  EXPECT_FALSE(c.handler->handshake());
  ASSERT_TRUE(c.handler->closed());
  EXPECT_EQ(c.handler->closed()->code, kConnectionRefused) << c.handler->closed()->reason;
  EXPECT_LT(loop_.now() - before, 2 * kSecond);  // refused, not left to time out
  EXPECT_EQ(server_->stats().refused_connections, 1u);
  EXPECT_EQ(server_->stats().accepted, 2u);
  // A slot freed is a slot for the next client.
  a.endpoint->stop();
  ASSERT_TRUE(loop_.run_until([&] { return server_->connection_count() == 1; }, kBudget));
  Held d = connect();
  EXPECT_TRUE(d.handler->handshake());
}

TEST_F(AdmissionTest, PerAddressCapCountsSourceIpsNotPorts) {
  start({.max_connections_per_address = 2});
  Held a = connect();
  Held b = connect();  // another port, same IP
  ASSERT_TRUE(a.handler->handshake());
  ASSERT_TRUE(b.handler->handshake());
  Held c = connect();
  ASSERT_TRUE(c.handler->closed());
  EXPECT_EQ(c.handler->closed()->code, kConnectionRefused);
  EXPECT_EQ(server_->stats().refused_per_address, 1u);
  // Another source address is not affected (the whole of 127/8 is loopback).
  Held other = connect(*Address::parse("127.0.0.2:0"));
  EXPECT_TRUE(other.handler->handshake());
  EXPECT_EQ(server_->stats().refused_connections, 0u);
}

TEST_F(AdmissionTest, RateZeroRetriesEveryClientAndTheyStillConnect) {
  start({.retry_above_per_second = 0});
  PerfClient perf(PerfConfig{.mode = Mode::kRtt, .count = 20});
  ClientOptions options;
  options.remote = server_->local_address();
  options.quic.tls = testing::client_tls(pki_);
  options.quic.server_name = "localhost";
  auto client = ClientEndpoint::connect(loop_, options, perf);
  ASSERT_TRUE(client);
  perf.attach(**client);
  ASSERT_TRUE(loop_.run_until([&] { return perf.done(); }, kBudget));
  EXPECT_TRUE(perf.result().ok) << perf.result().error;
  EXPECT_EQ(server_->stats().retries, 1u);
  EXPECT_EQ(server_->stats().accepted, 1u);
  EXPECT_EQ(server_->stats().invalid_tokens, 0u);
}

TEST_F(AdmissionTest, AboveTheRateNewClientsAreRetriedAndAllConnect) {
  start({.retry_above_per_second = 2});
  std::vector<Held> held;
  for (int i = 0; i < 6; ++i) {
    held.push_back(connect());
    EXPECT_TRUE(held.back().handler->handshake());
  }
  // A burst of 2 is free; the rest came faster than 2/s (each handshake takes ms).
  EXPECT_GE(server_->stats().retries, 1u);
  EXPECT_LE(server_->stats().retries, 4u);
  EXPECT_EQ(server_->stats().accepted, 6u);
}

TEST_F(AdmissionTest, NoLimitsByDefault) {
  start({});
  std::vector<Held> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(connect());
    EXPECT_TRUE(held.back().handler->handshake());
  }
  EXPECT_EQ(server_->stats().retries, 0u);
  EXPECT_EQ(server_->stats().refused_connections + server_->stats().refused_per_address, 0u);
}

}  // namespace
}  // namespace connswap::net
