#include "proc_stats.h"

#include <cstdint>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace connswap::bench {
namespace {

std::uint64_t status_kib(const std::string& text, const std::string& key) {
  const auto at = text.find(key);
  if (at == std::string::npos) {
    return 0;
  }
  std::istringstream in(text.substr(at + key.size()));
  std::uint64_t kib = 0;
  in >> kib;
  return kib;
}

}  // namespace

std::optional<ProcSample> sample_process(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return std::nullopt;
  }
  // Field 2 (comm) may contain spaces: parse after the last ')'. Fields 14 and 15 (utime,
  // stime) are then the 12th and 13th after it.
  const auto close = line.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::stoull(field);
    } else if (i == 15) {
      stime = std::stoull(field);
    }
  }
  std::ifstream status(base + "/status");
  std::stringstream text;
  text << status.rdbuf();
  ProcSample s;
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  s.rss_bytes = status_kib(text.str(), "VmRSS:") * 1024;
  s.rss_peak_bytes = status_kib(text.str(), "VmHWM:") * 1024;
  return s;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return in ? load : -1;
}

double cpu_percent(const ProcSample& before, const ProcSample& after, double wall_seconds) {
  if (wall_seconds <= 0) {
    return 0;
  }
  return 100.0 * (after.cpu_seconds - before.cpu_seconds) / wall_seconds;
}

}  // namespace connswap::bench
