// DirectorService: the global buffer budget (issue 14 item 3, StreamLimits::max_buffered_bytes).
// Each stream is bounded by its sink (the rpc send queue's high-water mark), but many slow
// clients at once could make the director hold connections x streams x that. The director
// counts what its sinks hold toward clients; above the budget, a stream that is written to
// has its worker calls paused exactly as for a slow client (stall detection off), until the
// total falls to 3/4 of the budget. Nothing is dropped or reordered: the items wait in the
// worker connections, flow-controlled, and are read again in batches (director_drain.cc).
//
// A stream's count is read from its sink after each write to it; counts only shrink without
// a write (the client took bytes), so the sum is an upper bound, made exact (refreshed) when
// it crosses the budget and on every check while over it.

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::StreamKey;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

std::size_t low_water(std::size_t budget) {
  return budget / 4 * 3;
}

}  // namespace

void DirectorService::Impl::note_buffered(StreamKey key, detail::Flow flow) {
  detail::ClientStream* c = flow == detail::Flow::kFinished ? nullptr : clients_.find(key);
  const std::size_t bytes = (c != nullptr && c->sink) ? c->sink->buffered_bytes() : 0;
  auto it = buffered_.find(key);
  const std::size_t was = it == buffered_.end() ? 0 : it->second;
  buffered_total_ = buffered_total_ - was + bytes;
  if (bytes == 0) {
    if (it != buffered_.end()) {
      buffered_.erase(it);
    }
  } else if (it == buffered_.end()) {
    buffered_.emplace(key, bytes);
  } else {
    it->second = bytes;
  }
  if (!over_budget_ && buffered_total_ > limits_.max_buffered_bytes) {
    refresh_buffered();  // stale counts may be all that is over
    if (buffered_total_ > limits_.max_buffered_bytes) {
      over_budget_ = true;
      budget_deadline_ = std::min(budget_deadline_, now_() + limits_.budget_check_interval);
      logger().warn("buffered_bytes={} budget={}: ⛔ buffer budget spent, pausing streams",
                    buffered_total_,
                    limits_.max_buffered_bytes);
    }
  }
  extra_.max_buffered_bytes = std::max<std::uint64_t>(extra_.max_buffered_bytes, buffered_total_);
  if (over_budget_ && c != nullptr) {
    pause_for_budget(key, *c);
  }
}

// Reads every counted stream's sink again (streams gone or emptied are forgotten).
void DirectorService::Impl::refresh_buffered() {
  buffered_total_ = 0;
  for (auto it = buffered_.begin(); it != buffered_.end();) {
    detail::ClientStream* c = clients_.find(it->first);
    const std::size_t bytes = (c != nullptr && c->sink) ? c->sink->buffered_bytes() : 0;
    if (c != nullptr && bytes < it->second) {
      c->budget_took_at = now_();  // its client took bytes
    }
    if (bytes == 0) {
      it = buffered_.erase(it);
      continue;
    }
    it->second = bytes;
    buffered_total_ += bytes;
    ++it;
  }
}

// As set_blocked(key, true) does for a full sink, without the blocked-stream lifetime: the
// client is not at fault.
void DirectorService::Impl::pause_for_budget(StreamKey key, detail::ClientStream& c) {
  if (c.budget_paused) {
    return;
  }
  c.budget_paused = true;
  c.budget_took_at = now_();
  ++extra_.streams_paused_by_budget;
  budget_paused_.push_back(key);
  if (!c.blocked) {
    core_.on_client_blocked(key, true, now_());
    upstreams_.set_paused(key, true);
  }
}

// While over budget, every budget_check_interval: once the total is at the low-water mark,
// every stream the budget paused reads again (in batches at the end of the turn), unless
// its own client is blocked, in which case its sink's on_writable resumes it as usual.
void DirectorService::Impl::release_budget(Timestamp now) {
  if (budget_deadline_ > now) {
    return;
  }
  budget_deadline_ = kNever;
  refresh_buffered();
  if (buffered_total_ > low_water(limits_.max_buffered_bytes)) {
    end_budget_holders(now);
    budget_deadline_ = now + limits_.budget_check_interval;
    return;
  }
  over_budget_ = false;
  std::vector<StreamKey> keys = std::move(budget_paused_);
  budget_paused_.clear();
  logger().info(
      "buffered_bytes={} streams={}: buffer budget released", buffered_total_, keys.size());
  for (StreamKey key : keys) {
    detail::ClientStream* c = clients_.find(key);
    if (c == nullptr || !c->budget_paused) {
      continue;
    }
    c->budget_paused = false;
    if (!c->blocked) {
      core_.on_client_blocked(key, false, now);
      to_drain_.push_back(key);
    }
  }
}

// While the budget stays spent: a paused stream whose client holds bytes and took none for
// blocked_lifetime is ended as a non-reading client (its sink need not be full: the budget
// may pause it first), so non-readers cannot hold the budget and every other stream forever.
void DirectorService::Impl::end_budget_holders(Timestamp now) {
  std::vector<StreamKey> ended;
  for (StreamKey key : budget_paused_) {
    const detail::ClientStream* c = clients_.find(key);
    auto it = buffered_.find(key);
    if (c != nullptr && c->budget_paused && !c->blocked && it != buffered_.end() &&
        now - c->budget_took_at >= limits_.blocked_lifetime) {
      ended.push_back(key);
    }
  }
  for (StreamKey key : ended) {
    if (detail::ClientStream* c = clients_.find(key)) {
      end_not_reading(key, *c, now);
    }
  }
  if (!ended.empty()) {
    refresh_buffered();
  }
}

}  // namespace connswap::services
