#pragma once
// Byte buffer vocabulary shared by every module.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace connswap {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_string(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex, for ids in logs.
std::string to_hex(ByteSpan b);

}  // namespace connswap
