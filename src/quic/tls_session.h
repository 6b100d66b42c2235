#pragma once
// Private: one GnuTLS session wired to an ngtcp2 connection (QUIC TLS 1.3 only).

#include <cstdint>
#include <string>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "base/error.h"
#include "quic/tls.h"

namespace connswap::quic::detail {

// Creates a session for `ctx` (client or server), installs the ngtcp2 crypto hooks and
// points it at `conn_ref` (which must outlive the session). For clients, `server_name` is
// the SNI and the name the certificate must carry (unless the context is insecure).
Result<gnutls_session_t> make_tls_session(const TlsContext& ctx,
                                          const std::string& server_name,
                                          ngtcp2_crypto_conn_ref* conn_ref);

// The negotiated ALPN ("" if none).
std::string selected_alpn(gnutls_session_t session);

// True if the peer sent a certificate (chain) in this session.
bool peer_certificate_presented(gnutls_session_t session);

// The roles (SAN URIs) and SHA-256 fingerprint of the peer's leaf certificate; empty if it
// sent none or the leaf does not parse.
PeerCertificate peer_certificate(gnutls_session_t session);

// A human-readable reason for a local handshake failure: certificate verification status,
// ALPN mismatch or the TLS alert we are about to send.
std::string local_failure_reason(gnutls_session_t session, std::uint8_t alert);

// A reason for a peer's CONNECTION_CLOSE carrying a TLS alert (crypto error 0x100 + alert).
std::string peer_alert_reason(std::uint8_t alert);

// True if `alert` says a certificate could not be verified.
bool is_certificate_alert(std::uint8_t alert);

}  // namespace connswap::quic::detail
