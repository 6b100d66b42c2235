// Stateless Retry helpers: a Retry's token is accepted from the address and CID it was
// issued to, within its lifetime, and refused otherwise; a refusal is a valid packet.

#include "quic/retry.h"

#include <gtest/gtest.h>

#include "quic/fixture.h"

namespace connswap::quic::test {
namespace {

const Address kClient = Address::loopback_v4(4000);
const Address kServer = Address::loopback_v4(4433);
constexpr Timestamp kStart = 1 * kSecond;

struct Exchange {
  std::unique_ptr<Connection> client;
  Bytes retry;
  InitialHeader second;  // the client's Initial after the Retry, with the token
};

Bytes first_datagram(Connection& conn, Timestamp now) {
  Bytes buf(64 * 1024);
  auto d = conn.write_datagrams(buf, now);
  EXPECT_TRUE(d);
  buf.resize(d ? d->segment_size : 0);
  return buf;
}

// A real client's Initial, answered with a Retry; the client follows it.
Exchange run_retry(const Bytes& secret) {
  Exchange x;
  auto conn = Connection::connect(client_config(), Path{kClient, kServer, 0}, kStart);
  EXPECT_TRUE(conn);
  x.client = std::move(*conn);
  auto first = decode_initial(first_datagram(*x.client, kStart));
  EXPECT_TRUE(first);
  EXPECT_TRUE(first->token.empty());
  x.retry.resize(1500);
  auto n = write_retry(x.retry, secret, *first, kClient, kStart);
  EXPECT_TRUE(n);
  x.retry.resize(n ? *n : 0);
  EXPECT_TRUE(x.client->on_datagram(Path{kClient, kServer, 0}, x.retry, kStart));
  auto second = decode_initial(first_datagram(*x.client, kStart));
  EXPECT_TRUE(second);
  x.second = *second;
  EXPECT_NE(x.second.dcid, first->dcid);  // the client now uses our Retry SCID
  EXPECT_EQ(x.second.dcid.size(), kServerCidLen);
  EXPECT_TRUE(is_retry_token(x.second.token));
  auto odcid = verify_retry_token(secret, x.second, kClient, kStart);
  EXPECT_TRUE(odcid);
  EXPECT_EQ(odcid ? *odcid : Bytes{}, first->dcid);
  return x;
}

TEST(Retry, TheClientFollowsARetryAndItsTokenVerifies) {
  const Bytes secret(32, 0x5a);
  run_retry(secret);
}

TEST(Retry, ATokenIsBoundToAddressCidSecretAndTime) {
  const Bytes secret(32, 0x5a);
  Exchange x = run_retry(secret);
  EXPECT_FALSE(verify_retry_token(secret, x.second, Address::loopback_v4(4001), kStart));
  EXPECT_FALSE(verify_retry_token(Bytes(32, 0x5b), x.second, kClient, kStart));
  EXPECT_FALSE(
      verify_retry_token(secret, x.second, kClient, kStart + kRetryTokenLifetime + kSecond));
  InitialHeader other_cid = x.second;
  other_cid.dcid[0] ^= 1;
  EXPECT_FALSE(verify_retry_token(secret, other_cid, kClient, kStart));
  InitialHeader tampered = x.second;
  tampered.token.back() ^= 1;
  EXPECT_FALSE(verify_retry_token(secret, tampered, kClient, kStart));
  InitialHeader no_token = x.second;
  no_token.token.clear();
  EXPECT_FALSE(is_retry_token(no_token.token));
  EXPECT_FALSE(verify_retry_token(secret, no_token, kClient, kStart));
}

TEST(Retry, RefusalClosesTheClientWithConnectionRefused) {
  auto conn = Connection::connect(client_config(), Path{kClient, kServer, 0}, kStart);
  ASSERT_TRUE(conn);
  auto initial = decode_initial(first_datagram(**conn, kStart));
  ASSERT_TRUE(initial);
  Bytes out(1500);
  auto n = write_refusal(out, *initial, "full");
  ASSERT_TRUE(n);
  out.resize(*n);
  (void)(*conn)->on_datagram(Path{kClient, kServer, 0}, out, kStart);
  std::vector<Event> events;
  while (auto e = (*conn)->poll_event()) {
    events.push_back(std::move(*e));
  }
  const ConnectionClosed* closed = find_closed(events);
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(closed->code, 0x2u) << closed->reason;  // CONNECTION_REFUSED
}

}  // namespace
}  // namespace connswap::quic::test
