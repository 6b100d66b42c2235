#pragma once
// What Linux reports about a process, for the director's CPU and memory: CPU seconds from
// /proc/PID/stat (utime + stime) and resident memory from /proc/PID/status (VmRSS).

#include <optional>
#include <string>

#include <sys/types.h>

namespace connswap::bench {

struct ProcSample {
  double cpu_seconds = 0;            // user + system, since the process started
  std::uint64_t rss_bytes = 0;       // VmRSS
  std::uint64_t rss_peak_bytes = 0;  // VmHWM
};

// nullopt if the process is gone or /proc is unreadable.
std::optional<ProcSample> sample_process(pid_t pid);

// The first /proc/loadavg figure (1-minute load average); -1 if unreadable.
double load_average();

// CPU utilisation between two samples over `wall_seconds`, in percent of one core.
double cpu_percent(const ProcSample& before, const ProcSample& after, double wall_seconds);

}  // namespace connswap::bench
