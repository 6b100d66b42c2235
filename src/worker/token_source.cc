#include "worker/token_source.h"

namespace connswap::worker {

std::string_view to_string(ErrorCause cause) {
  switch (cause) {
    case ErrorCause::kInjected:
      return "injected";
    case ErrorCause::kUnavailable:
      return "unavailable";
    case ErrorCause::kTimeout:
      return "timeout";
    case ErrorCause::kProtocol:
      return "protocol";
    case ErrorCause::kRejected:
      return "rejected";
    case ErrorCause::kOverloaded:
      return "overloaded";
    case ErrorCause::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string_view to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kStop:
      return "stop";
  }
  return "unknown";
}

}  // namespace connswap::worker
