#pragma once
// Big-endian fields and u8-length-prefixed strings for the token and snapshot envelopes.
// The Reader never reads past its input: every getter returns false instead.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace connswap::migration::detail {

inline void put_u8(Bytes& out, std::uint8_t v) {
  out.push_back(v);
}

inline void put_u64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

inline void put_bytes(Bytes& out, ByteSpan b) {
  out.insert(out.end(), b.begin(), b.end());
}

// Caller guarantees s.size() <= 255.
inline void put_str8(Bytes& out, std::string_view s) {
  put_u8(out, static_cast<std::uint8_t>(s.size()));
  put_bytes(out, as_bytes(s));
}

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}

  bool u8(std::uint8_t& v) {
    if (remaining() < 1) {
      return false;
    }
    v = in_[pos_++];
    return true;
  }
  bool u64(std::uint64_t& v) {
    if (remaining() < 8) {
      return false;
    }
    v = 0;
    for (int i = 0; i < 8; ++i) {
      v = (v << 8) | in_[pos_++];
    }
    return true;
  }
  bool take(std::size_t n, ByteSpan& out) {
    if (remaining() < n) {
      return false;
    }
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A u8 length then that many bytes; the length must be within [min, max].
  bool str8(std::string& out, std::size_t min, std::size_t max) {
    std::uint8_t len = 0;
    ByteSpan body;
    if (!u8(len) || len < min || len > max || !take(len, body)) {
      return false;
    }
    out.assign(as_string(body));
    return true;
  }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  ByteSpan in_;
  std::size_t pos_ = 0;
};

}  // namespace connswap::migration::detail
