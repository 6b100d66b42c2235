#include "protocol.h"

#include <algorithm>

namespace connswap::quicperf {

std::array<std::uint8_t, kHeaderBytes> encode(const Header& header) {
  std::array<std::uint8_t, kHeaderBytes> out{};
  out[0] = static_cast<std::uint8_t>(header.command);
  auto arg = encode_u64(header.argument);
  std::copy(arg.begin(), arg.end(), out.begin() + 1);
  return out;
}

std::optional<Header> decode(ByteSpan bytes) {
  if (bytes.size() != kHeaderBytes) {
    return std::nullopt;
  }
  const auto command = static_cast<Command>(bytes[0]);
  if (command != Command::kEcho && command != Command::kSink && command != Command::kSource) {
    return std::nullopt;
  }
  return Header{command, decode_u64(bytes.subspan(1))};
}

std::array<std::uint8_t, 8> encode_u64(std::uint64_t value) {
  std::array<std::uint8_t, 8> out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return out;
}

std::uint64_t decode_u64(ByteSpan bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | bytes[i];
  }
  return value;
}

ByteSpan pattern_at(std::uint64_t offset, std::size_t max) {
  constexpr std::size_t kPeriod = 1'048'573;  // prime: never aligned with chunk sizes
  static const Bytes kTable = [] {
    Bytes t(kPeriod);
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (auto& b : t) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<std::uint8_t>(x);
    }
    return t;
  }();
  const std::size_t start = static_cast<std::size_t>(offset % kPeriod);
  return ByteSpan(kTable).subspan(start, std::min(max, kPeriod - start));
}

void Checksum::update(ByteSpan bytes) {
  for (std::uint8_t b : bytes) {
    value = (value ^ b) * 0x100000001b3ull;
  }
}

}  // namespace connswap::quicperf
