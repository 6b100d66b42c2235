// StreamRouter, second half: attempts, failures and migration, worker waits, timers.

#include <algorithm>
#include <utility>

#include "director/stream_router.h"

namespace connswap::director {
namespace {

Duration scaled(double factor, Duration d) {
  return static_cast<Duration>(factor * static_cast<double>(d));
}

}  // namespace

void StreamRouter::start_attempt(Stream& s, const WorkerInfo& w, Attempt& slot, Timestamp now) {
  slot = Attempt{next_attempt_++, w.label, now, false};
  attempts_.emplace(slot.id, s.ref.stream);
  by_worker_[w.label].insert(slot.id);
  pool_.add_stream(w.label);
  ++stats_.attempts_started;
  GenerateRequest req = s.request;
  req.start_seq = s.next_seq;
  actions_.push_back(
      StartAttempt{s.ref.stream, slot.id, w.label, w.user_addr, std::move(req), s.window.tokens()});
}

// Forgets attempt `a` (and tells the binding to stop it when `cancel`).
void StreamRouter::release(Stream& s, Attempt& a, bool cancel) {
  if (a.id == 0) {
    return;
  }
  attempts_.erase(a.id);
  if (auto it = by_worker_.find(a.worker); it != by_worker_.end()) {
    it->second.erase(a.id);
    if (it->second.empty()) {
      by_worker_.erase(it);
    }
  }
  pool_.remove_stream(a.worker);
  if (cancel) {
    actions_.push_back(CancelAttempt{s.ref.stream, a.id, a.worker});
  }
  a = Attempt{};
}

// Starts the primary attempt on a selected worker; false if none is selectable. The first
// worker of a stream is announced with Assigned, every later one with Migrated.
bool StreamRouter::try_assign(Stream& s, std::span<const std::string> exclude, Timestamp now) {
  const WorkerInfo* w = pool_.select(exclude);
  if (w == nullptr) {
    return false;
  }
  start_attempt(s, *w, s.primary, now);
  waiting_.erase(s.ref.stream);
  s.wait_until = kNever;
  advance(s, StreamInput::kAttemptStarted);
  const std::string& to = s.primary.worker;
  if (s.failed_worker.empty()) {
    actions_.push_back(SendAssigned{s.ref.stream, to});
    events_.push_back(WorkerAssigned{s.ref, to});
    return true;
  }
  ++s.migrations;
  actions_.push_back(SendMigrated{
      s.ref.stream, s.failed_worker, to, std::string(to_string(s.failed_reason)), s.next_seq});
  events_.push_back(MigratingStream{s.ref, s.failed_worker, to, s.failed_reason, s.next_seq});
  return true;
}

void StreamRouter::wait_for_worker(Stream& s, Timestamp now) {
  s.wait_until = now + config_.worker_wait;
  waiting_.insert(s.ref.stream);
  events_.push_back(WaitingForWorker{s.ref, s.wait_until});
}

void StreamRouter::fail_attempt(
    Stream& s, AttemptId id, FailureReason reason, std::string detail, Timestamp now) {
  if (id == s.standby.id) {
    // Make-before-break failed before the switch: the old attempt keeps the stream.
    events_.push_back(WorkerFailed{s.ref, s.standby.worker, reason, std::move(detail)});
    pool_.mark_failed(s.standby.worker, now);
    release(s, s.standby, /*cancel=*/true);
    advance(s, StreamInput::kStandbyFailed);
    return;
  }
  if (id == s.primary.id) {
    fail_primary(s, reason, std::move(detail), now);
  }
}

// The primary attempt failed: promote the standby if a drain is in progress, else migrate
// to another worker (excluding this one) from next_seq, or wait for one.
void StreamRouter::fail_primary(Stream& s,
                                FailureReason reason,
                                std::string detail,
                                Timestamp now) {
  const std::string from = s.primary.worker;
  events_.push_back(WorkerFailed{s.ref, from, reason, std::move(detail)});
  if (reason == FailureReason::kStall) {
    ++stats_.stalls;
  }
  pool_.mark_failed(from, now);
  release(s, s.primary, /*cancel=*/true);
  s.failed_worker = from;
  s.failed_reason = reason;
  s.gap_pending = true;
  if (++s.failovers > config_.migration_limit) {
    finish(s,
           StatusCode::kUnavailable,
           "migration limit (" + std::to_string(config_.migration_limit) +
               ") reached; last failure: " + std::string(to_string(reason)) + " on " + from);
    return;
  }
  ++stats_.failovers;
  advance(s, StreamInput::kAttemptFailed);
  if (s.standby.id != 0) {
    s.primary = std::move(s.standby);
    s.standby = Attempt{};
    ++s.migrations;
    const std::string& to = s.primary.worker;
    actions_.push_back(
        SendMigrated{s.ref.stream, from, to, std::string(to_string(reason)), s.next_seq});
    events_.push_back(MigratingStream{s.ref, from, to, reason, s.next_seq});
    return;
  }
  const std::string exclude[] = {from};
  if (!try_assign(s, exclude, now)) {
    wait_for_worker(s, now);
  }
}

void StreamRouter::wake_waiters(Timestamp now) {
  // Oldest first; stop at the first stream that finds no worker (none is selectable).
  while (!waiting_.empty()) {
    Stream& s = streams_.at(*waiting_.begin());
    if (!try_assign(s, {}, now)) {
      break;
    }
    rearm(s);
  }
}

void StreamRouter::on_worker_lost(std::string_view label, FailureReason reason, Timestamp now) {
  pool_.mark_lost(label, now);
  auto it = by_worker_.find(label);
  if (it != by_worker_.end()) {
    // Sorted: deterministic order (and so deterministic placement) across runs.
    std::vector<AttemptId> ids(it->second.begin(), it->second.end());
    std::sort(ids.begin(), ids.end());
    const std::string detail = "worker " + std::string(label) + " lost";
    for (AttemptId id : ids) {
      auto a = attempts_.find(id);
      if (a == attempts_.end()) {
        continue;
      }
      Stream& s = streams_.at(a->second);
      fail_attempt(s, id, reason, detail, now);
      if (s.phase != StreamPhase::kFinished) {
        rearm(s);
      }
    }
  }
  reap();
}

void StreamRouter::on_worker_draining(std::string_view label, Timestamp now) {
  pool_.mark_draining(label, now);
  auto it = by_worker_.find(label);
  if (it == by_worker_.end()) {
    return;
  }
  std::vector<AttemptId> ids(it->second.begin(), it->second.end());
  std::sort(ids.begin(), ids.end());
  const std::string exclude[] = {std::string(label)};
  for (AttemptId id : ids) {
    Stream& s = streams_.at(attempts_.at(id));
    const bool eligible = s.primary.id == id && s.standby.id == 0 &&
                          (s.phase == StreamPhase::kStarting || s.phase == StreamPhase::kStreaming);
    if (!eligible) {
      continue;
    }
    const WorkerInfo* w = pool_.select(exclude);
    if (w == nullptr) {
      break;  // nowhere to go: keep streaming on the draining worker
    }
    start_attempt(s, *w, s.standby, now);
    advance(s, StreamInput::kDrainStarted);
    rearm(s);
  }
}

void StreamRouter::on_worker_available(std::string_view /*label*/, Timestamp now) {
  wake_waiters(now);
  reap();
}

void StreamRouter::on_timeout(Timestamp now) {
  for (const WorkerUpdate& u : pool_.on_timeout(now)) {
    if (u.change == WorkerChange::kLost) {
      on_worker_lost(u.label, FailureReason::kHeartbeatLost, now);
    } else if (u.change == WorkerChange::kBecameSelectable) {
      wake_waiters(now);
    }
  }
  while (!timers_.empty() && timers_.top().at <= now) {
    const Timer t = timers_.top();
    timers_.pop();
    auto it = streams_.find(t.stream);
    if (it == streams_.end() || it->second.timer_gen != t.gen) {
      continue;  // stale entry: the stream is gone or was re-armed earlier
    }
    Stream& s = it->second;
    s.armed = kNever;
    on_stream_timer(s, now);
    if (s.phase != StreamPhase::kFinished) {
      rearm(s);
    }
  }
  reap();
}

void StreamRouter::on_stream_timer(Stream& s, Timestamp now) {
  if (s.phase == StreamPhase::kWaiting) {
    if (now >= s.wait_until) {
      finish(s, StatusCode::kUnavailable, "no worker available");
    }
    return;
  }
  if (s.standby.id != 0 && attempt_deadline(s, s.standby) <= now) {
    ++stats_.stalls;
    fail_attempt(s, s.standby.id, FailureReason::kStall, "standby sent no token", now);
  }
  if (s.primary.id != 0 && attempt_deadline(s, s.primary) <= now) {
    const Duration idle = now - (s.primary.delivered ? s.last_token_at : s.primary.started);
    fail_primary(s,
                 FailureReason::kStall,
                 "no token for " + std::to_string(idle / kMillisecond) + " ms",
                 now);
  }
}

// First token: max(first_token_timeout, factor x EWMA). Later tokens: max(min_stall,
// factor x EWMA), or first_token_timeout while the rate is still unknown.
Timestamp StreamRouter::attempt_deadline(const Stream& s, const Attempt& a) const {
  if (a.id == 0 || s.client_blocked) {
    return kNever;
  }
  const Duration rate_window = scaled(config_.stall_factor, s.ewma_gap);
  if (!a.delivered) {
    return a.started + std::max(config_.first_token_timeout, rate_window);
  }
  if (s.ewma_gap == 0) {
    return s.last_token_at + std::max(config_.min_stall, config_.first_token_timeout);
  }
  return s.last_token_at + std::max(config_.min_stall, rate_window);
}

Timestamp StreamRouter::stream_deadline(const Stream& s) const {
  switch (s.phase) {
    case StreamPhase::kWaiting:
      return s.wait_until;
    case StreamPhase::kFinished:
      return kNever;
    default:
      return std::min(attempt_deadline(s, s.primary), attempt_deadline(s, s.standby));
  }
}

// Lazy timers: push only when the deadline moved earlier than the live entry; a later
// deadline is picked up when the entry fires (on_timeout re-arms). Tokens, which only
// push the deadline later, therefore never touch the heap.
void StreamRouter::rearm(Stream& s) {
  const Timestamp d = stream_deadline(s);
  if (d < s.armed) {
    s.armed = d;
    timers_.push(Timer{d, s.ref.stream, ++s.timer_gen});
  }
}

Timestamp StreamRouter::deadline() const {
  const Timestamp t = timers_.empty() ? kNever : timers_.top().at;
  return std::min(t, pool_.deadline());
}

}  // namespace connswap::director
