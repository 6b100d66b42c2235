#pragma once
// Call status (gRPC's code set, same numbers as connswap.v1.StatusCode) and the mapping
// between stream error codes (RESET_STREAM / STOP_SENDING) and statuses.

#include <cstdint>
#include <string>
#include <string_view>

namespace connswap::rpc {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "OK", "CANCELLED", ... as gRPC spells them.
std::string_view to_string(StatusCode code);

// A wire code as a StatusCode; codes this build does not know become kUnknown.
StatusCode status_code_from_wire(std::uint32_t code);

// How a call ended. Default-constructed is OK.
struct Status {
  StatusCode code = StatusCode::kOk;
  std::string message;

  bool ok() const { return code == StatusCode::kOk; }
  std::string to_string() const;  // "CODE: message"
  bool operator==(const Status&) const = default;
};

// Application error codes this layer puts in RESET_STREAM / STOP_SENDING. They equal the
// QUIC application codes in quic/types.h (kAppNoError ... kAppShuttingDown).
inline constexpr std::uint64_t kStreamNoError = 0x0;       // done; stop sending, no failure
inline constexpr std::uint64_t kStreamCancelled = 0x1;     // call cancelled or timed out
inline constexpr std::uint64_t kStreamInternal = 0x2;      // local failure
inline constexpr std::uint64_t kStreamShuttingDown = 0x3;  // endpoint going away

// The status a call ends with when the peer resets it or stops reading with `code`:
// kStreamInternal -> INTERNAL, kStreamShuttingDown -> UNAVAILABLE, anything else ->
// CANCELLED (docs/PROTOCOL.md §5).
StatusCode status_from_stream_error(std::uint64_t code);

}  // namespace connswap::rpc
