#pragma once
// What rpcnet tells its users about one connection (Server hooks).

#include <string>

#include "base/address.h"
#include "base/peer_roles.h"

namespace connswap::rpcnet {

struct ConnectionInfo {
  std::string id;                   // quic connection id as printed in logs; stable
  Address peer;                     // the peer's address when the handshake completed
  bool client_certificate = false;  // the client presented a certificate (verified under mTLS)
  // The verified peer certificate's roles (SAN URIs connswap:role:<name>) and SHA-256
  // fingerprint (lowercase hex). Empty when no verified certificate was presented.
  RoleSet roles{};
  std::string fingerprint{};
};

}  // namespace connswap::rpcnet
