#pragma once
// The processes a benchmark run drives: a director and workers the bench starts itself
// (children on 127.0.0.1 with port 0 and --ready-file, certificates from connswap-certs in
// a temporary directory, logs in files), or ones already running that it only observes and
// signals by PID. Control plane: failures are reported as Result errors.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "base/error.h"
#include "base/time.h"

namespace connswap::bench {

// A child process started by the bench: stdout/stderr in <dir>/<name>.{out,err}.
struct Child {
  std::string name;
  pid_t pid = -1;
  std::string user_addr;  // from its ready-file
  std::string mgmt_addr;
  std::string http_addr;     // "http=" (a director started with --http-addr)
  std::string metrics_addr;  // "metrics=" (a director or worker started with --metrics-addr)
  std::filesystem::path err_path;
};

struct SpawnConfig {
  std::filesystem::path bin_dir;   // holds director/, worker/, certs/ (the build's apps/)
  std::filesystem::path work_dir;  // certificates, ready-files, logs
  int workers = 2;
  Duration token_interval = 0;
  // Worker 0 fails on its own with --fail-mode error after this (0 = never).
  Duration error_after = 0;
  std::vector<std::string> director_args;  // extra flags, appended
  std::string director_log_level = "warn";
  // Runs the director under this command ("valgrind --tool=massif"): split on spaces.
  std::string director_wrapper;
  // Runs every worker but worker 0 (the one --fail signals: a signal to a wrapper would
  // not reach it) under this command ("perf record -o F --"): split on spaces.
  std::string standby_wrapper;
  std::vector<std::string> worker_args;
  // Per worker (by index): its token interval instead of token_interval, and extra flags.
  std::vector<Duration> worker_intervals;
  std::vector<std::vector<std::string>> per_worker_args;
  // connswap-impair relays (the build's apps/impair), one process each: every worker's USER
  // path behind one dropping this fraction of datagrams both ways (0 = no relay; the worker
  // advertises the relay's port), and worker 0's MGMT path (registration, heartbeats)
  // behind a lossless one that partition() blackholes. Seeds derive from relay_seed.
  double user_loss = 0;
  bool relay_worker0_mgmt = false;
  std::uint64_t relay_seed = 1;
};

class Cluster {
 public:
  Cluster() = default;
  ~Cluster();  // SIGKILLs and reaps every child still running
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Makes certificates, starts the director, then the workers, and waits until every
  // worker has registered. kIo / kUnavailable with the failing child's stderr tail.
  Result<void> start(const SpawnConfig& config);

  const Child& director() const { return director_; }
  const std::vector<Child>& workers() const { return workers_; }
  std::filesystem::path ca_file() const { return config_.work_dir / "ca.pem"; }

  // Blackholes worker 0's MGMT relay (SIGUSR1, for an hour): its heartbeats stop reaching
  // the director while its USER path keeps working. False without relay_worker0_mgmt.
  bool partition();

  // Sends SIGTERM to every child and waits up to `budget` for each, then SIGKILL.
  void stop(std::chrono::milliseconds budget);

  // Restarts: worker `index` under its label (its previous process must be gone, see
  // reap()), with `extra` flags instead of per_worker_args; the director on the same USER
  // and MGMT ports. Logs go to <name>.<incarnation>.{out,err}. Wait for the ready-file only.
  Result<void> restart_worker(std::size_t index, const std::vector<std::string>& extra);
  Result<void> restart_director();
  // Non-blocking waitpid: true (and forgotten) once `pid`, a child, has exited.
  bool reap(pid_t pid);

 private:
  Result<Child> spawn(const std::string& name,
                      const std::filesystem::path& exe,
                      std::vector<std::string> args,
                      bool wait_ready,
                      const std::string& wrapper = "");

  Result<Child> spawn_worker(std::size_t index,
                             const std::vector<std::string>& extra,
                             const std::string& name);
  std::vector<std::string> tls_args(const std::string& role) const;
  // Starts worker `index`'s relays (SpawnConfig::user_loss, relay_worker0_mgmt) and records
  // the flags that point the worker at them in relay_args_.
  Result<void> start_relays(std::size_t index);

  SpawnConfig config_;
  int restarts_ = 0;  // incarnation suffix of restarted children's log names
  Child director_;
  std::vector<Child> workers_;
  std::vector<Child> relays_;
  pid_t mgmt_relay_ = -1;                             // worker 0's MGMT relay
  std::vector<std::vector<std::string>> relay_args_;  // per worker: flags naming its relays
  std::vector<pid_t> children_;
};

// kill(pid, signo); false if the process is gone.
bool send_signal(pid_t pid, int signo);

// The directory of the running executable (/proc/self/exe).
std::filesystem::path self_dir();

}  // namespace connswap::bench
