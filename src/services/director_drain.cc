// DirectorService: the outbox bound after a blocked client drains (issue 14 item 4). While
// a client is blocked its worker calls are paused and their items wait in the worker
// connection (up to its QUIC stream window). When it reads again they are read in batches
// of StreamLimits::drain_batch_bytes, one per turn, outside the action loop: each item is
// forwarded as it is read, and a sink that fills blocks the stream (pausing the calls)
// before the next item, so the outbox never holds more than the batch.

#include <algorithm>

#include "services/detail/director_impl.h"

namespace connswap::services {

using director::StreamKey;

void DirectorService::Impl::drain_unblocked() {
  if (draining_) {
    return;
  }
  draining_ = true;
  const std::size_t batch = std::max<std::size_t>(limits_.drain_batch_bytes, 1);
  // By index: a delivered item may unblock and append another stream.
  for (std::size_t i = 0; i < to_drain_.size(); ++i) {
    const StreamKey key = to_drain_[i];
    const detail::ClientStream* c = clients_.find(key);
    if (c == nullptr || paused(*c)) {
      continue;
    }
    ++extra_.drain_batches;
    if (!upstreams_.resume_batch(key, batch)) {
      continue;  // everything held back was read: the calls read freely again
    }
    c = clients_.find(key);  // the batch may have ended or blocked the stream
    if (c != nullptr && !paused(*c) &&
        std::find(drain_next_.begin(), drain_next_.end(), key) == drain_next_.end()) {
      drain_next_.push_back(key);
    }
  }
  to_drain_.clear();
  if (!drain_next_.empty()) {
    drain_deadline_ = std::min(drain_deadline_, now_());  // the next turn, after the writes
  }
  draining_ = false;
}

void DirectorService::Impl::continue_draining(Timestamp now) {
  if (drain_deadline_ > now) {
    return;
  }
  drain_deadline_ = kNever;
  to_drain_.insert(to_drain_.end(), drain_next_.begin(), drain_next_.end());
  drain_next_.clear();
}

void DirectorService::Impl::note_turn_item(const v1::GenerateItem& item) {
  ++turn_items_;
  turn_bytes_ += item.ByteSizeLong();
}

void DirectorService::Impl::end_turn() {
  extra_.max_turn_items = std::max(extra_.max_turn_items, turn_items_);
  extra_.max_turn_bytes = std::max(extra_.max_turn_bytes, turn_bytes_);
  turn_items_ = 0;
  turn_bytes_ = 0;
  end_turn_starts();                   // director_starts.cc
  status_.poll_workers(core_.pool());  // worker health changes for the status feed
}

}  // namespace connswap::services
