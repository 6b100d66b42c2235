#include "rpc/registry.h"

#include "wire/envelope.h"

namespace connswap::rpc {

Result<void> Registry::add(std::string method, CallShape shape, StartFn start) {
  if (!wire::is_valid_method(method)) {
    return make_error(Errc::kInvalidArgument, "bad method name: " + method);
  }
  if (!start) {
    return make_error(Errc::kInvalidArgument, "no handler for " + method);
  }
  auto [it, inserted] = methods_.try_emplace(method);
  if (!inserted) {
    return make_error(Errc::kInvalidArgument, "method registered twice: " + method);
  }
  it->second = MethodEntry{std::move(method), shape, std::move(start)};
  return {};
}

const MethodEntry* Registry::find(std::string_view method) const {
  auto it = methods_.find(method);
  return it == methods_.end() ? nullptr : &it->second;
}

}  // namespace connswap::rpc
