#pragma once
// What a TLS peer's certificate says about it, for any transport that runs a GnuTLS session
// (QUIC in src/quic, the HTTP front's TLS in src/front): one implementation of reading the
// leaf's roles and fingerprint, and of asking for an optional client certificate.

#include <string>

#include "base/peer_roles.h"

namespace connswap::pki {

// The peer's leaf certificate (verified by the handshake when the session verifies peers).
struct TlsPeer {
  bool presented = false;   // the peer sent a certificate chain
  RoleSet roles;            // from its SAN URIs connswap:role:<name> (base/peer_roles.h)
  std::string fingerprint;  // SHA-256 of the leaf's DER, lowercase hex; "" if none presented
};

// `session` is a gnutls_session_t. Empty when the peer sent no certificate; roles empty
// when the leaf does not parse.
TlsPeer tls_peer_of(void* session);

// Server side: asks the client for a certificate without requiring one. None is fine (the
// application decides what an anonymous peer may do); one that is sent must verify against
// the credentials' trust (CA) or the handshake fails. No CA names are sent in the request,
// so a client sends its certificate even when another CA issued it and is refused here
// instead of passing as anonymous.
void request_optional_client_certificate(void* session);

}  // namespace connswap::pki
