#pragma once
// connswap-bench's outputs: one JSON object (machine-readable), a table for people, and an
// optional gnuplot PNG of one stream's token arrivals across a failover.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "load.h"
#include "proc_stats.h"

namespace connswap::bench {

// A process observed during the run (director or worker): CPU over the measured window,
// RSS before the streams (idle) and at the end of the window.
struct ProcReport {
  std::string name;
  int pid = -1;
  double cpu_percent = -1;     // -1: not observed
  std::uint64_t rss_idle = 0;  // bytes, before any stream was opened
  std::uint64_t rss = 0;       // bytes, end of the window
  std::uint64_t rss_max = 0;   // bytes, largest sample during the window
};

struct Report {
  // What ran.
  std::string target;          // "director" | "worker"
  std::string front = "quic";  // "quic" | "http" (--http: SSE through the HTTP front)
  bool spawned = false;
  int connections = 0;
  int streams_per_connection = 0;
  int threads = 0;
  int workers = 0;
  double interval_ms = 0;
  double seconds = 0;  // measured window, actual
  double warmup = 0;
  std::string fail = "none";
  double fail_at = 0;      // seconds into the window
  double loss_pct = 0;     // --loss-pct on the director <-> worker USER paths
  double load_start = -1;  // 1-minute load average
  double load_end = -1;
  double setup_seconds = 0;     // streams opened -> all flowing
  Timestamp fault_at = kNever;  // when the fault was injected (error: scheduled, +- start-up)
  // What was measured.
  LoadResult load;
  std::optional<ProcReport> director;
  std::vector<ProcReport> workers_proc;
  double bench_cpu_percent = 0;
  // The director's failover counters after the window (metrics_scrape.h), or why not.
  std::vector<std::string> director_metrics;
  std::string metrics_error;
};

std::string to_json(const Report& report);
std::string to_table(const Report& report);

// Writes `png` with gnuplot (one stream's arrivals: the first timeline with a migration, else
// the first one). `fault_at` is when the fault was injected (kNever: none). kIo if gnuplot
// fails or is missing.
Result<void> plot(const Report& report, Timestamp fault_at, const std::string& png);

}  // namespace connswap::bench
