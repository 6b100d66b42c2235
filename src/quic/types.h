#pragma once
// Plain value types shared by the sans-IO QUIC layer and its users.

#include <cstdint>
#include <string>

#include "base/address.h"
#include "base/bytes.h"
#include "base/peer_roles.h"
#include "base/time.h"

namespace connswap::quic {

using StreamId = std::int64_t;

// A network path as seen by one endpoint. `tag` is opaque to src/quic: src/net stores which
// local socket the path belongs to, so a packet can leave on the right socket (migration).
// What the peer's leaf certificate says about it (verified by the handshake when the
// context verifies peers; see tls.h). Empty when the peer presented none.
struct PeerCertificate {
  RoleSet roles;            // from its SAN URIs connswap:role:<name> (base/peer_roles.h)
  std::string fingerprint;  // SHA-256 of the leaf's DER, lowercase hex; "" if none presented
};

struct Path {
  Address local;
  Address remote;
  std::uintptr_t tag = 0;
};

// Application error codes carried in RESET_STREAM / STOP_SENDING / CONNECTION_CLOSE.
inline constexpr std::uint64_t kAppNoError = 0;
inline constexpr std::uint64_t kAppCancelled = 0x1;     // stream no longer wanted
inline constexpr std::uint64_t kAppInternal = 0x2;      // local failure
inline constexpr std::uint64_t kAppShuttingDown = 0x3;  // endpoint going away

// The ALPN every connswap endpoint speaks.
inline constexpr std::string_view kAlpn = "connswap/1";

}  // namespace connswap::quic
