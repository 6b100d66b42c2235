#pragma once
// The roles a cluster certificate grants (docs/PROTOCOL.md §7.5). connswap-certs writes each role
// as a subjectAltName URI `connswap:role:<name>` (pki); the QUIC layer reads them from a
// verified peer certificate, and services authorize calls by role (rpc::PeerInfo::roles).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace connswap {

// One role; the values are bits of a RoleSet.
enum class PeerRole : std::uint8_t {
  kWorker = 1,    // registers with directors, serves Worker/Generate
  kOperator = 2,  // calls the director's admin methods (connswap-ctl)
  kDirector = 4,  // calls workers' USER methods
  kClient = 8,    // a client tool's certificate (grants nothing yet)
};

// A set of roles (bit-or of PeerRole values); 0 = no role.
struct RoleSet {
  std::uint8_t bits = 0;
  bool has(PeerRole r) const { return (bits & static_cast<std::uint8_t>(r)) != 0; }
  void add(PeerRole r) { bits = static_cast<std::uint8_t>(bits | static_cast<std::uint8_t>(r)); }
  bool empty() const { return bits == 0; }
  friend bool operator==(RoleSet, RoleSet) = default;
};

// "worker", "operator", "director", "client".
std::string_view role_name(PeerRole role);
// The SAN URI that grants `role` ("connswap:role:worker").
std::string role_uri(PeerRole role);
// The role a SAN URI grants, or nullopt for any other URI (ignored).
std::optional<PeerRole> role_from_uri(std::string_view uri);
// "worker,operator" in enum order; "none" for the empty set (log lines).
std::string to_string(RoleSet roles);

}  // namespace connswap
