#include "director/token_window.h"

namespace connswap::director {
namespace {

// LEB128: 7 bits per byte, high bit = more. Demo tokens need one byte.
void put_length(std::string& out, std::size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

std::size_t get_length(const std::string& in, std::size_t& at) {
  std::size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(in[at++]);
    n |= static_cast<std::size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      return n;
    }
  }
}

}  // namespace

void TokenWindow::push(std::string_view token, std::size_t limit) {
  put_length(bytes_, token.size());
  bytes_.append(token);
  ++count_;
  while (count_ > limit) {
    drop_front();
  }
  // Compact once the dead prefix is a quarter of the buffer: each byte moves at most ~4
  // times, and the buffer holds at most ~1.33x the live tokens.
  if (head_ > 0 && head_ * 4 >= bytes_.size()) {
    bytes_.erase(0, head_);
    head_ = 0;
  }
}

void TokenWindow::drop_front() {
  std::size_t at = head_;
  const std::size_t n = get_length(bytes_, at);
  head_ = at + n;
  --count_;
}

std::vector<std::string> TokenWindow::tokens() const {
  std::vector<std::string> out;
  out.reserve(count_);
  std::size_t at = head_;
  for (std::size_t i = 0; i < count_; ++i) {
    const std::size_t n = get_length(bytes_, at);
    out.emplace_back(bytes_, at, n);
    at += n;
  }
  return out;
}

}  // namespace connswap::director
