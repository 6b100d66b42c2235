#pragma once
// Authentication and roles (docs/PROTOCOL.md §7.5): guarded listeners verify client certificates
// against the cluster CA but let clients without one connect; each guarded method then
// refuses a peer that presented no verified certificate with UNAUTHENTICATED, and one whose
// certificate lacks the method's role (SAN URI connswap:role:<name>) with PERMISSION_DENIED,
// each with a WARN line naming the peer's address. (A certificate from another CA never
// gets here: it fails the QUIC handshake.)

#include <cstdint>
#include <span>
#include <string_view>

#include "base/error.h"
#include "base/peer_roles.h"
#include "rpc/registry.h"

namespace connswap::app {

// A method and the role its caller's certificate must grant.
struct GuardedMethod {
  std::string_view name;
  PeerRole role;
};

// What the guard refused, by reason (connswap_requests_refused_total{reason=...}).
struct AuthRefusals {
  std::uint64_t no_certificate = 0;  // UNAUTHENTICATED: no verified certificate
  std::uint64_t missing_role = 0;    // PERMISSION_DENIED: the certificate lacks the role
};

// Registers each of `methods` of `inner` on `outer`, guarded as above. `inner` and
// `refusals` (nullable: not counted) must outlive `outer`'s use. kNotFound if `inner` lacks
// a method; registration errors of `outer` as they come.
Result<void> add_guarded(const rpc::Registry& inner,
                         rpc::Registry& outer,
                         std::span<const GuardedMethod> methods,
                         AuthRefusals* refusals = nullptr);

// The refusal message for a certificate with `roles` calling `method` that needs `role`:
// names the role, its SAN URI, the roles held, and how to get a certificate with it.
std::string missing_role_message(std::string_view method, PeerRole role, RoleSet roles);

}  // namespace connswap::app
