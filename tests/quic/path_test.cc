// Timers and connection-level failure paths: idle timeout, keepalive, stateless reset.

#include <gtest/gtest.h>

#include "quic/fixture.h"

namespace connswap::quic::test {
namespace {

TEST(Idle, SilentPeerTimesOut) {
  ClientConfig cc = client_config();
  cc.transport.idle_timeout = 2 * kSecond;
  ServerConfig sc = server_config();
  sc.transport.idle_timeout = 2 * kSecond;
  Link link(cc, sc);
  link.start();
  ASSERT_TRUE(link.run_until([&] {
    return link.server() != nullptr && link.server()->handshake_completed() &&
           link.client().handshake_completed();
  }));
  // Let the handshake settle (HANDSHAKE_DONE, ACKs), then cut the wire.
  link.run_until([] { return false; }, 100 * kMillisecond);
  link.set_blackhole(true);
  Timestamp cut = link.now();
  ASSERT_TRUE(link.run_until([&] { return link.server()->is_closed(); }, 60 * kSecond));
  const ConnectionClosed* s = find_closed(link.server_events);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, CloseKind::kIdleTimeout);
  EXPECT_GE(link.now() - cut, 1 * kSecond);
  EXPECT_LE(link.now() - cut, 4 * kSecond);
  EXPECT_EQ(link.server()->deadline(), kNever);
  ASSERT_TRUE(link.run_until([&] { return link.client().is_closed(); }, 60 * kSecond));
  EXPECT_EQ(find_closed(link.client_events)->kind, CloseKind::kIdleTimeout);
}

TEST(Idle, KeepaliveKeepsQuietConnectionOpen) {
  ClientConfig cc = client_config();
  cc.transport.idle_timeout = 2 * kSecond;
  cc.transport.keepalive = 500 * kMillisecond;
  ServerConfig sc = server_config();
  sc.transport.idle_timeout = 2 * kSecond;
  Link link(cc, sc);
  link.start();
  EXPECT_FALSE(link.run_until([&] { return link.client().is_closed(); }, 10 * kSecond));
  ASSERT_NE(link.server(), nullptr);
  EXPECT_FALSE(link.server()->is_closed());
  EXPECT_EQ(find_closed(link.client_events), nullptr);
}

TEST(StatelessReset, RestartedServerResetsClient) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
  link.run_until([] { return false; }, 100 * kMillisecond);
  link.drop_server();  // the server forgot the connection (restart with the same key)
  auto id = link.client().open_stream();
  ASSERT_TRUE(id);
  ASSERT_TRUE(link.client().send(*id, ByteSpan(pattern(500, 1)), false));
  ASSERT_TRUE(link.run_until([&] { return link.client().is_closed(); }, 10 * kSecond));
  EXPECT_GE(link.resets_sent, 1u);
  const ConnectionClosed* c = find_closed(link.client_events);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, CloseKind::kStatelessReset);
  EXPECT_EQ(count_events<ConnectionClosed>(link.client_events), 1);
}

TEST(StatelessReset, ResetWithOtherSecretIsIgnored) {
  ServerConfig sc = server_config();
  Link link(client_config(), sc);
  link.start();
  ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
  link.run_until([] { return false; }, 100 * kMillisecond);
  // Forge a reset for the client's current DCID with a different secret.
  Bytes wrong = derive_static_secret(as_bytes("another key"));
  Bytes out(100);
  auto n = write_stateless_reset(out, wrong, Bytes(kServerCidLen, 1), 1200);
  ASSERT_TRUE(n);
  (void)link.client().on_datagram(
      Path{link.client_addr, link.server_addr, 1}, ByteSpan(out).first(*n), link.now());
  EXPECT_FALSE(link.client().is_closed());
}

}  // namespace
}  // namespace connswap::quic::test
