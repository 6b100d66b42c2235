#pragma once
// Shared helpers for quic tests: certificates and ready-made configs.

#include <string>

#include "quic/connection.h"
#include "quic/link.h"
#include "quic/packet.h"
#include "support/test_pki.h"

namespace connswap::quic::test {

using Pki = connswap::testing::TestPki;

// One PKI per test binary run (generated once, removed at exit).
const Pki& pki();

ServerTlsOptions server_tls_options();
ClientTlsOptions client_tls_options();
std::shared_ptr<const TlsContext> server_tls(ServerTlsOptions options = server_tls_options());
std::shared_ptr<const TlsContext> client_tls(ClientTlsOptions options = client_tls_options());

ServerConfig server_config(std::shared_ptr<const TlsContext> tls = server_tls());
ClientConfig client_config(std::shared_ptr<const TlsContext> tls = client_tls());

// The first ConnectionClosed in `events`, or nullptr.
const ConnectionClosed* find_closed(const std::vector<Event>& events);

template <class T>
int count_events(const std::vector<Event>& events) {
  int n = 0;
  for (const Event& e : events) {
    n += std::holds_alternative<T>(e) ? 1 : 0;
  }
  return n;
}

}  // namespace connswap::quic::test
