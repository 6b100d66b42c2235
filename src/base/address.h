#pragma once
// A socket address value (IPv4 or IPv6) with parsing and printing. Plain data: no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include <netinet/in.h>

#include "base/error.h"

namespace connswap {

struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;  // 0 = unset

  // Parses "127.0.0.1:61000", "[::1]:61000" or "localhost:61000" (localhost -> 127.0.0.1).
  // Port 0 is allowed (bind to any free port). No DNS lookups.
  static Result<Address> parse(std::string_view text);
  static Address loopback_v4(std::uint16_t port);

  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  std::uint16_t port() const;
  void set_port(std::uint16_t port);
  bool empty() const { return len == 0; }
  std::string to_string() const;  // "127.0.0.1:61000" / "[::1]:61000"

  friend bool operator==(const Address& a, const Address& b);
};

}  // namespace connswap
