#include "rpc/status.h"

#include <array>

namespace connswap::rpc {
namespace {

constexpr auto kNames = std::to_array<std::string_view>({
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
});

}  // namespace

std::string_view to_string(StatusCode code) {
  const auto index = static_cast<std::size_t>(code);
  return index < kNames.size() ? kNames[index] : "UNKNOWN";
}

StatusCode status_code_from_wire(std::uint32_t code) {
  return code < kNames.size() ? static_cast<StatusCode>(code) : StatusCode::kUnknown;
}

std::string_view to_string(EndCause cause) {
  switch (cause) {
    case EndCause::kTrailer:
      return "trailer";
    case EndCause::kLocal:
      return "local";
    case EndCause::kPeerReset:
      return "peer_reset";
    case EndCause::kPeerStopped:
      return "peer_stopped";
    case EndCause::kConnectionLost:
      return "connection_lost";
    case EndCause::kDeadline:
      return "deadline";
    case EndCause::kCancelled:
      return "cancelled";
    case EndCause::kProtocol:
      return "protocol";
  }
  return "unknown";
}

std::string Status::to_string() const {
  std::string out(rpc::to_string(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

StatusCode status_from_stream_error(std::uint64_t code) {
  switch (code) {
    case kStreamInternal:
      return StatusCode::kInternal;
    case kStreamShuttingDown:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kCancelled;
  }
}

}  // namespace connswap::rpc
