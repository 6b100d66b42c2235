#include "quic/fixture.h"

#include <gtest/gtest.h>

#include "quic/packet.h"

namespace connswap::quic::test {

const Pki& pki() {
  static const Pki p = connswap::testing::make_test_pki();
  return p;
}

ServerTlsOptions server_tls_options() {
  ServerTlsOptions o;
  o.cert_file = pki().server_cert.string();
  o.key_file = pki().server_key.string();
  return o;
}

ClientTlsOptions client_tls_options() {
  ClientTlsOptions o;
  o.ca_file = pki().ca_cert.string();
  return o;
}

std::shared_ptr<const TlsContext> server_tls(ServerTlsOptions options) {
  auto r = TlsContext::make_server(options);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : nullptr;
}

std::shared_ptr<const TlsContext> client_tls(ClientTlsOptions options) {
  auto r = TlsContext::make_client(options);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : nullptr;
}

ServerConfig server_config(std::shared_ptr<const TlsContext> tls) {
  ServerConfig c;
  c.tls = std::move(tls);
  c.static_secret = derive_static_secret(as_bytes("test server key material"));
  return c;
}

ClientConfig client_config(std::shared_ptr<const TlsContext> tls) {
  ClientConfig c;
  c.tls = std::move(tls);
  c.server_name = "localhost";
  return c;
}

const ConnectionClosed* find_closed(const std::vector<Event>& events) {
  for (const Event& e : events) {
    if (const auto* c = std::get_if<ConnectionClosed>(&e)) {
      return c;
    }
  }
  return nullptr;
}

}  // namespace connswap::quic::test
