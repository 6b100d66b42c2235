#include "worker/config.h"

#include <algorithm>

#include "base/address.h"

namespace connswap::worker {
namespace {

Result<void> check_addr(std::string_view field, const std::string& value) {
  auto addr = Address::parse(value);
  if (!addr) {
    return make_error(Errc::kInvalidArgument, std::string(field) + ": " + addr.error().detail);
  }
  return {};
}

// Labels appear in log lines as `worker=<label>`: no spaces, '=' or control characters.
bool valid_label(const std::string& label) {
  return !label.empty() && label.size() <= 64 &&
         std::all_of(
             label.begin(), label.end(), [](char c) { return c > ' ' && c < 127 && c != '='; });
}

}  // namespace

Result<void> validate(const WorkerConfig& config) {
  CONNSWAP_TRY(check_addr("user_addr", config.user_addr));
  CONNSWAP_TRY(check_addr("mgmt_addr", config.mgmt_addr));
  CONNSWAP_TRY(check_addr("director_mgmt_addr", config.director_mgmt_addr));
  if (!valid_label(config.label)) {
    return make_error(Errc::kInvalidArgument,
                      "label: 1-64 printable characters without spaces or '='");
  }
  if (config.heartbeat_interval == 0) {
    return make_error(Errc::kInvalidArgument, "heartbeat_interval: must be > 0");
  }
  if (config.fail_mode == FailMode::kError && config.fail_after != 0 &&
      config.recovery_after == 0) {
    return make_error(Errc::kInvalidArgument, "recovery_after: must be > 0 for fail_mode=error");
  }
  return {};
}

}  // namespace connswap::worker
