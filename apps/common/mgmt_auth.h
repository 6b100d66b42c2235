#pragma once
// MGMT authentication (docs/ARCHITECTURE.md): MGMT listeners verify client certificates
// against the cluster CA but let clients without one connect; each guarded method then
// refuses calls from a peer that presented no verified certificate with UNAUTHENTICATED and
// a WARN line naming the peer's address. (A certificate from another CA never gets here:
// it fails the QUIC handshake.)

#include <span>
#include <string_view>

#include "base/error.h"
#include "rpc/registry.h"

namespace connswap::app {

// Registers each of `methods` of `inner` on `outer`, guarded: a call whose
// rpc::Call::peer() is not authenticated ends UNAUTHENTICATED before the method sees it.
// `inner` must outlive `outer`'s use. kNotFound if `inner` lacks a method; registration
// errors of `outer` as they come.
Result<void> add_authenticated(const rpc::Registry& inner,
                               rpc::Registry& outer,
                               std::span<const std::string_view> methods);

}  // namespace connswap::app
