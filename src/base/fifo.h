#pragma once
// Fifo<T>: a queue on a std::vector with a head index. Unlike std::deque (libstdc++ makes a
// 512-byte node and a map on construction), an empty Fifo owns no memory, and a short one
// only its elements: the queues kept per stream (QUIC send chunks, the director's outbox)
// cost bytes, not half a KiB, at 10,000 streams. Elements keep their heap buffers when the
// vector grows (moved), so pointers into a std::vector/std::string element's data stay valid.

#include <cstddef>
#include <utility>
#include <vector>

namespace connswap {

template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& operator[](std::size_t i) { return items_[head_ + i]; }
  const T& operator[](std::size_t i) const { return items_[head_ + i]; }

  void push_back(T value) { items_.push_back(std::move(value)); }
  // Precondition: !empty(). Amortized O(1): the dead prefix is erased once it is at least
  // half of the vector.
  void pop_front() {
    items_[head_] = T();  // release what the element owns now
    ++head_;
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 16 && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace connswap
