#include "base/error.h"

namespace connswap {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kProtocol:
      return "protocol";
    case Errc::kTls:
      return "tls";
    case Errc::kFlowControl:
      return "flow_control";
    case Errc::kIo:
      return "io";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kClosed:
      return "closed";
    case Errc::kPeerGone:
      return "peer_gone";
    case Errc::kResourceExhausted:
      return "resource_exhausted";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::message() const {
  std::string out(to_string(code));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

}  // namespace connswap
