#pragma once
// TokenWindow: the last N tokens a stream delivered (the next worker's prefix), stored
// compactly. A std::deque<std::string> costs ~8.5 KiB per stream once 256 short tokens are
// held (32-byte strings in 512-byte nodes), more than the rest of a director stream; here
// the tokens are length-prefixed bytes in one buffer (~8 bytes per demo token).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace connswap::director {

class TokenWindow {
 public:
  // Appends `token`; drops the oldest tokens beyond `limit` (>= 1). Amortized O(|token|).
  void push(std::string_view token, std::size_t limit);
  // The tokens held, oldest first.
  std::vector<std::string> tokens() const;
  std::size_t size() const { return count_; }
  // Bytes reserved (for tests of the memory bound).
  std::size_t capacity_bytes() const { return bytes_.capacity(); }

 private:
  void drop_front();

  std::string bytes_;      // [varint length][bytes] per token; the live part starts at head_
  std::size_t head_ = 0;   // offset of the oldest held token
  std::size_t count_ = 0;  // tokens from head_ on
};

}  // namespace connswap::director
