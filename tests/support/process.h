#pragma once
// A child process for multi-process tests: spawned with explicit args and environment, its
// stdout/stderr captured in files, signalled by PID, reaped with a bounded budget. Waits
// poll files with a deadline (no fixed sleeps). The destructor SIGKILLs and reaps a child
// still running, so a failing test leaves no process behind.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace connswap::testing {

struct ProcessOptions {
  std::vector<std::string> args;  // args[0]: the executable's path
  // Added to the parent's environment, after dropping RUST_LOG and CONNECTION_SWAP_* so
  // the host's settings cannot leak into a test.
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path log_dir;  // stdout -> <log_dir>/<name>.out, stderr -> <name>.err
  std::string name;               // also used in failure messages
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // exit() (code valid) or killed by a signal (signal valid)
  int code = -1;
  int signal = 0;
  bool ok() const { return exited && code == 0; }
};
std::string to_string(const ExitStatus& status);

class Process {
 public:
  // Spawns the child (posix_spawn). On failure reports a GTest failure and returns a
  // Process whose pid() is -1 (every wait then fails fast).
  explicit Process(ProcessOptions options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return options_.name; }
  bool running();  // not yet reaped (reaps it if it has just exited)

  // kill(pid, signo); false (and a GTest failure) if the child is gone.
  bool signal(int signo);
  // Waits up to `budget` for the child to exit and reaps it; nullopt on timeout.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds budget);
  // The exit status once reaped.
  const std::optional<ExitStatus>& status() const { return status_; }

  std::filesystem::path stdout_path() const;
  std::filesystem::path stderr_path() const;
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Lines of stderr containing every one of `needles`.
  std::vector<std::string> stderr_lines(const std::vector<std::string_view>& needles) const;

  // Polls stderr until `count` lines contain every one of `needles`, up to `budget`.
  // Returns false early if the child exits without having printed them.
  bool wait_for_log(const std::vector<std::string_view>& needles,
                    std::chrono::milliseconds budget,
                    std::size_t count = 1);

 private:
  ProcessOptions options_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

using ReadyFile = std::map<std::string, std::string>;

// Polls until `path` holds a complete ready-file (written atomically: key=value lines with
// a `pid`), up to `budget`. Returns nullopt on timeout or if `owner` (nullable) exits first.
std::optional<ReadyFile> wait_ready_file(const std::filesystem::path& path,
                                         std::chrono::milliseconds budget,
                                         Process* owner = nullptr);

// Reads a whole file; "" if missing.
std::string read_file(const std::filesystem::path& path);

// Polls `done` every few milliseconds until it returns true or `budget` passes.
bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds budget);

}  // namespace connswap::testing
