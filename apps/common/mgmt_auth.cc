#include "common/mgmt_auth.h"

#include <string>

#include "base/log.h"

namespace connswap::app {

Result<void> add_authenticated(const rpc::Registry& inner,
                               rpc::Registry& outer,
                               std::span<const std::string_view> methods) {
  for (std::string_view name : methods) {
    const rpc::MethodEntry* entry = inner.find(name);
    if (entry == nullptr) {
      return make_error(Errc::kNotFound, "no method " + std::string(name) + " to guard");
    }
    CONNSWAP_TRY(outer.add(entry->name, entry->shape, [entry](rpc::Call call) {
      const rpc::PeerInfo peer = call.peer();
      if (!peer.authenticated) {
        log::get("mgmt").warn(
            "peer={} method={}: 🔒 refused MGMT call without a client certificate from the "
            "cluster CA",
            peer.address.empty() ? "unknown" : peer.address,
            entry->name);
        (void)call.finish({rpc::StatusCode::kUnauthenticated,
                           "MGMT calls need a client certificate from the cluster CA"});
        return;
      }
      entry->start(std::move(call));
    }));
  }
  return {};
}

}  // namespace connswap::app
