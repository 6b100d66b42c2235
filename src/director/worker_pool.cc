#include "director/worker_pool.h"

#include <algorithm>

namespace connswap::director {
namespace {

WorkerState derive_state(const WorkerInfo& w, Timestamp now) {
  if (w.lost) {
    return WorkerState::kLost;
  }
  if (w.draining) {
    return WorkerState::kDraining;
  }
  if (now < w.failed_until) {
    return WorkerState::kFailed;
  }
  return w.available ? WorkerState::kActive : WorkerState::kUnavailable;
}

bool excluded(const WorkerInfo& w, std::span<const std::string> exclude) {
  return std::find(exclude.begin(), exclude.end(), w.label) != exclude.end();
}

}  // namespace

bool serves(const WorkerInfo& w, std::string_view model) {
  return model.empty() || std::find(w.models.begin(), w.models.end(), model) != w.models.end();
}

std::string_view to_string(WorkerState state) {
  switch (state) {
    case WorkerState::kActive:
      return "active";
    case WorkerState::kUnavailable:
      return "unavailable";
    case WorkerState::kDraining:
      return "draining";
    case WorkerState::kFailed:
      return "failed";
    case WorkerState::kLost:
      return "lost";
  }
  return "unknown";
}

WorkerPool::WorkerPool(BalancePolicy policy, Duration heartbeat_timeout, Duration failure_hold)
    : policy_(policy), heartbeat_timeout_(heartbeat_timeout), failure_hold_(failure_hold) {}

WorkerPool::WorkerPool(const DirectorConfig& config)
    : WorkerPool(config.policy, config.heartbeat_timeout, config.failure_hold) {}

// Recomputes w.state and reports the most important transition it caused.
WorkerChange WorkerPool::refresh(WorkerInfo& w, Timestamp now) {
  const WorkerState before = w.state;
  w.state = derive_state(w, now);
  if (w.state == before) {
    return WorkerChange::kNone;
  }
  switch (w.state) {
    case WorkerState::kLost:
      return WorkerChange::kLost;
    case WorkerState::kDraining:
      return WorkerChange::kDraining;
    case WorkerState::kActive:
      return WorkerChange::kBecameSelectable;
    default:
      return WorkerChange::kNone;
  }
}

WorkerChange WorkerPool::on_register(const WorkerRegistration& reg, Timestamp now) {
  auto [it, inserted] = workers_.try_emplace(reg.label);
  WorkerInfo& w = it->second;
  if (inserted) {
    w.label = reg.label;
    w.state = WorkerState::kLost;  // so a selectable newcomer reports kBecameSelectable
  }
  w.user_addr = reg.user_addr;
  w.mgmt_addr = reg.mgmt_addr;
  w.models = reg.models;
  w.load = reg.load;
  w.available = reg.available;
  w.draining = reg.draining;
  w.lost = false;
  w.last_heartbeat = now;
  return refresh(w, now);
}

Result<WorkerChange> WorkerPool::on_heartbeat(const WorkerHeartbeat& hb, Timestamp now) {
  auto it = workers_.find(hb.label);
  if (it == workers_.end()) {
    return make_error(Errc::kNotFound, "unknown worker '" + hb.label + "': register first");
  }
  WorkerInfo& w = it->second;
  w.load = hb.load;
  w.available = hb.available;
  // Draining is sticky once the director decided it (admin drain); a worker cannot undo it
  // by heartbeat, only by registering again.
  w.draining = w.draining || hb.draining;
  w.lost = false;
  w.last_heartbeat = now;
  return refresh(w, now);
}

WorkerChange WorkerPool::mark_draining(std::string_view label, Timestamp now) {
  auto it = workers_.find(label);
  if (it == workers_.end()) {
    return WorkerChange::kNone;
  }
  it->second.draining = true;
  return refresh(it->second, now);
}

WorkerChange WorkerPool::mark_lost(std::string_view label, Timestamp now) {
  auto it = workers_.find(label);
  if (it == workers_.end()) {
    return WorkerChange::kNone;
  }
  it->second.lost = true;
  return refresh(it->second, now);
}

void WorkerPool::mark_failed(std::string_view label, Timestamp now) {
  auto it = workers_.find(label);
  if (it == workers_.end()) {
    return;
  }
  it->second.failed_until = std::max(it->second.failed_until, now + failure_hold_);
  refresh(it->second, now);
}

std::vector<WorkerUpdate> WorkerPool::on_timeout(Timestamp now) {
  std::vector<WorkerUpdate> updates;
  for (auto& [label, w] : workers_) {
    if (!w.lost && now >= w.last_heartbeat + heartbeat_timeout_) {
      w.lost = true;
    }
    const WorkerChange change = refresh(w, now);
    if (change != WorkerChange::kNone) {
      updates.push_back({label, change});
    }
  }
  return updates;
}

Timestamp WorkerPool::deadline() const {
  Timestamp d = kNever;
  for (const auto& [label, w] : workers_) {
    if (!w.lost) {
      d = std::min(d, w.last_heartbeat + heartbeat_timeout_);
    }
    if (w.state == WorkerState::kFailed) {
      d = std::min(d, w.failed_until);
    }
  }
  return d;
}

// least_loaded: fewer director-placed attempts first (fresh), then lower reported load
// (lags by a heartbeat). Ties keep rotation order, so equal workers share streams.
bool WorkerPool::better(const WorkerInfo& a, const WorkerInfo& b) const {
  if (policy_ == BalancePolicy::kRoundRobin) {
    return false;  // the first candidate in rotation order wins
  }
  if (a.streams != b.streams) {
    return a.streams < b.streams;
  }
  return a.load < b.load;
}

const WorkerInfo* WorkerPool::select(std::span<const std::string> exclude, std::string_view model) {
  if (workers_.empty()) {
    return nullptr;
  }
  // Visit every worker once in rotation order, starting after the last one chosen.
  auto start = workers_.upper_bound(cursor_);
  const WorkerInfo* best = nullptr;
  auto it = start;
  for (std::size_t i = 0; i < workers_.size(); ++i, ++it) {
    if (it == workers_.end()) {
      it = workers_.begin();
    }
    const WorkerInfo& w = it->second;
    if (w.state != WorkerState::kActive || excluded(w, exclude) || !serves(w, model)) {
      continue;
    }
    if (best == nullptr || better(w, *best)) {
      best = &w;
    }
  }
  if (best != nullptr) {
    cursor_ = best->label;
  }
  return best;
}

const WorkerInfo* WorkerPool::find(std::string_view label) const {
  auto it = workers_.find(label);
  return it == workers_.end() ? nullptr : &it->second;
}

void WorkerPool::add_stream(std::string_view label) {
  auto it = workers_.find(label);
  if (it != workers_.end()) {
    ++it->second.streams;
  }
}

void WorkerPool::remove_stream(std::string_view label) {
  auto it = workers_.find(label);
  if (it != workers_.end() && it->second.streams > 0) {
    --it->second.streams;
  }
}

WorkerCounts WorkerPool::counts() const {
  WorkerCounts c;
  for (const auto& [label, w] : workers_) {
    switch (w.state) {
      case WorkerState::kActive:
        ++c.active;
        break;
      case WorkerState::kUnavailable:
        ++c.unavailable;
        break;
      case WorkerState::kDraining:
        ++c.draining;
        break;
      case WorkerState::kFailed:
        ++c.failed;
        break;
      case WorkerState::kLost:
        ++c.lost;
        break;
    }
  }
  return c;
}

}  // namespace connswap::director
