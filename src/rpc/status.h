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

// What ended a call, set by the layer that ended it. Decisions (failover, blame, resume)
// look at this and the code, never at the message, which is for people.
enum class EndCause : std::uint8_t {
  kTrailer,         // a status trailer: the peer's (client side) or our own finish()
  kLocal,           // a local failure: a message this side could not encode or send
  kPeerReset,       // the peer reset the stream (RESET_STREAM)
  kPeerStopped,     // the peer stopped reading (STOP_SENDING) before the call ended
  kConnectionLost,  // the connection closed or timed out, or its Session went away
  kDeadline,        // the call's deadline passed
  kCancelled,       // cancelled by this side (Call::cancel)
  kProtocol,        // the peer broke the protocol on this call's stream
};
inline constexpr std::size_t kEndCauseCount = 8;

// "trailer", "local", "peer_reset", ... (logs and metrics).
std::string_view to_string(EndCause cause);

// How a call ended. Default-constructed is OK. `cause` says what ended it; it is not sent
// on the wire (a received trailer is kTrailer whatever the peer's reasons were).
struct Status {
  StatusCode code = StatusCode::kOk;
  std::string message;
  EndCause cause = EndCause::kTrailer;

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
