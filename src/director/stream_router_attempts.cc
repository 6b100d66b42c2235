// StreamRouter, second half: attempts, failures and migration, worker waits, timers.

#include <algorithm>
#include <utility>

#include "director/stream_router.h"

namespace connswap::director {
namespace {

using detail::scaled;
using migration::MigrationEvent;
using migration::MigrationState;

}  // namespace

void StreamRouter::start_attempt(Stream& s, const WorkerInfo& w, Attempt& slot, Timestamp now) {
  slot = Attempt{next_attempt_++, w.label, now, false};
  attempts_.emplace(slot.id, s.ref.stream);
  by_worker_[w.label].insert(slot.id);
  pool_.add_stream(w.label);
  ++stats_.attempts_started;
  GenerateRequest req = s.request;
  req.start_seq = s.next_seq;
  // The whole prefix while the stream keeps it: a model server continues the answer from it.
  actions_.push_back(
      StartAttempt{s.ref.stream, slot.id, w.label, w.user_addr, std::move(req), s.window});
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
  const WorkerInfo* w = pool_.select(exclude, s.request.model);
  if (w == nullptr) {
    return false;
  }
  start_attempt(s, *w, s.primary, now);
  waiting_.erase(s.ref.stream);
  transition(s, MigrationEvent::kWorkerSelected, "attempt on " + w->label, now);
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

// The machine is in kSelecting; its select_timeout (= worker_wait) bounds the wait.
void StreamRouter::wait_for_worker(Stream& s, Timestamp /*now*/) {
  waiting_.insert(s.ref.stream);
  events_.push_back(WaitingForWorker{s.ref, s.machine.deadline()});
}

void StreamRouter::fail_attempt(
    Stream& s, AttemptId id, FailureReason reason, std::string detail, Timestamp now) {
  if (id == s.standby.id) {
    // Make-before-break failed before the switch: the old attempt keeps the stream.
    const std::string why = std::string(to_string(reason)) + " on standby " + s.standby.worker;
    events_.push_back(WorkerFailed{s.ref, s.standby.worker, reason, std::move(detail)});
    pool_.mark_failed(s.standby.worker, now);
    release(s, s.standby, /*cancel=*/true);
    transition(s, MigrationEvent::kStandbyFailed, why, now);
    return;
  }
  if (id == s.primary.id) {
    fail_primary(s, reason, std::move(detail), now);
  }
}

// The primary attempt failed: promote the standby if a handover is in progress, else
// migrate to another worker (excluding this one) from next_seq, or wait for one. The
// machine decides whether the migration limit is reached (kFailed).
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
  const std::string why = std::string(to_string(reason)) + " on " + from;
  transition(s, MigrationEvent::kWorkerFailed, why, now);
  if (s.machine.state() == MigrationState::kFailed) {
    finish(s,
           StatusCode::kUnavailable,
           "migration limit (" + std::to_string(config_.migration_limit) +
               ") reached; last failure: " + why,
           now);
    return;
  }
  ++stats_.failovers;
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
    touch(s);
    if (!try_assign(s, {}, now)) {
      break;
    }
  }
}

void StreamRouter::on_worker_lost(std::string_view label, FailureReason reason, Timestamp now) {
  const Settle settle(*this);
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
      touch(s);
      fail_attempt(s, id, reason, detail, now);
    }
  }
}

std::size_t StreamRouter::on_worker_draining(std::string_view label, Timestamp now) {
  const Settle settle(*this);
  pool_.mark_draining(label, now);
  auto it = by_worker_.find(label);
  if (it == by_worker_.end()) {
    return 0;
  }
  std::vector<AttemptId> ids(it->second.begin(), it->second.end());
  std::sort(ids.begin(), ids.end());
  const std::string exclude[] = {std::string(label)};
  std::size_t moving = 0;
  for (AttemptId id : ids) {
    Stream& s = streams_.at(attempts_.at(id));
    touch(s);
    if (s.primary.id != id) {
      continue;  // a standby on the draining worker: it is not carrying the stream
    }
    const WorkerInfo* w = pool_.select(exclude, s.request.model);
    if (w == nullptr) {
      break;  // nowhere to go: keep streaming on the draining worker
    }
    moving += arm_handover(s, *w, FailureReason::kDrain, now) ? 1 : 0;
  }
  return moving;
}

Result<bool> StreamRouter::move_stream(StreamKey stream,
                                       std::string_view to_worker,
                                       Timestamp now) {
  const Settle settle(*this);
  Stream* found = find_stream(stream);
  if (found == nullptr) {
    return make_error(Errc::kNotFound, "no stream " + std::to_string(stream));
  }
  Stream& s = *found;
  const WorkerInfo* w = nullptr;
  if (!to_worker.empty()) {
    w = pool_.find(to_worker);
    if (w == nullptr || w->state != WorkerState::kActive || !serves(*w, s.request.model)) {
      return make_error(Errc::kUnavailable,
                        "worker " + std::string(to_worker) + " is not selectable");
    }
    if (w->label == s.primary.worker) {
      return false;  // already there
    }
  } else {
    const std::string exclude[] = {s.primary.worker};
    w = pool_.select(exclude, s.request.model);
    if (w == nullptr) {
      return make_error(Errc::kUnavailable, "no other selectable worker");
    }
  }
  return arm_handover(s, *w, FailureReason::kMoved, now);
}

// Make-before-break toward `w`: a standby attempt starts at next_seq beside the primary;
// whichever delivers next_seq first wins (switchover). Only from a live, single attempt.
bool StreamRouter::start_handover(Stream& s,
                                  const WorkerInfo& w,
                                  FailureReason why,
                                  Timestamp now) {
  const MigrationState state = s.machine.state();
  const bool eligible = s.primary.id != 0 && s.standby.id == 0 &&
                        (state == MigrationState::kStarting || state == MigrationState::kStreaming);
  if (!eligible) {
    return false;
  }
  const std::string from = s.primary.worker;
  start_attempt(s, w, s.standby, now);
  s.handover_reason = why;
  transition(s,
             MigrationEvent::kHandoverStarted,
             std::string(to_string(why)) + ": standby on " + w.label + " beside " + from,
             now);
  return true;
}

void StreamRouter::on_worker_available(std::string_view /*label*/, Timestamp now) {
  const Settle settle(*this);
  wake_waiters(now);
}

void StreamRouter::on_timeout(Timestamp now) {
  const Settle settle(*this);
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
    touch(s);
    on_stream_timer(s, now);
  }
}

void StreamRouter::on_stream_timer(Stream& s, Timestamp now) {
  if (auto t = s.machine.on_timeout(now)) {
    on_machine_timeout(s, *t, now);
    if (finished(s) || s.machine.state() == MigrationState::kSelecting) {
      return;
    }
  }
  if (s.machine.state() == MigrationState::kSelecting) {
    return;
  }
  probe_if_silent(s, s.standby, now);
  probe_if_silent(s, s.primary, now);
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

// The machine applied a state timeout: act on what it decided.
void StreamRouter::on_machine_timeout(Stream& s, const migration::Transition& t, Timestamp now) {
  events_.push_back(StateChanged{s.ref, t.to, s.primary.worker});
  if (t.from == MigrationState::kSelecting) {
    // select_timeout (= worker_wait): no worker came.
    finish(s, StatusCode::kUnavailable, "no worker available", now);
  } else if (t.from == MigrationState::kHandover && s.standby.id != 0) {
    // handover_timeout: the standby never took over; the old attempt keeps the stream.
    events_.push_back(
        WorkerFailed{s.ref, s.standby.worker, FailureReason::kStall, "handover timeout"});
    release(s, s.standby, /*cancel=*/true);
  }
}

// First token: max(first_token_timeout, factor x EWMA). Later tokens: max(min_stall,
// factor x EWMA), or first_token_timeout while the rate is still unknown, counted from the
// last token forwarded or this attempt's last duplicate.
Timestamp StreamRouter::attempt_deadline(const Stream& s, const Attempt& a) const {
  if (a.id == 0 || s.client_blocked) {
    return kNever;
  }
  const Duration rate_window = scaled(config_.stall_factor, s.ewma_gap);
  if (!a.delivered) {
    return a.started + std::max(config_.first_token_timeout, rate_window);
  }
  // From the last token forwarded, or the attempt's last duplicate if later (it is
  // catching up after a switchover).
  const Timestamp last = std::max(s.last_token_at, a.heard);
  if (s.ewma_gap == 0) {
    return last + std::max(config_.min_stall, config_.first_token_timeout);
  }
  return last + std::max(config_.min_stall, rate_window);
}

Timestamp StreamRouter::stream_deadline(const Stream& s) const {
  if (finished(s)) {
    return kNever;
  }
  const Timestamp machine = s.machine.deadline();
  if (s.machine.state() == MigrationState::kSelecting) {
    return machine;
  }
  return std::min({machine,
                   attempt_deadline(s, s.primary),
                   attempt_deadline(s, s.standby),
                   probe_deadline(s, s.primary),
                   probe_deadline(s, s.standby)});
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
