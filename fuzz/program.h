#pragma once
// Program: reads a fuzz input as a program of opcodes and arguments, shared by the
// structure-aware targets (rpc_fuzz, director_fuzz, front_fuzz). Reading past the end
// yields zeros and empty strings, so every input is a valid, finite program.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace connswap::fuzz {

class Program {
 public:
  explicit Program(ByteSpan bytes) : bytes_(bytes) {}

  bool empty() const { return at_ >= bytes_.size(); }
  // The next opcode of an enum whose last enumerator is kCount.
  template <class Op>
  Op op() {
    return static_cast<Op>(u8() % static_cast<std::uint8_t>(Op::kCount));
  }
  std::uint8_t u8() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  bool flag() { return (u8() & 1) != 0; }
  // The next `n` bytes (fewer at the end).
  Bytes bytes(std::size_t n) {
    const std::size_t at = std::min(at_, bytes_.size());
    n = std::min(n, bytes_.size() - at);
    at_ = at + n;
    return Bytes(bytes_.begin() + static_cast<std::ptrdiff_t>(at),
                 bytes_.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
  // A u16 length, then that many bytes.
  Bytes bytes() { return bytes(u16()); }
  std::string string(std::size_t n) {
    const Bytes b = bytes(n);
    return std::string(b.begin(), b.end());
  }

 private:
  ByteSpan bytes_;
  std::size_t at_ = 0;
};

}  // namespace connswap::fuzz
