#include "impair/profile.h"

#include <string>

namespace connswap::impair {

namespace {

Result<void> check_probability(const char* name, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    return make_error(Errc::kInvalidArgument,
                      std::string(name) + " must be a probability in [0, 1]");
  }
  return {};
}

}  // namespace

Result<void> validate(const Profile& profile) {
  CONNSWAP_TRY(check_probability("loss", profile.loss));
  CONNSWAP_TRY(check_probability("reorder", profile.reorder));
  CONNSWAP_TRY(check_probability("duplicate", profile.duplicate));
  if (profile.jitter > profile.delay) {
    return make_error(Errc::kInvalidArgument, "jitter must not exceed delay");
  }
  if (profile.rate_bytes_per_s != 0 && profile.queue_bytes == 0) {
    return make_error(Errc::kInvalidArgument, "queue_bytes must be positive with a rate limit");
  }
  return {};
}

}  // namespace connswap::impair
