#include "worker/failure_plan.h"

#include <string>

namespace connswap::worker {

Result<FailMode> parse_fail_mode(std::string_view text) {
  if (text == "none") {
    return FailMode::kNone;
  }
  if (text == "error") {
    return FailMode::kError;
  }
  if (text == "crash") {
    return FailMode::kCrash;
  }
  if (text == "hang") {
    return FailMode::kHang;
  }
  return make_error(Errc::kInvalidArgument,
                    "fail_mode must be none|error|crash|hang, got '" + std::string(text) + "'");
}

std::string_view to_string(FailMode mode) {
  switch (mode) {
    case FailMode::kNone:
      return "none";
    case FailMode::kError:
      return "error";
    case FailMode::kCrash:
      return "crash";
    case FailMode::kHang:
      return "hang";
  }
  return "unknown";
}

FailurePlan::FailurePlan(Duration fail_after,
                         FailMode mode,
                         Timestamp started,
                         Duration recovery_after)
    : fail_after_(fail_after), mode_(mode), started_(started), recovery_after_(recovery_after) {}

FailureAction FailurePlan::action(Timestamp now) const {
  if (!enabled() || now < started_ + fail_after_) {
    return FailureAction::kServe;
  }
  switch (mode_) {
    case FailMode::kError:
      return now < started_ + fail_after_ + recovery_after_ ? FailureAction::kError
                                                            : FailureAction::kServe;
    case FailMode::kCrash:
      return FailureAction::kCrash;
    case FailMode::kHang:
      return FailureAction::kHang;
    case FailMode::kNone:
      break;
  }
  return FailureAction::kServe;
}

Timestamp FailurePlan::deadline(Timestamp now) const {
  if (!enabled()) {
    return kNever;
  }
  const Timestamp fail_at = started_ + fail_after_;
  if (now < fail_at) {
    return fail_at;
  }
  const Timestamp recover_at = fail_at + recovery_after_;
  if (mode_ == FailMode::kError && now < recover_at) {
    return recover_at;
  }
  return kNever;
}

}  // namespace connswap::worker
