#pragma once
// What rpcnet tells its users about one connection (Server hooks).

#include <string>

#include "base/address.h"

namespace connswap::rpcnet {

struct ConnectionInfo {
  std::string id;                   // quic connection id as printed in logs; stable
  Address peer;                     // the peer's address when the handshake completed
  bool client_certificate = false;  // the client presented a certificate (verified under mTLS)
};

}  // namespace connswap::rpcnet
