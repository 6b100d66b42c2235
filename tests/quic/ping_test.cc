// Connection::ping (issue 18's liveness probe): on a quiet connection it sends one
// ack-eliciting packet at once, the peer acknowledges it within its max_ack_delay, and
// last_received() moves; without it a quiet connection stays silent.

#include <gtest/gtest.h>

#include "quic/fixture.h"

namespace connswap::quic::test {
namespace {

// A handshaken connection left quiet (no keep-alive) until nothing is in flight.
void quiet_connection(Link& link) {
  link.start();
  ASSERT_TRUE(link.run_until([&] {
    return link.client().handshake_completed() && link.server() != nullptr &&
           link.server()->handshake_completed();
  }));
  link.run_until([] { return false; }, 1 * kSecond);
  ASSERT_EQ(link.client().bytes_in_flight(), 0U);
}

TEST(Ping, AQuietConnectionIsAnsweredWithinTheAckDelay) {
  Link link(client_config(), server_config());  // 1 ms one way
  quiet_connection(link);
  const Timestamp heard = link.client().last_received();
  ASSERT_GT(heard, 0U);
  const std::uint64_t sent = link.datagrams_sent;
  const Timestamp pinged = link.now();
  link.client().ping();
  ASSERT_TRUE(link.run_until([&] { return link.client().last_received() > heard; }, kSecond));
  EXPECT_EQ(link.datagrams_sent - sent, 2U) << "one PING, one ACK";
  // Two one-way delays plus the server's ACK delay (max_ack_delay 25 ms by default).
  EXPECT_LE(link.client().last_received() - pinged, 2 * kMillisecond + 25 * kMillisecond);
}

TEST(Ping, WithoutPingAQuietConnectionStaysSilent) {
  Link link(client_config(), server_config());
  quiet_connection(link);
  const Timestamp heard = link.client().last_received();
  const std::uint64_t sent = link.datagrams_sent;
  link.run_until([] { return false; }, 5 * kSecond);
  EXPECT_EQ(link.datagrams_sent, sent);
  EXPECT_EQ(link.client().last_received(), heard);
}

TEST(Ping, AnUnansweredPingLeavesLastReceivedWhereItWas) {
  Link link(client_config(), server_config());
  quiet_connection(link);
  const Timestamp heard = link.client().last_received();
  link.set_blackhole(true);
  link.client().ping();
  link.run_until([] { return false; }, 200 * kMillisecond);
  EXPECT_EQ(link.client().last_received(), heard);
}

TEST(Ping, BeforeTheHandshakeItIsANoOp) {
  Link link(client_config(), server_config());
  link.start();
  link.client().ping();  // not completed yet: ignored, the handshake proceeds as usual
  ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
}

}  // namespace
}  // namespace connswap::quic::test
