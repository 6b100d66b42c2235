// Dispatcher helpers: header decoding, Initial acceptance, resets, version negotiation.

#include "quic/packet.h"

#include <random>

#include <gtest/gtest.h>

#include "quic/fixture.h"

namespace connswap::quic::test {
namespace {

Bytes client_initial() {
  auto conn = Connection::connect(
      client_config(), Path{Address::loopback_v4(1), Address::loopback_v4(2), 0}, 1 * kSecond);
  EXPECT_TRUE(conn);
  Bytes buf(64 * 1024);
  auto d = (*conn)->write_datagrams(buf, 1 * kSecond);
  EXPECT_TRUE(d);
  buf.resize(d->segment_size);
  return buf;
}

TEST(Packet, DecodesClientInitial) {
  Bytes pkt = client_initial();
  EXPECT_GE(pkt.size(), 1200u);
  auto h = decode_header(pkt);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->long_header);
  EXPECT_EQ(h->version, 1u);
  EXPECT_TRUE(h->supported_version);
  EXPECT_EQ(h->dcid.size(), kServerCidLen);
  EXPECT_TRUE(accept_initial(pkt));
}

TEST(Packet, DecodesShortHeaderWithServerCidLength) {
  Bytes pkt(40, 0);
  pkt[0] = 0x40;
  for (std::size_t i = 0; i < kServerCidLen; ++i) {
    pkt[1 + i] = static_cast<std::uint8_t>(i);
  }
  auto h = decode_header(pkt);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->long_header);
  EXPECT_EQ(h->dcid, Bytes(pkt.begin() + 1, pkt.begin() + 1 + kServerCidLen));
  EXPECT_FALSE(accept_initial(pkt));
}

TEST(Packet, VersionNegotiationForUnknownVersion) {
  Bytes pkt = client_initial();
  pkt[1] = 0x1a;  // version 0x1a000001: unknown
  auto h = decode_header(pkt);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->supported_version);
  Bytes out(1500);
  auto n = write_version_negotiation(out, pkt);
  ASSERT_TRUE(n);
  EXPECT_GT(*n, 7u);
  // The answer is a long header with version 0.
  EXPECT_NE(out[0] & 0x80, 0);
  EXPECT_EQ(out[1] | out[2] | out[3] | out[4], 0);
  // Too small to answer (RFC 9000 §14.1).
  auto small = write_version_negotiation(out, ByteSpan(pkt).first(100));
  ASSERT_TRUE(small);
  EXPECT_EQ(*small, 0u);
  EXPECT_FALSE(write_version_negotiation(out, client_initial()));  // supported: no VN
}

TEST(Packet, StatelessResetSizing) {
  Bytes secret = derive_static_secret(as_bytes("k"));
  Bytes cid(kServerCidLen, 7);
  Bytes out(1500);
  struct Case {
    std::size_t received;
    std::size_t want;
  };
  for (Case c : {Case{21, 0}, Case{20, 0}, Case{22, 21}, Case{40, 39}, Case{1200, 64}}) {
    auto n = write_stateless_reset(out, secret, cid, c.received);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, c.want) << c.received;
    if (*n > 0) {
      EXPECT_LT(*n, c.received);
      EXPECT_EQ(out[0] & 0xc0, 0x40);  // looks like a short header
    }
  }
  EXPECT_FALSE(write_stateless_reset(out, secret, Bytes{}, 100));
}

TEST(Packet, StaticSecretIsStable) {
  Bytes a = derive_static_secret(as_bytes("key file bytes"));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, derive_static_secret(as_bytes("key file bytes")));
  EXPECT_NE(a, derive_static_secret(as_bytes("other key")));
}

TEST(Packet, GarbageNeverCrashes) {
  std::mt19937_64 rng(1234);
  Bytes initial = client_initial();
  Bytes out(1500);
  Bytes secret = derive_static_secret(as_bytes("k"));
  for (int i = 0; i < 20000; ++i) {
    Bytes pkt;
    if (i % 2 == 0) {
      pkt.resize(rng() % 1600);
      for (auto& b : pkt) {
        b = static_cast<std::uint8_t>(rng());
      }
    } else {  // a mutated real Initial
      pkt = initial;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        pkt[rng() % std::min<std::size_t>(pkt.size(), 64)] ^= static_cast<std::uint8_t>(rng());
      }
      pkt.resize(rng() % (pkt.size() + 1));
    }
    auto h = decode_header(pkt);
    (void)accept_initial(pkt);
    (void)write_version_negotiation(out, pkt);
    if (h && !h->dcid.empty()) {
      (void)write_stateless_reset(out, secret, h->dcid, pkt.size());
    }
  }
}

TEST(Packet, GarbageIntoConnectionsNeverCrashes) {
  std::mt19937_64 rng(99);
  Bytes initial = client_initial();
  Path path{Address::loopback_v4(1), Address::loopback_v4(2), 0};
  int accepted = 0;
  for (int i = 0; i < 200; ++i) {
    Bytes pkt = initial;
    pkt[20 + rng() % (pkt.size() - 20)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    if (!accept_initial(pkt)) {
      continue;
    }
    auto s = Connection::accept(server_config(), path, pkt, 1 * kSecond);
    if (s) {
      ++accepted;
      Bytes out(64 * 1024);
      (void)(*s)->write_datagrams(out, 1 * kSecond);
      for (int k = 0; k < 10; ++k) {
        Bytes junk(rng() % 1400);
        for (auto& b : junk) {
          b = static_cast<std::uint8_t>(rng());
        }
        (void)(*s)->on_datagram(path, junk, 1 * kSecond);
      }
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace connswap::quic::test
