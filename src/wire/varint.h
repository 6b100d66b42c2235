#pragma once
// QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give
// the length (1, 2, 4 or 8 bytes), the rest is the value in network byte order, so values
// up to 2^62-1 fit. Every byte string is a valid prefix of some varint: decoding can only
// need more bytes, never fail. Non-minimal encodings are accepted (RFC 9000 allows them);
// the encoder always writes the minimal one.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace connswap::wire {

inline constexpr std::uint64_t kMaxVarint = (std::uint64_t{1} << 62) - 1;

// Bytes the minimal encoding of `value` takes (1, 2, 4 or 8). Precondition: value <= kMaxVarint.
std::size_t varint_size(std::uint64_t value);

// Appends the minimal encoding of `value`. Precondition: value <= kMaxVarint.
void append_varint(Bytes& out, std::uint64_t value);

struct Varint {
  std::uint64_t value = 0;
  std::size_t size = 0;  // bytes consumed
};

// Decodes the varint at the start of `in`; nullopt when `in` holds only part of it.
std::optional<Varint> decode_varint(ByteSpan in);

}  // namespace connswap::wire
