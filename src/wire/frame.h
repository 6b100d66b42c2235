#pragma once
// Frames on a call's stream (docs/PROTOCOL.md §2):
//
//   frame   = length:varint  payload[length]
//   payload = kind:u8  body[length - 1]
//
// `length` is a QUIC varint (wire/varint.h) and counts the kind byte. The body of a
// MESSAGE frame may be empty (an empty protobuf message encodes to zero bytes).
// FrameDecoder is incremental: bytes may arrive split anywhere. It never throws or asserts
// on input; bad input yields a FrameError, after which the decoder stays failed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/expected.h"

namespace connswap::wire {

enum class FrameKind : std::uint8_t {
  kHeader = 1,   // client -> server, first frame: a connswap.v1.CallHeader
  kMessage = 2,  // either way: one request or response message
  kTrailer = 3,  // server -> client, last frame: a connswap.v1.Status
};

enum class FrameError : std::uint8_t {
  kOversized,    // body longer than the decoder's limit; seen from the length prefix alone
  kEmpty,        // length 0: no room for the kind byte
  kUnknownKind,  // kind byte is not a FrameKind
  kTruncated,    // the stream ended (FIN) inside a frame
};

std::string_view to_string(FrameKind kind);
std::string_view to_string(FrameError error);

// Largest frame body accepted by default (the 4 MiB).
inline constexpr std::size_t kDefaultMaxFrameSize = std::size_t{4} << 20;

// Appends one frame. Precondition: body.size() < 2^62 - 1.
void append_frame(Bytes& out, FrameKind kind, ByteSpan body);

// Bytes append_frame() adds for a body of `body_size` bytes.
std::size_t frame_size(std::size_t body_size);

// One decoded frame. `body` points into the decoder and stays valid until its next
// push() or next() call. `wire_size` is the number of stream bytes the frame occupied.
struct Frame {
  FrameKind kind = FrameKind::kMessage;
  ByteSpan body;
  std::size_t wire_size = 0;
};

class FrameDecoder {
 public:
  // Frames whose body exceeds `max_body_size` bytes fail with kOversized.
  explicit FrameDecoder(std::size_t max_body_size = kDefaultMaxFrameSize);

  // Appends stream bytes (copied). Ignored once the decoder has failed.
  void push(ByteSpan data);

  // The next complete frame, or nullopt when more bytes are needed. Errors are sticky.
  [[nodiscard]] Expected<std::optional<Frame>, FrameError> next();

  // To call at end of stream (FIN), once next() has returned nullopt: kTruncated if part
  // of a frame is still buffered.
  [[nodiscard]] Expected<void, FrameError> finish() const;

  // True when next() would return a frame or an error without more input.
  bool ready() const;

  // Bytes pushed but not yet returned in a frame.
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  struct Head {
    std::size_t prefix = 0;  // varint bytes
    std::uint64_t length = 0;
  };
  Expected<std::optional<Head>, FrameError> parse_head() const;

  std::size_t max_body_size_;
  Bytes buf_;
  std::size_t pos_ = 0;  // start of the first unreturned byte in buf_
  std::optional<FrameError> error_;
};

}  // namespace connswap::wire
