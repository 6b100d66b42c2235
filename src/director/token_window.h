#pragma once
// TokenWindow: the newest tokens a stream delivered (the next worker's prefix), stored
// compactly and bounded both in tokens and in bytes of text. A std::deque<std::string>
// costs ~8.5 KiB per stream once 256 short tokens are held (32-byte strings in 512-byte
// nodes); here the tokens are length-prefixed bytes in one buffer (~1 byte per token on top
// of the text for tokens under 128 bytes). It also tracks its newest `tail` tokens (the part
// a resume snapshot carries) so that reading them does not walk the whole buffer.

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace connswap::director {

class TokenWindow {
 public:
  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  // Holds at most `max_tokens` tokens and `max_bytes` bytes of token text (drop oldest);
  // tail_tokens() gives the newest `tail` of them. Unbounded by default.
  explicit TokenWindow(std::size_t max_tokens = kUnbounded,
                       std::size_t max_bytes = kUnbounded,
                       std::size_t tail = kUnbounded);

  // Appends `token`, then drops the oldest tokens until both bounds hold (a token longer
  // than max_bytes is dropped itself). Returns how many tokens were dropped. Amortized
  // O(|token|); no allocation once the buffer has grown to its working size.
  std::size_t push(std::string_view token);
  // New bounds: drops the oldest tokens beyond them (returned) and gives back the buffer's
  // slack when it is mostly unused. O(bytes held).
  std::size_t set_limits(std::size_t max_tokens, std::size_t max_bytes);

  // Every token held, oldest first.
  std::vector<std::string> tokens() const;
  // Calls fn(std::string_view) for every token held, oldest first, without copying (the
  // views die with the next change of the window).
  template <class Fn>
  void for_each(Fn&& fn) const {
    std::size_t at = head_;
    for (std::size_t i = 0; i < count_; ++i) {
      const std::size_t n = length_at(at);
      fn(std::string_view(buf_.data() + at, n));
      at += n;
    }
  }
  // The newest min(size(), tail) tokens, oldest first; O(those tokens).
  std::vector<std::string> tail_tokens() const;
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Bytes of token text held (what the byte bound counts).
  std::size_t text_bytes() const { return text_bytes_; }
  // Heap bytes reserved by the buffer (the memory the window costs).
  std::size_t capacity_bytes() const { return buf_.capacity(); }

 private:
  // The length of the token at `at` (its varint), moving `at` past the varint.
  std::size_t length_at(std::size_t& at) const;
  void drop_front();
  void skip_tail();
  void compact();

  std::vector<char> buf_;       // [varint length][bytes] per token; live part from head_
  std::size_t head_ = 0;        // offset of the oldest held token
  std::size_t count_ = 0;       // tokens from head_ on
  std::size_t text_bytes_ = 0;  // their text bytes
  std::size_t tail_at_ = 0;     // offset of the oldest of the newest tail_count_ tokens
  std::size_t tail_count_ = 0;  // min(count_, tail_)
  std::size_t max_tokens_;
  std::size_t max_bytes_;
  std::size_t tail_;
};

}  // namespace connswap::director
