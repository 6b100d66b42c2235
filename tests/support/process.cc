#include "support/process.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace connswap::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(5);

bool inherited(std::string_view entry) {
  return !entry.starts_with("RUST_LOG=") && !entry.starts_with("CONNECTION_SWAP_");
}

ExitStatus decode(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

bool contains_all(std::string_view line, const std::vector<std::string_view>& needles) {
  for (auto n : needles) {
    if (line.find(n) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string to_string(const ExitStatus& status) {
  if (status.exited) {
    return "exit " + std::to_string(status.code);
  }
  return std::string("signal ") + ::strsignal(status.signal);
}

Process::Process(ProcessOptions options) : options_(std::move(options)) {
  if (options_.args.empty()) {
    ADD_FAILURE() << "Process " << options_.name << ": no args";
    return;
  }
  // Everything the child needs is built before fork(): after it, only async-signal-safe
  // calls are allowed (the parent may have other threads).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (inherited(*e)) {
      env_strings.emplace_back(*e);
    }
  }
  for (const auto& [k, v] : options_.env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (auto& a : options_.args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  const std::string out = stdout_path().string();
  const std::string err = stderr_path().string();
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    pid_ = -1;
    return;
  }
  if (pid_ == 0) {
    // A test binary that crashes or is killed by CTest's timeout takes its children along.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 ||
        ::dup2(err_fd, 2) < 0) {
      ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGCONT);  // a stopped child must run to die
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool Process::running() {
  if (pid_ <= 0 || status_) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = decode(status);
    return false;
  }
  return true;
}

bool Process::signal(int signo) {
  if (!running()) {
    ADD_FAILURE() << options_.name << ": cannot send signal " << signo << ", not running";
    return false;
  }
  return ::kill(pid_, signo) == 0;
}

std::optional<ExitStatus> Process::wait_exit(std::chrono::milliseconds budget) {
  poll_until([this] { return !running(); }, budget);
  return status_;
}

std::filesystem::path Process::stdout_path() const {
  return options_.log_dir / (options_.name + ".out");
}

std::filesystem::path Process::stderr_path() const {
  return options_.log_dir / (options_.name + ".err");
}

std::string Process::stdout_text() const {
  return read_file(stdout_path());
}

std::string Process::stderr_text() const {
  return read_file(stderr_path());
}

std::vector<std::string> Process::stderr_lines(const std::vector<std::string_view>& needles) const {
  std::vector<std::string> lines;
  std::istringstream in(stderr_text());
  for (std::string line; std::getline(in, line);) {
    if (contains_all(line, needles)) {
      lines.push_back(line);
    }
  }
  return lines;
}

bool Process::wait_for_log(const std::vector<std::string_view>& needles,
                           std::chrono::milliseconds budget,
                           std::size_t count) {
  bool found = false;
  poll_until(
      [&] {
        // Checked after running(): a child that printed the line and then exited is found.
        const bool alive = running();
        found = stderr_lines(needles).size() >= count;
        return found || !alive;
      },
      budget);
  return found;
}

std::optional<ReadyFile> wait_ready_file(const std::filesystem::path& path,
                                         std::chrono::milliseconds budget,
                                         Process* owner) {
  std::optional<ReadyFile> ready;
  poll_until(
      [&] {
        std::ifstream in(path);
        ReadyFile fields;
        for (std::string line; std::getline(in, line);) {
          if (auto eq = line.find('='); eq != std::string::npos) {
            fields[line.substr(0, eq)] = line.substr(eq + 1);
          }
        }
        if (fields.contains("pid")) {
          ready = std::move(fields);
          return true;
        }
        return owner != nullptr && !owner->running();
      },
      budget);
  return ready;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds budget) {
  const auto deadline = Clock::now() + budget;
  while (!done()) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);  // polling an outcome, bounded by `budget`
  }
  return true;
}

}  // namespace connswap::testing
