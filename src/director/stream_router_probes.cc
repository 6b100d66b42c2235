// StreamRouter, liveness probes (issue 18): an attempt silent for longer than its stream's
// pace suggests gets its worker's connection probed; a worker that answers nothing within
// probe_timeout is unresponsive, and every attempt on it fails at once. A slow stream on a
// live worker (a long prefill, a pause) is not failed here: its stall deadline still rules.

#include <algorithm>
#include <string>

#include "director/stream_router.h"

namespace connswap::director {

// When the attempt's current silence began: its start until it delivers, then the last
// token forwarded (or its own last duplicate, catching up after a switchover).
Timestamp StreamRouter::silence_start(const Stream& s, const Attempt& a) {
  return a.delivered ? std::max(s.last_token_at, a.heard) : a.started;
}

// max(min_probe, probe_factor x the stream's mean gap) into the silence, or probe_timeout
// while the stream has no rate yet (a first token's prefill is not a silence to probe at
// once); kNever once probed for it, while the client blocks (its worker calls are paused),
// or with probes off.
Timestamp StreamRouter::probe_deadline(const Stream& s, const Attempt& a) const {
  if (config_.probe_timeout == 0 || a.id == 0 || s.client_blocked) {
    return kNever;
  }
  const Timestamp start = silence_start(s, a);
  if (a.probed_for == start) {
    return kNever;
  }
  const Duration window =
      s.ewma_gap == 0
          ? std::max(config_.min_probe, config_.probe_timeout)
          : std::max(config_.min_probe, detail::scaled(config_.probe_factor, s.ewma_gap));
  return start + window;
}

void StreamRouter::probe_if_silent(Stream& s, Attempt& a, Timestamp now) {
  if (probe_deadline(s, a) > now) {
    return;
  }
  a.probed_for = silence_start(s, a);
  if (auto it = probes_.find(a.worker); it != probes_.end()) {
    it->second.latest_absorbed = now;  // one probe out per worker: it answers for this too
    return;
  }
  start_probe(a.worker, now);
}

void StreamRouter::start_probe(const std::string& worker, Timestamp now) {
  const WorkerInfo* w = pool_.find(worker);
  if (w == nullptr) {
    return;
  }
  probes_[worker] = detail::RouterProbe{now, 0};
  ++stats_.probes;
  actions_.push_back(ProbeWorker{worker, w->user_addr});
}

void StreamRouter::on_probe_result(std::string_view worker,
                                   bool answered,
                                   Timestamp heard,
                                   Timestamp now) {
  const Settle settle(*this);
  auto it = probes_.find(worker);
  if (it == probes_.end()) {
    return;
  }
  const detail::RouterProbe probe = it->second;
  probes_.erase(it);
  if (answered) {
    // The answer proves the worker was running at `heard`. An attempt that fell silent
    // later than that is not covered by it: probe again for it now.
    if (probe.latest_absorbed > heard) {
      start_probe(std::string(worker), now);
    }
    return;
  }
  if (!another_worker_for(worker, now)) {
    // Nowhere to move its streams: failing it would only make them wait (and an overloaded
    // last worker is more likely than a hung one). Their stall deadlines still rule.
    ++stats_.probes_no_alternative;
    return;
  }
  ++stats_.probes_unanswered;
  events_.push_back(WorkerUnresponsive{std::string(worker), now - probe.started});
  on_worker_lost(worker, FailureReason::kStall, now);
}

bool StreamRouter::another_worker_for(std::string_view worker, Timestamp now) const {
  for (const auto& [label, w] : pool_.workers()) {
    if (label != worker && w.state == WorkerState::kActive && w.failed_until <= now) {
      return true;
    }
  }
  return false;
}

}  // namespace connswap::director
