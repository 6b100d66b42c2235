// detail::StatusBook: the director's status counters (director_status.h).

#include "services/detail/status_book.h"

#include <algorithm>
#include <type_traits>
#include <variant>

namespace connswap::services {

namespace {

constexpr Duration kRateWindow = 1 * kSecond;

}  // namespace

std::string_view to_string(StatusEvent::Kind kind) {
  switch (kind) {
    case StatusEvent::Kind::kMigration:
      return "migration";
    case StatusEvent::Kind::kFailoverGap:
      return "gap";
    case StatusEvent::Kind::kWorkerState:
      return "worker";
  }
  return "unknown";
}

void GapHistogram::add(Duration gap) {
  const auto ms = static_cast<double>(gap) / static_cast<double>(kMillisecond);
  std::size_t i = 0;
  while (i < kBoundsMs.size() && ms > kBoundsMs[i]) {
    ++i;
  }
  ++counts[i];
  ++total;
  sum += gap;
  max = std::max(max, gap);
}

namespace detail {

std::string_view health_of(director::WorkerState state) {
  switch (state) {
    case director::WorkerState::kActive:
      return "healthy";
    case director::WorkerState::kUnavailable:
      return "unavailable";
    case director::WorkerState::kDraining:
      return "draining";
    case director::WorkerState::kFailed:
      return "failed-hold";
    case director::WorkerState::kLost:
      return "lost";
  }
  return "unknown";
}

// The rate is over windows of at least kRateWindow, closed by the first token after one
// ends; a worker that went quiet decays in workers() instead.
void StatusBook::on_token(const std::string& worker, Timestamp now) {
  auto it = workers_.find(worker);
  if (it == workers_.end()) {
    it = workers_.emplace(worker, WorkerCounters{}).first;
    it->second.window_start = now;
  }
  WorkerCounters& w = it->second;
  ++w.tokens;
  ++w.window_tokens;
  if (now - w.window_start >= kRateWindow) {
    w.last_rate = static_cast<double>(w.window_tokens) * static_cast<double>(kSecond) /
                  static_cast<double>(now - w.window_start);
    w.window_start = now;
    w.window_tokens = 0;
  }
}

void StatusBook::on_event(const director::Event& event, Timestamp now) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, director::WorkerFailed>) {
          ++workers_[e.worker].failures;
        } else if constexpr (std::is_same_v<T, director::MigratingStream>) {
          std::vector<Migration>& list = migrations_[e.ref.stream];
          if (list.size() == kMaxStreamMigrations) {
            list.erase(list.begin());
          }
          const std::string reason(director::to_string(e.reason));
          list.push_back({e.from, e.to, reason, now});
          StatusEvent out;
          out.connection_id = e.ref.connection_id;
          out.stream_id = e.ref.stream_id;
          out.from = e.from;
          out.to = e.to;
          out.reason = reason;
          emit(out);
        } else if constexpr (std::is_same_v<T, director::FailoverGap>) {
          gaps_.add(e.gap);
          StatusEvent out;
          out.kind = StatusEvent::Kind::kFailoverGap;
          out.connection_id = e.ref.connection_id;
          out.stream_id = e.ref.stream_id;
          out.from = e.from;
          out.to = e.to;
          out.gap = e.gap;
          emit(out);
        }
      },
      event);
}

void StatusBook::poll_workers(const director::WorkerPool& pool) {
  if (!observer_ || unchanged(pool)) {
    return;
  }
  seen_.clear();
  for (const auto& [label, info] : pool.workers()) {
    seen_.push_back(info.state);
    const std::string_view health = health_of(info.state);
    auto it = health_.find(label);
    if (it != health_.end() && it->second == health) {
      continue;
    }
    StatusEvent event;
    event.kind = StatusEvent::Kind::kWorkerState;
    event.from = it == health_.end() ? "new" : it->second;
    event.to = std::string(health);
    event.worker = label;
    health_[label] = std::string(health);
    emit(event);
  }
}

// The pool never forgets a worker: the same count means the same labels, in the same
// (map) order. One enum compare per worker on every turn, no string.
bool StatusBook::unchanged(const director::WorkerPool& pool) const {
  if (pool.size() != seen_.size()) {
    return false;
  }
  std::size_t i = 0;
  for (const auto& [label, info] : pool.workers()) {
    if (info.state != seen_[i++]) {
      return false;
    }
  }
  return true;
}

std::vector<StatusWorker> StatusBook::workers(const director::WorkerPool& pool,
                                              Timestamp now) const {
  std::vector<StatusWorker> out;
  out.reserve(pool.size());
  for (const auto& [label, info] : pool.workers()) {
    StatusWorker w;
    w.label = label;
    w.address = info.user_addr;
    w.health = std::string(health_of(info.state));
    w.streams = info.streams;
    w.heartbeat_age = now > info.last_heartbeat ? now - info.last_heartbeat : 0;
    if (auto it = workers_.find(label); it != workers_.end()) {
      const WorkerCounters& c = it->second;
      w.tokens = c.tokens;
      w.failures = c.failures;
      const Duration open = now - c.window_start;
      const double current = open <= 0
                                 ? 0
                                 : static_cast<double>(c.window_tokens) *
                                       static_cast<double>(kSecond) / static_cast<double>(open);
      // A window open for twice the span without closing: the worker slowed or stopped.
      // Before any window closed, the current one (from kRateWindow / 4) is all there is.
      if (info.state == director::WorkerState::kLost) {
        w.tokens_per_s = 0;  // nothing more comes from a lost worker
      } else if (open >= 2 * kRateWindow || (c.last_rate == 0 && open >= kRateWindow / 4)) {
        w.tokens_per_s = current;
      } else {
        w.tokens_per_s = c.last_rate;
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<StatusMigration> StatusBook::migrations(director::StreamKey key, Timestamp now) const {
  std::vector<StatusMigration> out;
  auto it = migrations_.find(key);
  if (it == migrations_.end()) {
    return out;
  }
  out.reserve(it->second.size());
  for (const Migration& m : it->second) {
    out.push_back({m.from, m.to, m.reason, now > m.at ? now - m.at : 0});
  }
  return out;
}

void StatusBook::emit(const StatusEvent& event) const {
  if (observer_) {
    observer_(event);
  }
}

}  // namespace detail
}  // namespace connswap::services
