// In-process client and server endpoints over real loopback sockets on one Loop.

#include <algorithm>
#include <chrono>

#include <gtest/gtest.h>

#include "net/client.h"
#include "net/loop.h"
#include "net/server.h"
#include "perf_client.h"
#include "perf_server.h"
#include "protocol.h"
#include "quic/packet.h"
#include "test_peer.h"

namespace connswap::net {
namespace {

using quicperf::Mode;
using quicperf::PerfClient;
using quicperf::PerfConfig;
using quicperf::PerfResult;

constexpr Duration kBudget = 20 * kSecond;

class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen = Address::loopback_v4(0);
    options.quic.tls = testing::server_tls(pki_);
    options.quic.static_secret = quic::derive_static_secret(as_bytes("test key"));
    auto server = ServerEndpoint::listen(loop_, options, server_handler_);
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
  }

  ClientOptions client_options() {
    ClientOptions options;
    options.remote = server_->local_address();
    options.quic.tls = testing::client_tls(pki_);
    options.quic.server_name = "localhost";
    return options;
  }

  PerfResult run_perf(const PerfConfig& config, Address* final_local = nullptr) {
    PerfClient perf(config);
    auto client = ClientEndpoint::connect(loop_, client_options(), perf);
    EXPECT_TRUE(client) << (client ? "" : client.error().message());
    if (!client) {
      return {};
    }
    perf.attach(**client);
    EXPECT_TRUE(loop_.run_until([&] { return perf.done(); }, kBudget));
    if (final_local != nullptr) {
      *final_local = (*client)->local_address();
    }
    return perf.result();
  }

  connswap::testing::TestPki pki_ = connswap::testing::make_test_pki();
  Loop loop_;
  quicperf::PerfServer server_handler_;
  std::unique_ptr<ServerEndpoint> server_;
};

TEST_F(EndpointTest, Handshake) {
  testing::StreamingClient handler(Bytes{}, false);
  auto client = ClientEndpoint::connect(loop_, client_options(), handler);
  ASSERT_TRUE(client) << client.error().message();
  ASSERT_TRUE(loop_.run_until([&] { return handler.handshake(); }, kBudget));
  ASSERT_NE((*client)->conn(), nullptr);
  EXPECT_TRUE((*client)->conn()->handshake_completed());
  EXPECT_EQ((*client)->conn()->path().remote, server_->local_address());
  EXPECT_TRUE(loop_.run_until([&] { return server_->connection_count() == 1; }, kBudget));
  (*client)->stop();
  ASSERT_TRUE(handler.closed());
  EXPECT_EQ(handler.closed()->kind, quic::CloseKind::kLocal);
  // The server hears the CONNECTION_CLOSE and drops the connection.
  EXPECT_TRUE(loop_.run_until([&] { return server_->connection_count() == 0; }, kBudget));
}

TEST_F(EndpointTest, Echo64MiBWithChecksum) {
  auto r = run_perf({.mode = Mode::kEcho, .bytes = 64 << 20});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.checksum_ok);
  EXPECT_EQ(r.bytes, 64u << 20);
}

TEST_F(EndpointTest, ThousandConcurrentStreams) {
  auto r = run_perf({.mode = Mode::kStreams, .streams = 1000});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.count, 1000u);
}

TEST_F(EndpointTest, RttRoundTrips) {
  auto r = run_perf({.mode = Mode::kRtt, .count = 200, .size = 64});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.latencies_us.size(), 200u);
}

TEST_F(EndpointTest, ClientRebindsMidTransfer) {
  Address final_local;
  auto r = run_perf({.mode = Mode::kEcho, .bytes = 32 << 20, .rebind_after_bytes = 8 << 20},
                    &final_local);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.migrated);
  EXPECT_TRUE(r.checksum_ok);  // every byte, in order
  EXPECT_GE(server_handler_.paths_validated(), 1u);
  EXPECT_EQ(server_handler_.last_validated_remote(), final_local);
}

TEST_F(EndpointTest, ManyConnectionsOnOneServer) {
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<PerfClient>> perfs;
  std::vector<std::unique_ptr<ClientEndpoint>> clients;
  for (int i = 0; i < kClients; ++i) {
    perfs.push_back(std::make_unique<PerfClient>(PerfConfig{.mode = Mode::kRtt, .count = 50}));
    auto client = ClientEndpoint::connect(loop_, client_options(), *perfs.back());
    ASSERT_TRUE(client) << client.error().message();
    clients.push_back(std::move(*client));
  }
  ASSERT_TRUE(loop_.run_until(
      [&] { return std::all_of(perfs.begin(), perfs.end(), [](auto& p) { return p->done(); }); },
      kBudget));
  for (auto& p : perfs) {
    EXPECT_TRUE(p->result().ok) << p->result().error;
  }
  EXPECT_EQ(server_handler_.connections(), static_cast<std::uint64_t>(kClients));
  clients.clear();  // closes them; the server drops every connection and route
  EXPECT_TRUE(loop_.run_until([&] { return server_->connection_count() == 0; }, kBudget));
}

// Sends raw datagrams at the server and collects whatever it answers.
class RawPeer {
 public:
  RawPeer(Loop& loop, const Address& server) : loop_(loop), server_(server) {
    auto s = UdpSocket::open(loop, Address::loopback_v4(0), {});
    EXPECT_TRUE(s);
    socket_ = std::move(*s);
  }
  void send(const Bytes& datagram) { ASSERT_TRUE(socket_->send(server_, datagram, 0)); }
  // The next datagram from the server, or empty if none arrives within `wait`.
  Bytes receive(Duration wait) {
    Bytes buf(65536);
    Bytes got;
    std::function<void()> on_readable = [&] {
      auto r = socket_->recv(buf);
      if (r && r->has_value()) {
        got.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>((*r)->bytes));
      } else {
        socket_->wait_readable(on_readable);
      }
    };
    socket_->wait_readable(on_readable);
    loop_.run_until([&] { return !got.empty(); }, wait);
    return got;
  }

 private:
  Loop& loop_;
  Address server_;
  std::unique_ptr<UdpSocket> socket_;
};

TEST_F(EndpointTest, AnswersGarbageAndUnknownCids) {
  RawPeer peer(loop_, server_->local_address());
  // Garbage and tiny packets: dropped quietly.
  peer.send(Bytes{0x00});
  peer.send(Bytes(7, 0xff));
  // A short header for a CID the server never issued: stateless reset, smaller than it.
  Bytes short_header(200, 0x5c);
  short_header[0] = 0x41;
  peer.send(short_header);
  Bytes reset = peer.receive(2 * kSecond);
  ASSERT_FALSE(reset.empty());
  EXPECT_LT(reset.size(), short_header.size());
  EXPECT_GE(reset.size(), 21u);
  EXPECT_EQ(reset[0] & 0xc0, 0x40);  // looks like a short header (RFC 9000 §10.3)
  // An unknown version in a full-size long header: Version Negotiation (version 0).
  Bytes unknown_version(1200, 0);
  const std::uint8_t prefix[] = {0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 8};
  std::copy(std::begin(prefix), std::end(prefix), unknown_version.begin());
  peer.send(unknown_version);
  Bytes vn = peer.receive(2 * kSecond);
  ASSERT_GE(vn.size(), 7u);
  EXPECT_EQ(vn[0] & 0x80, 0x80);
  EXPECT_EQ((Bytes{vn.begin() + 1, vn.begin() + 5}), (Bytes{0, 0, 0, 0}));
  EXPECT_EQ(server_->stats().stateless_resets, 1u);
  EXPECT_EQ(server_->stats().version_negotiations, 1u);
  EXPECT_GE(server_->stats().dropped, 2u);
  // Still serving.
  auto r = run_perf({.mode = Mode::kRtt, .count = 10, .size = 64});
  EXPECT_TRUE(r.ok) << r.error;
}

}  // namespace
}  // namespace connswap::net
