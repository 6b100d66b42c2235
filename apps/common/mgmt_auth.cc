#include "common/mgmt_auth.h"

#include <string>

#include "base/log.h"

namespace connswap::app {

std::string missing_role_message(std::string_view method, PeerRole role, RoleSet roles) {
  std::string text = std::string(method) + " needs a certificate with the " +
                     std::string(role_name(role)) + " role (SAN URI " + role_uri(role) +
                     "); this one has roles: " + to_string(roles);
  if (roles.empty()) {
    text += " (made before roles existed? make role certificates with connswap-certs)";
  }
  return text;
}

Result<void> add_guarded(const rpc::Registry& inner,
                         rpc::Registry& outer,
                         std::span<const GuardedMethod> methods,
                         AuthRefusals* refusals) {
  for (const GuardedMethod& guarded : methods) {
    const rpc::MethodEntry* entry = inner.find(guarded.name);
    if (entry == nullptr) {
      return make_error(Errc::kNotFound, "no method " + std::string(guarded.name) + " to guard");
    }
    const PeerRole role = guarded.role;
    CONNSWAP_TRY(outer.add(entry->name, entry->shape, [entry, role, refusals](rpc::Call call) {
      const rpc::PeerInfo peer = call.peer();
      const std::string address = peer.address.empty() ? "unknown" : peer.address;
      if (!peer.authenticated) {
        if (refusals != nullptr) {
          ++refusals->no_certificate;
        }
        log::get("mgmt").warn(
            "peer={} method={}: 🔒 refused a call without a client certificate from the "
            "cluster CA",
            address,
            entry->name);
        (void)call.finish({rpc::StatusCode::kUnauthenticated,
                           entry->name + " needs a client certificate from the cluster CA"});
        return;
      }
      if (!peer.roles.has(role)) {
        if (refusals != nullptr) {
          ++refusals->missing_role;
        }
        log::get("mgmt").warn(
            "peer={} method={} needs={} roles={}: 🔒 refused a call from a "
            "certificate without the role",
            address,
            entry->name,
            role_name(role),
            to_string(peer.roles));
        (void)call.finish({rpc::StatusCode::kPermissionDenied,
                           missing_role_message(entry->name, role, peer.roles)});
        return;
      }
      entry->start(std::move(call));
    }));
  }
  return {};
}

}  // namespace connswap::app
