#pragma once
// Plain values the StreamRouter takes and gives about one stream: how a stream is opened
// (StreamSpec), what it looks like now (StreamStatus), where it could resume (ResumePoint),
// and the state machine configuration derived from DirectorConfig.

#include <cstdint>
#include <string>
#include <vector>

#include "base/generate.h"
#include "director/config.h"
#include "migration/state_machine.h"

namespace connswap::director {

// A snapshot of one stream, for admin listings and tests.
struct StreamStatus {
  migration::MigrationState state = migration::MigrationState::kSelecting;
  std::uint64_t next_seq = 0;
  std::string worker;   // primary attempt's worker ("" while waiting)
  std::string standby;  // standby attempt's worker during a drain or move
  std::uint32_t migrations = 0;
};

// What a director needs to let the stream continue elsewhere (a resume snapshot): the first
// seq not yet forwarded and the newest delivered_window forwarded tokens just before it,
// oldest first (a snapshot stays small; the client holds the rest).
struct ResumePoint {
  std::uint64_t next_seq = 0;
  std::vector<std::string> window;
  std::uint32_t migrations = 0;
  std::uint32_t failovers = 0;  // counted against the migration limit (kept across resumes)
};

// How a worker ended an attempt normally (its Done item).
struct AttemptDone {
  std::string finish_reason;        // "length" (or ""): max_tokens reached; "stop": the model
  std::uint64_t prompt_tokens = 0;  // 0 = not known
};

// A stream as the client opens it; request.start_seq >= 1. `window` seeds the delivered
// prefix (a resumed stream: the tokens the client already has, oldest first); with all
// start_seq - 1 of them the stream keeps its whole prefix, else only a window.
struct StreamSpec {
  std::string connection_id;
  std::uint64_t stream_id = 0;
  GenerateRequest request;
  std::vector<std::string> window;
  std::uint32_t prior_failovers = 0;  // a resumed stream's failures so far (migration limit)
};

// The machine's per-state timeouts and limit for `config`: select_timeout = worker_wait,
// handover_timeout, migration_limit; the starting state's timeout is the router's adaptive
// first-token deadline instead (it is suspended while the client does not read).
migration::MigrationConfig machine_config(const DirectorConfig& config);

}  // namespace connswap::director
