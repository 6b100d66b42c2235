#include "services/detail/label_bindings.h"

namespace connswap::services::detail {
namespace {

// The first 16 hex digits name a certificate in messages and logs (no secret).
std::string short_id(std::string_view fingerprint) {
  return fingerprint.empty() ? std::string("none") : std::string(fingerprint.substr(0, 16));
}

std::string taken(std::string_view label, std::string_view owner) {
  return "worker label " + std::string(label) + " belongs to another certificate (sha256 " +
         short_id(owner) + "...) while that worker is alive";
}

}  // namespace

std::string LabelBindings::claim(std::string_view label,
                                 std::string_view fingerprint,
                                 bool owner_lost) {
  auto it = owners_.find(label);
  if (it == owners_.end()) {
    owners_.emplace(std::string(label), std::string(fingerprint));
    return {};
  }
  if (it->second == fingerprint) {
    return {};
  }
  if (owner_lost) {
    it->second = std::string(fingerprint);
    return {};
  }
  return taken(label, it->second);
}

std::string LabelBindings::check(std::string_view label, std::string_view fingerprint) const {
  auto it = owners_.find(label);
  if (it == owners_.end() || it->second == fingerprint) {
    return {};
  }
  return taken(label, it->second);
}

}  // namespace connswap::services::detail
