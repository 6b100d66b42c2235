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
  if (!config.advertise_user_addr.empty()) {
    CONNSWAP_TRY(check_addr("advertise_user_addr", config.advertise_user_addr));
  }
  const std::vector<std::string> directors = director_addrs(config);
  if (directors.empty()) {
    return make_error(Errc::kInvalidArgument, "director_mgmt_addr: no address");
  }
  for (const std::string& d : directors) {
    CONNSWAP_TRY(check_addr("director_mgmt_addr", d));
  }
  if (!valid_label(config.label)) {
    return make_error(Errc::kInvalidArgument,
                      "label: 1-64 printable characters without spaces or '='");
  }
  if (config.token_jitter_pct > 100) {
    return make_error(Errc::kInvalidArgument, "token_jitter_pct: at most 100");
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

std::vector<std::string> director_addrs(const WorkerConfig& config) {
  std::vector<std::string> out;
  std::string_view rest = config.director_mgmt_addr;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') {
      part.remove_prefix(1);
    }
    while (!part.empty() && part.back() == ' ') {
      part.remove_suffix(1);
    }
    if (!part.empty()) {
      out.emplace_back(part);
    }
  }
  return out;
}

}  // namespace connswap::worker
