#pragma once
// The protobuf envelopes of a call (proto/connswap/v1/rpc.proto) as plain C++ values, and
// their HEADER / TRAILER frames. Decoding validates untrusted input and never throws.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "base/bytes.h"
#include "base/error.h"

namespace connswap::wire {

using Metadata = std::map<std::string, std::string>;  // key -> value bytes

// Limits enforced by decode_call_header (and by the client before sending).
inline constexpr std::size_t kMaxMethodSize = 256;
inline constexpr std::size_t kMaxMetadataEntries = 64;

// connswap.v1.CallHeader.
struct CallHeader {
  std::string method;            // "<package>.<Service>/<Method>"
  std::uint64_t timeout_ms = 0;  // relative deadline; 0 = none
  Metadata metadata;
};

// connswap.v1.Status, with the code kept as a raw number (unknown codes survive decoding).
struct Trailer {
  std::uint32_t code = 0;
  std::string message;
};

// True if `method` looks like "pkg.Service/Method": non-empty parts around one '/', at most
// kMaxMethodSize bytes, printable ASCII without spaces.
bool is_valid_method(std::string_view method);

// Metadata keys are 1..kMaxMethodSize bytes of [a-z0-9._-] (docs/PROTOCOL.md §3).

// Appends a HEADER frame. Fails with kInvalidArgument if the header breaks the limits above.
[[nodiscard]] Result<void> append_header_frame(Bytes& out, const CallHeader& header);

// Parses a HEADER frame body. Fails with kProtocol on undecodable protobuf, a bad method
// name, a bad metadata key or too many metadata entries. Never logs.
[[nodiscard]] Result<CallHeader> decode_call_header(ByteSpan body);

// Appends a TRAILER frame.
void append_trailer_frame(Bytes& out, const Trailer& trailer);

// Parses a TRAILER frame body. Fails with kProtocol on undecodable protobuf.
[[nodiscard]] Result<Trailer> decode_trailer(ByteSpan body);

}  // namespace connswap::wire
