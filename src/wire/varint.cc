#include "wire/varint.h"

#include "base/check.h"

namespace connswap::wire {

std::size_t varint_size(std::uint64_t value) {
  CONNSWAP_ASSERT(value <= kMaxVarint);
  if (value < (1u << 6)) {
    return 1;
  }
  if (value < (1u << 14)) {
    return 2;
  }
  if (value < (1u << 30)) {
    return 4;
  }
  return 8;
}

void append_varint(Bytes& out, std::uint64_t value) {
  const std::size_t size = varint_size(value);
  // RFC 9000 §16: the length prefix is 0b00, 0b01, 0b10, 0b11 for 1, 2, 4, 8 bytes.
  const std::uint8_t prefix = size == 1 ? 0x00 : size == 2 ? 0x40 : size == 4 ? 0x80 : 0xc0;
  for (std::size_t i = 0; i < size; ++i) {
    auto byte = static_cast<std::uint8_t>(value >> (8 * (size - 1 - i)));
    out.push_back(i == 0 ? static_cast<std::uint8_t>(byte | prefix) : byte);
  }
}

std::optional<Varint> decode_varint(ByteSpan in) {
  if (in.empty()) {
    return std::nullopt;
  }
  const std::size_t size = std::size_t{1} << (in[0] >> 6);
  if (in.size() < size) {
    return std::nullopt;
  }
  std::uint64_t value = in[0] & 0x3fu;
  for (std::size_t i = 1; i < size; ++i) {
    value = (value << 8) | in[i];
  }
  return Varint{value, size};
}

}  // namespace connswap::wire
