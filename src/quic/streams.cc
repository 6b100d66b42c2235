// Stream send buffers and the ready list.

#include "quic/streams.h"

#include <algorithm>

namespace connswap::quic::detail {

void SendBuffer::append(Bytes data) {
  if (data.empty()) {
    return;
  }
  end_ += data.size();
  chunks_.push_back(std::move(data));
}

std::size_t SendBuffer::unsent_vecs(std::span<ngtcp2_vec> vecs) const {
  std::size_t n = 0;
  std::size_t pos = cursor_pos_;
  for (std::size_t i = cursor_chunk_; i < chunks_.size() && n < vecs.size(); ++i) {
    const Bytes& c = chunks_[i];
    // ngtcp2_vec is non-const, but ngtcp2 only reads stream data.
    vecs[n].base = const_cast<std::uint8_t*>(c.data() + pos);
    vecs[n].len = c.size() - pos;
    ++n;
    pos = 0;
  }
  return n;
}

void SendBuffer::mark_sent(std::size_t n) {
  sent_ += n;
  while (n > 0 && cursor_chunk_ < chunks_.size()) {
    std::size_t left = chunks_[cursor_chunk_].size() - cursor_pos_;
    std::size_t step = std::min(left, n);
    cursor_pos_ += step;
    n -= step;
    if (cursor_pos_ == chunks_[cursor_chunk_].size()) {
      ++cursor_chunk_;
      cursor_pos_ = 0;
    }
  }
}

void SendBuffer::ack_to(std::uint64_t offset) {
  acked_ = std::max(acked_, std::min(offset, end_));
  while (!chunks_.empty() && base_ + chunks_.front().size() <= acked_) {
    base_ += chunks_.front().size();
    chunks_.pop_front();
    // ngtcp2 acknowledges only data it was given, so the cursor is past this chunk.
    if (cursor_chunk_ > 0) {
      --cursor_chunk_;
    } else {
      cursor_pos_ = 0;
    }
  }
}

Stream* StreamTable::find(StreamId id) {
  auto it = map_.find(id);
  return it == map_.end() ? nullptr : &it->second;
}

const Stream* StreamTable::find(StreamId id) const {
  auto it = map_.find(id);
  return it == map_.end() ? nullptr : &it->second;
}

void StreamTable::mark_ready(StreamId id) {
  Stream* s = find(id);
  if (s != nullptr && !s->in_ready && s->wants_write()) {
    s->in_ready = true;
    ready_.push_back(id);
  }
}

Stream* StreamTable::front(StreamId* id) {
  while (!ready_.empty()) {
    Stream* s = find(ready_.front());
    if (s != nullptr && s->wants_write()) {
      *id = ready_.front();
      return s;
    }
    if (s != nullptr) {
      s->in_ready = false;
    }
    ready_.pop_front();
  }
  return nullptr;
}

void StreamTable::rotate() {
  if (ready_.empty()) {
    return;
  }
  StreamId id = ready_.front();
  ready_.pop_front();
  Stream* s = find(id);
  if (s == nullptr) {
    return;
  }
  if (s->wants_write()) {
    ready_.push_back(id);
  } else {
    s->in_ready = false;
  }
}

}  // namespace connswap::quic::detail
