#include "http/fetch.h"

namespace connswap::http {

std::string_view to_string(FetchError error) {
  switch (error) {
    case FetchError::kRefused:
      return "refused";
    case FetchError::kReset:
      return "reset";
    case FetchError::kTimeout:
      return "timeout";
    case FetchError::kResolve:
      return "resolve";
    case FetchError::kProtocol:
      return "protocol";
    case FetchError::kTooLarge:
      return "too_large";
    case FetchError::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace connswap::http
