#pragma once
// Private: per-stream send state and the round-robin ready list used by the writer.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>

#include <ngtcp2/ngtcp2.h>

#include "base/bytes.h"
#include "base/fifo.h"
#include "quic/types.h"

namespace connswap::quic::detail {

// Data handed to ngtcp2 stays here, at a stable address, until the peer acknowledges it:
// ngtcp2 keeps pointers for retransmission and does not copy (notes §2, manual duties).
class SendBuffer {
 public:
  void append(Bytes data);
  std::size_t buffered() const { return static_cast<std::size_t>(end_ - acked_); }
  std::uint64_t unsent() const { return end_ - sent_; }
  // Points `vecs` at unsent data from the send cursor on; returns how many were filled.
  std::size_t unsent_vecs(std::span<ngtcp2_vec> vecs) const;
  void mark_sent(std::size_t n);
  // The peer acknowledged everything below `offset`: release whole chunks below it.
  void ack_to(std::uint64_t offset);

 private:
  Fifo<Bytes> chunks_;            // not std::deque: an idle stream owns no chunk storage
  std::uint64_t base_ = 0;        // stream offset of chunks_.front()[0]
  std::uint64_t acked_ = 0;       // contiguous acknowledged offset
  std::uint64_t sent_ = 0;        // offset handed to ngtcp2
  std::uint64_t end_ = 0;         // offset after the last queued byte
  std::size_t cursor_chunk_ = 0;  // chunk holding `sent_`
  std::size_t cursor_pos_ = 0;    // position of `sent_` inside it
};

struct Stream {
  SendBuffer send;
  bool fin_queued = false;  // the owner asked for FIN after the queued data
  bool fin_sent = false;
  bool in_ready = false;    // queued in StreamTable::ready_
  bool blocked = false;     // stream flow control: wait for extend_max_stream_data
  bool write_shut = false;  // reset by us or STOP_SENDING from the peer
  bool above_low_water = false;

  bool wants_write() const {
    return !write_shut && !blocked && (send.unsent() > 0 || (fin_queued && !fin_sent));
  }
};

// Streams by id plus a FIFO of streams with something to send, so the writer never scans
// every open stream per packet.
class StreamTable {
 public:
  Stream* find(StreamId id);
  const Stream* find(StreamId id) const;
  Stream& open(StreamId id) { return map_[id]; }
  void erase(StreamId id) { map_.erase(id); }
  std::size_t size() const { return map_.size(); }

  // Queues `id` if it wants to write and is not queued yet.
  void mark_ready(StreamId id);
  // The first queued stream that still wants to write (stale entries are dropped).
  Stream* front(StreamId* id);
  // Moves the front stream to the back if it still wants to write; else dequeues it.
  void rotate();

 private:
  std::unordered_map<StreamId, Stream> map_;
  std::deque<StreamId> ready_;
};

}  // namespace connswap::quic::detail
