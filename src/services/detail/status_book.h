#pragma once
// What the status snapshot needs that the core does not keep: tokens and failures per
// worker (and a tokens/s rate), each open stream's migrations with their reasons, the
// failover gap histogram, and the worker health last seen (to report changes as events).
// Fed by DirectorService::Impl from the core's actions and events. Not for use outside
// src/services.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/time.h"
#include "director/actions.h"
#include "director/worker_pool.h"
#include "services/director_status.h"

namespace connswap::services::detail {

class StatusBook {
 public:
  // One token forwarded from `worker` (the per-token path: one map lookup).
  void on_token(const std::string& worker, Timestamp now);
  // WorkerFailed, MigratingStream and FailoverGap events; others are ignored.
  void on_event(const director::Event& event, Timestamp now);
  // The stream ended: its migrations are forgotten.
  void on_finished(director::StreamKey key) { migrations_.erase(key); }
  // Compares each worker's health with the last seen and reports changes (and new
  // workers) to the observer. Only with an observer; O(workers) enum compares when
  // nothing changed (every director turn calls it).
  void poll_workers(const director::WorkerPool& pool);

  // The pool's workers with this book's counters, by label.
  std::vector<StatusWorker> workers(const director::WorkerPool& pool, Timestamp now) const;
  // The migrations of `key`, oldest first (the newest kMaxStreamMigrations).
  std::vector<StatusMigration> migrations(director::StreamKey key, Timestamp now) const;
  const GapHistogram& gaps() const { return gaps_; }
  // One observer of StatusEvents; a later call replaces it. The next poll_workers()
  // reports every worker to it (from "new").
  void set_observer(std::function<void(const StatusEvent&)> fn) {
    observer_ = std::move(fn);
    seen_.clear();
    health_.clear();
  }

 private:
  struct WorkerCounters {
    std::uint64_t tokens = 0;
    std::uint64_t failures = 0;
    Timestamp window_start = 0;  // the current rate window
    std::uint64_t window_tokens = 0;
    double last_rate = 0;  // of the last closed window
  };
  struct Migration {
    std::string from, to, reason;
    Timestamp at = 0;
  };
  void emit(const StatusEvent& event) const;
  bool unchanged(const director::WorkerPool& pool) const;  // every state as in seen_

  std::map<std::string, WorkerCounters, std::less<>> workers_;
  std::unordered_map<director::StreamKey, std::vector<Migration>> migrations_;
  std::map<std::string, std::string, std::less<>> health_;  // label -> health last seen
  std::vector<director::WorkerState> seen_;  // each worker's state last polled, pool order
  GapHistogram gaps_;
  std::function<void(const StatusEvent&)> observer_;
};

// The health word the status page shows for a pool state.
std::string_view health_of(director::WorkerState state);

}  // namespace connswap::services::detail
