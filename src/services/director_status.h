#pragma once
// A typed snapshot of the director for operators (the HTTP front's status page and
// /debug/* JSON, issue 17): workers with their health and rates, open streams with their
// migrations, the failover gap distribution, and a feed of status events (migrations,
// failover gaps, worker state changes). Plain values: copied out of DirectorService.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"

namespace connswap::services {

// One worker as the pool sees it now.
struct StatusWorker {
  std::string label;
  std::string address;         // its USER address
  std::string health;          // healthy, unavailable, draining, failed-hold, lost
  std::uint32_t streams = 0;   // live attempts this director placed on it
  double tokens_per_s = 0;     // tokens forwarded from it, over the last second or more
  std::uint64_t tokens = 0;    // tokens forwarded from it since it first registered
  std::uint64_t failures = 0;  // attempts on it that failed (WorkerFailed events)
  Duration heartbeat_age = 0;  // since its last heartbeat (or registration)
};

// One migration of a stream, oldest first in StatusStream::migrations.
struct StatusMigration {
  std::string from;
  std::string to;
  std::string reason;  // director::to_string(FailureReason)
  Duration ago = 0;    // before the snapshot
};

// One open client stream (the session book), by the ids the client knows.
struct StatusStream {
  std::string connection_id;
  std::uint64_t stream_id = 0;
  std::string state;   // migration::to_string(MigrationState)
  std::string worker;  // "" while selecting
  std::uint64_t tokens = 0;
  std::uint32_t migration_count = 0;        // migrations the client was told of
  std::vector<StatusMigration> migrations;  // the newest kMaxStreamMigrations, with reasons
  Duration age = 0;                         // since it opened
};
inline constexpr std::size_t kMaxStreamMigrations = 8;

// Failover gaps by bucket (the bounds of the connswap_failover_gap_seconds histogram, in
// ms); counts[i] = gaps <= bounds_ms[i] and above the previous bound; the last counts the rest.
struct GapHistogram {
  static constexpr std::array<std::uint32_t, 14> kBoundsMs = {
      1, 5, 10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 20'000, 30'000};
  std::array<std::uint64_t, kBoundsMs.size() + 1> counts{};
  std::uint64_t total = 0;
  Duration sum = 0;
  Duration max = 0;
  // Counts `gap` in its bucket.
  void add(Duration gap);
};

// What the status feed carries, one event each.
struct StatusEvent {
  enum class Kind : std::uint8_t { kMigration, kFailoverGap, kWorkerState };
  Kind kind = Kind::kMigration;
  std::string connection_id;  // kMigration, kFailoverGap
  std::uint64_t stream_id = 0;
  std::string from;    // worker (kMigration, kFailoverGap); previous health (kWorkerState)
  std::string to;      // worker (kMigration, kFailoverGap); new health (kWorkerState)
  std::string reason;  // kMigration
  Duration gap = 0;    // kFailoverGap
  std::string worker;  // kWorkerState
};
std::string_view to_string(StatusEvent::Kind kind);

}  // namespace connswap::services
