#include "base/peer_roles.h"

#include <array>

namespace connswap {
namespace {

constexpr std::string_view kUriPrefix = "connswap:role:";
constexpr std::array<PeerRole, 4> kAll = {
    PeerRole::kWorker, PeerRole::kOperator, PeerRole::kDirector, PeerRole::kClient};

}  // namespace

std::string_view role_name(PeerRole role) {
  switch (role) {
    case PeerRole::kWorker:
      return "worker";
    case PeerRole::kOperator:
      return "operator";
    case PeerRole::kDirector:
      return "director";
    case PeerRole::kClient:
      return "client";
  }
  return "unknown";
}

std::string role_uri(PeerRole role) {
  return std::string(kUriPrefix) + std::string(role_name(role));
}

std::optional<PeerRole> role_from_uri(std::string_view uri) {
  if (!uri.starts_with(kUriPrefix)) {
    return std::nullopt;
  }
  uri.remove_prefix(kUriPrefix.size());
  for (PeerRole r : kAll) {
    if (uri == role_name(r)) {
      return r;
    }
  }
  return std::nullopt;
}

std::string to_string(RoleSet roles) {
  std::string out;
  for (PeerRole r : kAll) {
    if (roles.has(r)) {
      out += (out.empty() ? "" : ",") + std::string(role_name(r));
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace connswap
