#pragma once
// One benchmark run: optionally start a director + workers, open the streams, wait until
// they all flow, warm up, measure for a window (injecting a fault into a worker at fail_at),
// stop, and report.

#include <string>
#include <vector>

#include <sys/types.h>

#include "base/time.h"

namespace connswap::bench {

// kMgmtPartition: worker-a's MGMT path (registration, heartbeats) is blackholed at a
// connswap-impair relay while its USER path keeps working.
enum class Fault : std::uint8_t { kNone, kKill, kStop, kTerm, kError, kMgmtPartition };

struct BenchArgs {
  std::string director;  // USER address of a running director ("" = none)
  std::string worker;    // USER address of a running worker, targeted directly
  bool direct = false;   // spawned cluster: load worker-a's USER port instead of the director
  bool http = false;     // SSE completions through the director's HTTP front (libcurl)
  pid_t pid = -1;        // running target's PID (CPU/RSS), for --director/--worker
  pid_t fail_pid = -1;   // running worker to signal for --fail kill|stop|term
  std::string bin_dir;   // spawned cluster: the build's apps/ directory
  std::string work_dir;  // "" = a temporary directory, removed unless --keep
  bool keep = false;
  int workers = 2;
  int connections = 1;
  int streams = 10;  // per connection
  int threads = 1;
  double seconds = 10;
  double warmup = 1;
  Duration interval = 0;
  std::uint32_t max_tokens = 0;
  Fault fail = Fault::kNone;
  double fail_at = -1;  // seconds into the window; -1 = the middle
  // Started cluster: every worker's USER path through a connswap-impair relay dropping this
  // % of datagrams both ways (0 = direct); relay seeds derive from relay_seed.
  double loss_pct = 0;
  std::uint64_t relay_seed = 1;
  std::string director_metrics;  // running director: its /metrics HOST:PORT ("" = none)
  std::string json;              // "" none, "-" stdout
  std::string plot;
  std::string tls_ca;
  std::string server_name = "localhost";
  std::vector<std::string> director_args;
  std::string director_wrapper;
  std::string standby_wrapper;  // every worker but worker-a (SpawnConfig::standby_wrapper)
  std::vector<std::string> worker_args;
  bool quiet = false;
};

// Returns the exit status: 0 ok, 1 the run failed (processes, connections, no tokens).
int run_bench(const BenchArgs& args);

}  // namespace connswap::bench
