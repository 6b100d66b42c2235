#pragma once
// TLS for the programs: one certificate/key per node (--tls-cert/--tls-key, by default its
// role's certificate from connswap-certs) and the cluster CA (--tls-ca). The node's
// certificate is its server certificate on USER and MGMT and its client certificate on
// connections it opens (a worker registering with the director, a director calling a
// worker). Guarded servers verify clients against the CA (docs/PROTOCOL.md §7.5).

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "common/options.h"
#include "quic/tls.h"

namespace connswap::app {

// kInvalidArgument naming the option and its environment variable for the first file that
// cannot be read (missing, unreadable, or empty).
Result<void> check_tls_files(const TlsFiles& files);

// Which clients a server accepts.
enum class ClientAuth : std::uint8_t {
  kNone,      // anyone (the director's USER port; a worker's with --allow-any-client)
  kOptional,  // a certificate, if sent, must verify against the CA; none is allowed and
              // reported (ConnectionInfo::client_certificate = false): guarded ports
};

Result<std::shared_ptr<const quic::TlsContext>> make_server_tls(const TlsFiles& files,
                                                                ClientAuth auth);
// Verifies servers against the CA; presents the node's certificate when `present_cert`.
Result<std::shared_ptr<const quic::TlsContext>> make_client_tls(const TlsFiles& files,
                                                                bool present_cert);

// The stateless-reset secret, derived from the key file (stable across restarts).
Result<Bytes> reset_secret(const TlsFiles& files);

// The host part of "host:port" / "[v6]:port" (the name a server certificate must carry).
std::string host_of(std::string_view address);

}  // namespace connswap::app
