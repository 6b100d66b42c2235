#pragma once
// The director's view of its workers: registration, heartbeats, expiry, failure holds and
// selection by policy. Sans-IO: every input carries `now`; deadline() says when to call
// on_timeout(). Few workers (tens): operations are O(workers).

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "director/config.h"

namespace connswap::director {

// Derived from a worker's flags, highest precedence first: lost, draining, failed,
// unavailable, active. Only kActive workers are selected.
enum class WorkerState : std::uint8_t { kActive, kUnavailable, kDraining, kFailed, kLost };
std::string_view to_string(WorkerState state);

// A worker's Register call on MGMT. Re-registering a label replaces its addresses.
struct WorkerRegistration {
  std::string label;
  std::string user_addr;
  std::string mgmt_addr;
  std::uint32_t load = 0;  // streams the worker serves, as it reports
  bool available = true;
  bool draining = false;
  std::vector<std::string> models{};  // model ids it serves (empty: none announced)
};

// A worker's periodic heartbeat on MGMT.
struct WorkerHeartbeat {
  std::string label;
  std::uint32_t load = 0;
  bool available = true;
  bool draining = false;
};

struct WorkerInfo {
  std::string label;
  std::string user_addr;
  std::string mgmt_addr;
  std::uint32_t load = 0;           // reported by the worker
  std::uint32_t streams = 0;        // live attempts this director placed on it
  bool available = true;            // reported by the worker
  bool draining = false;            // reported by the worker or set by the director
  bool lost = false;                // heartbeat expired (or the binding said so)
  std::vector<std::string> models;  // as registered
  Timestamp last_heartbeat = 0;
  Timestamp failed_until = 0;  // failure hold: not selected before this
  WorkerState state = WorkerState::kActive;
};

// True when `w` can serve a request for `model`: "" (any model) or one it announced.
bool serves(const WorkerInfo& w, std::string_view model);

// What an input changed, for the StreamRouter (only the most important change).
enum class WorkerChange : std::uint8_t { kNone, kBecameSelectable, kDraining, kLost };
struct WorkerUpdate {
  std::string label;
  WorkerChange change = WorkerChange::kNone;
};

// Number of workers in each state (metrics).
struct WorkerCounts {
  std::uint32_t active = 0, unavailable = 0, draining = 0, failed = 0, lost = 0;
};

class WorkerPool {
 public:
  WorkerPool(BalancePolicy policy, Duration heartbeat_timeout, Duration failure_hold);
  explicit WorkerPool(const DirectorConfig& config);

  // Adds or replaces `reg.label`; counts as a heartbeat. Revives a lost worker.
  WorkerChange on_register(const WorkerRegistration& reg, Timestamp now);
  // kNotFound if the label never registered: the worker must register again.
  Result<WorkerChange> on_heartbeat(const WorkerHeartbeat& hb, Timestamp now);
  // Director-side state changes; unknown labels are ignored (kNone).
  WorkerChange mark_draining(std::string_view label, Timestamp now);
  WorkerChange mark_lost(std::string_view label, Timestamp now);
  // An attempt on the worker failed: skip it for failure_hold (a heartbeat cannot clear it).
  void mark_failed(std::string_view label, Timestamp now);

  // Expires heartbeats and failure holds due at `now`; returns what changed.
  std::vector<WorkerUpdate> on_timeout(Timestamp now);
  // Earliest heartbeat expiry or failure-hold end; kNever if none.
  Timestamp deadline() const;

  // Picks a kActive worker not in `exclude` by policy; nullptr if none. The pointer is
  // valid until the pool is next modified.
  const WorkerInfo* select(std::span<const std::string> exclude = {}, std::string_view model = {});
  const WorkerInfo* find(std::string_view label) const;
  // Attempt bookkeeping for least_loaded (the router calls these).
  void add_stream(std::string_view label);
  void remove_stream(std::string_view label);

  WorkerCounts counts() const;
  std::size_t size() const { return workers_.size(); }
  // Every worker by label (read-only: listings).
  const std::map<std::string, WorkerInfo, std::less<>>& workers() const { return workers_; }

 private:
  WorkerChange refresh(WorkerInfo& w, Timestamp now);
  bool better(const WorkerInfo& a, const WorkerInfo& b) const;

  BalancePolicy policy_;
  Duration heartbeat_timeout_;
  Duration failure_hold_;
  std::map<std::string, WorkerInfo, std::less<>> workers_;  // ordered: stable rotation
  std::string cursor_;                                      // label chosen last
};

}  // namespace connswap::director
