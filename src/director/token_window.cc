#include "director/token_window.h"

namespace connswap::director {
namespace {

// LEB128: 7 bits per byte, high bit = more. Tokens under 128 bytes need one byte.
void put_length(std::vector<char>& out, std::size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

std::size_t get_length(const std::vector<char>& in, std::size_t& at) {
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

TokenWindow::TokenWindow(std::size_t max_tokens, std::size_t max_bytes, std::size_t tail)
    : max_tokens_(max_tokens), max_bytes_(max_bytes), tail_(tail) {}

std::size_t TokenWindow::push(std::string_view token) {
  if (count_ == 0) {
    tail_at_ = buf_.size();
  }
  put_length(buf_, token.size());
  buf_.insert(buf_.end(), token.begin(), token.end());
  ++count_;
  text_bytes_ += token.size();
  if (++tail_count_ > tail_) {
    skip_tail();
  }
  std::size_t dropped = 0;
  while (count_ > 0 && (count_ > max_tokens_ || text_bytes_ > max_bytes_)) {
    drop_front();
    ++dropped;
  }
  compact();
  return dropped;
}

std::size_t TokenWindow::set_limits(std::size_t max_tokens, std::size_t max_bytes) {
  max_tokens_ = max_tokens;
  max_bytes_ = max_bytes;
  std::size_t dropped = 0;
  while (count_ > 0 && (count_ > max_tokens_ || text_bytes_ > max_bytes_)) {
    drop_front();
    ++dropped;
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
  tail_at_ -= head_;
  head_ = 0;
  if (buf_.capacity() > 2 * buf_.size() + 64) {
    buf_.shrink_to_fit();
  }
  return dropped;
}

// Compact once the dead prefix is a quarter of the buffer: each byte moves at most ~4
// times, and the buffer holds at most ~1.33x the live tokens. The capacity stays, so a
// window at its bound pushes without allocating.
void TokenWindow::compact() {
  if (head_ > 0 && head_ * 4 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
    tail_at_ -= head_;
    head_ = 0;
  }
}

std::size_t TokenWindow::length_at(std::size_t& at) const {
  return get_length(buf_, at);
}

void TokenWindow::drop_front() {
  std::size_t at = head_;
  const std::size_t n = get_length(buf_, at);
  head_ = at + n;
  text_bytes_ -= n;
  --count_;
  if (tail_count_ > count_) {  // the dropped token was one of the tail
    tail_at_ = head_;
    tail_count_ = count_;
  }
}

void TokenWindow::skip_tail() {
  const std::size_t n = get_length(buf_, tail_at_);
  tail_at_ += n;
  --tail_count_;
}

std::vector<std::string> TokenWindow::tokens() const {
  std::vector<std::string> out;
  out.reserve(count_);
  std::size_t at = head_;
  for (std::size_t i = 0; i < count_; ++i) {
    const std::size_t n = get_length(buf_, at);
    out.emplace_back(buf_.data() + at, n);
    at += n;
  }
  return out;
}

std::vector<std::string> TokenWindow::tail_tokens() const {
  std::vector<std::string> out;
  out.reserve(tail_count_);
  std::size_t at = tail_at_;
  for (std::size_t i = 0; i < tail_count_; ++i) {
    const std::size_t n = get_length(buf_, at);
    out.emplace_back(buf_.data() + at, n);
    at += n;
  }
  return out;
}

}  // namespace connswap::director
