// Handshake, TLS policy and connection close.

#include <filesystem>

#include <gtest/gtest.h>

#include "quic/fixture.h"

namespace connswap::quic::test {
namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// Runs a handshake that must fail; returns both sides' close events.
void expect_handshake_failure(Link& link,
                              std::string_view client_reason,
                              std::string_view server_reason) {
  link.start();
  ASSERT_TRUE(link.run_until_closed(30 * kSecond));
  const ConnectionClosed* c = find_closed(link.client_events);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, CloseKind::kHandshakeFailed) << c->reason;
  EXPECT_TRUE(contains(c->reason, client_reason)) << c->reason;
  EXPECT_EQ(count_events<HandshakeCompleted>(link.client_events), 0);
  ASSERT_NE(link.server(), nullptr);
  const ConnectionClosed* s = find_closed(link.server_events);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, CloseKind::kHandshakeFailed) << s->reason;
  EXPECT_TRUE(contains(s->reason, server_reason)) << s->reason;
  EXPECT_EQ(count_events<ConnectionClosed>(link.client_events), 1);
  EXPECT_EQ(count_events<ConnectionClosed>(link.server_events), 1);
}

TEST(Handshake, Completes) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] {
    return link.client().handshake_completed() && link.server() != nullptr &&
           link.server()->handshake_completed();
  }));
  EXPECT_EQ(count_events<HandshakeCompleted>(link.client_events), 1);
  EXPECT_EQ(count_events<HandshakeCompleted>(link.server_events), 1);
  EXPECT_EQ(link.client().alpn(), kAlpn);
  EXPECT_EQ(link.server()->alpn(), kAlpn);
  EXPECT_EQ(link.client().id(), link.server()->id());
  EXPECT_EQ(link.client().id().size(), 2 * kServerCidLen);
  // Two one-way delays of 1 ms each way: 1-RTT handshake plus the pacing workaround.
  EXPECT_LE(link.now() - 1 * kSecond, 5 * kMillisecond);
}

TEST(Handshake, ServerIssuesFixedLengthCids) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
  link.run_until([] { return false; }, 100 * kMillisecond);  // NEW_CONNECTION_IDs follow
  ASSERT_NE(link.server(), nullptr);
  int added = 0;
  while (auto c = link.server()->poll_cid_change()) {
    EXPECT_TRUE(c->added);
    // The first is the client's chosen DCID; the client picks kServerCidLen too.
    EXPECT_EQ(c->cid.size(), kServerCidLen);
    ++added;
  }
  EXPECT_GE(added, 4);  // original DCID + SCID + spare CIDs for migration
}

TEST(Handshake, AlpnMismatchFailsCleanly) {
  ClientTlsOptions o = client_tls_options();
  o.alpn = "other/1";
  Link link(client_config(client_tls(o)), server_config());
  expect_handshake_failure(link, "ALPN", "ALPN");
}

TEST(Handshake, WrongCaFailsVerification) {
  ClientTlsOptions o = client_tls_options();
  o.ca_file = pki().other_ca_cert.string();
  Link link(client_config(client_tls(o)), server_config());
  expect_handshake_failure(
      link, "certificate verification failed", "certificate verification failed");
}

TEST(Handshake, WrongServerNameFailsVerification) {
  ClientConfig cc = client_config();
  cc.server_name = "wrong.example.com";
  Link link(cc, server_config());
  expect_handshake_failure(
      link, "certificate verification failed", "certificate verification failed");
}

TEST(Handshake, IpServerNameVerifiesAgainstIpSan) {
  ClientConfig cc = client_config();
  cc.server_name = "127.0.0.1";
  Link link(cc, server_config());
  link.start();
  EXPECT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
}

TEST(Handshake, InsecureSkipVerifyConnectsToWrongCaServer) {
  ClientTlsOptions o = client_tls_options();
  o.ca_file = pki().other_ca_cert.string();
  o.insecure_skip_verify = true;
  Link link(client_config(client_tls(o)), server_config());
  link.start();
  EXPECT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
}

TEST(Handshake, MutualTlsAcceptsClientCert) {
  ServerTlsOptions so = server_tls_options();
  so.client_ca_file = pki().ca_cert.string();
  ClientTlsOptions co = client_tls_options();
  co.cert_file = pki().client_cert.string();
  co.key_file = pki().client_key.string();
  Link link(client_config(client_tls(co)), server_config(server_tls(so)));
  link.start();
  EXPECT_TRUE(link.run_until(
      [&] { return link.server() != nullptr && link.server()->handshake_completed(); }));
}

TEST(Handshake, MutualTlsRejectsMissingClientCert) {
  ServerTlsOptions so = server_tls_options();
  so.client_ca_file = pki().ca_cert.string();
  Link link(client_config(), server_config(server_tls(so)));
  link.start();
  ASSERT_TRUE(link.run_until_closed(30 * kSecond));
  const ConnectionClosed* s = find_closed(link.server_events);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, CloseKind::kHandshakeFailed) << s->reason;
  const ConnectionClosed* c = find_closed(link.client_events);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, CloseKind::kHandshakeFailed) << c->reason;
}

// MGMT ports: a certificate is optional, but one that is sent must verify.
TEST(Handshake, OptionalClientCertAcceptsAnonymousClient) {
  ServerTlsOptions so = server_tls_options();
  so.client_ca_file = pki().ca_cert.string();
  so.client_cert_optional = true;
  Link link(client_config(), server_config(server_tls(so)));
  link.start();
  ASSERT_TRUE(link.run_until(
      [&] { return link.server() != nullptr && link.server()->handshake_completed(); }));
  EXPECT_FALSE(link.server()->peer_certificate_presented());
}

TEST(Handshake, OptionalClientCertReportsVerifiedCert) {
  ServerTlsOptions so = server_tls_options();
  so.client_ca_file = pki().ca_cert.string();
  so.client_cert_optional = true;
  ClientTlsOptions co = client_tls_options();
  co.cert_file = pki().client_cert.string();
  co.key_file = pki().client_key.string();
  Link link(client_config(client_tls(co)), server_config(server_tls(so)));
  link.start();
  ASSERT_TRUE(link.run_until(
      [&] { return link.server() != nullptr && link.server()->handshake_completed(); }));
  EXPECT_TRUE(link.server()->peer_certificate_presented());
}

// connswap nodes present their one certificate (EKU serverAuth) as the MGMT client cert.
TEST(Handshake, OptionalClientCertAcceptsNodeServerCert) {
  ServerTlsOptions so = server_tls_options();
  so.client_ca_file = pki().ca_cert.string();
  so.client_cert_optional = true;
  ClientTlsOptions co = client_tls_options();
  co.cert_file = pki().server_cert.string();
  co.key_file = pki().server_key.string();
  Link link(client_config(client_tls(co)), server_config(server_tls(so)));
  link.start();
  ASSERT_TRUE(link.run_until(
      [&] { return link.server() != nullptr && link.server()->handshake_completed(); }));
  EXPECT_TRUE(link.server()->peer_certificate_presented());
}

TEST(Handshake, OptionalClientCertRejectsCertFromOtherCa) {
  ServerTlsOptions so = server_tls_options();
  so.client_ca_file = pki().ca_cert.string();
  so.client_cert_optional = true;
  ClientTlsOptions co = client_tls_options();
  co.cert_file = pki().other_cert.string();  // another cluster's node certificate
  co.key_file = pki().other_key.string();
  Link link(client_config(client_tls(co)), server_config(server_tls(so)));
  link.start();
  ASSERT_TRUE(link.run_until_closed(30 * kSecond));
  const ConnectionClosed* s = find_closed(link.server_events);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, CloseKind::kHandshakeFailed) << s->reason;
}

TEST(Handshake, TimesOutWithoutServer) {
  ClientConfig cc = client_config();
  cc.transport.handshake_timeout = 3 * kSecond;
  Link link(cc, server_config());
  link.set_blackhole(true);
  link.start();
  ASSERT_TRUE(link.run_until([&] { return link.client().is_closed(); }));
  const ConnectionClosed* c = find_closed(link.client_events);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, CloseKind::kHandshakeTimeout);
  EXPECT_NEAR(static_cast<double>(link.now() - 1 * kSecond), 3e9, 1e6);
  EXPECT_EQ(link.client().deadline(), kNever);
}

TEST(Close, LocalCloseReachesPeer) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
  link.client().close(kAppShuttingDown, "bye");
  ASSERT_TRUE(link.run_until_closed());
  const ConnectionClosed* c = find_closed(link.client_events);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, CloseKind::kLocal);
  const ConnectionClosed* s = find_closed(link.server_events);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, CloseKind::kPeerApplication);
  EXPECT_EQ(s->code, kAppShuttingDown);
  EXPECT_EQ(s->reason, "bye");
  EXPECT_EQ(count_events<ConnectionClosed>(link.client_events), 1);
  EXPECT_EQ(count_events<ConnectionClosed>(link.server_events), 1);
  EXPECT_EQ(link.client().deadline(), kNever);
  EXPECT_EQ(link.server()->deadline(), kNever);
  EXPECT_FALSE(link.client().open_stream());
}

TEST(Close, PeerGoneClosesAtOnce) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
  link.client().on_peer_gone("ICMP port unreachable");
  EXPECT_TRUE(link.client().is_closed());
  link.client().on_peer_gone("again");
  ASSERT_TRUE(link.run_until([] { return true; }));  // drain events
  EXPECT_EQ(count_events<ConnectionClosed>(link.client_events), 1);
  EXPECT_EQ(find_closed(link.client_events)->kind, CloseKind::kPeerGone);
}

TEST(Qlog, WritesOneFilePerConnection) {
  auto dir = pki().dir / "qlog";
  std::filesystem::create_directories(dir);
  ClientConfig cc = client_config();
  cc.transport.qlog_dir = dir.string();
  ServerConfig sc = server_config();
  sc.transport.qlog_dir = dir.string();
  std::string id;
  {
    Link link(cc, sc);
    link.start();
    ASSERT_TRUE(link.run_until([&] { return link.client().handshake_completed(); }));
    id = link.client().id();
  }
  for (const char* role : {".client", ".server"}) {
    auto file = dir / (id + role + ".sqlog");
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_GT(std::filesystem::file_size(file), 100u);
  }
}

}  // namespace
}  // namespace connswap::quic::test
