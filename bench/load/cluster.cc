#include "cluster.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace connswap::bench {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kReadyBudget{15'000};
constexpr milliseconds kPoll{10};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail(const fs::path& path) {
  const std::string text = read_text(path);
  return text.size() > 600 ? text.substr(text.size() - 600) : text;
}

// The value of `key=` in a ready-file's text ("" if absent).
std::string field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + "=")) {
      return line.substr(key.size() + 1);
    }
  }
  return "";
}

// worker-a .. worker-z, then worker-a1 ...
std::string worker_label(int i) {
  return "worker-" + std::string(1, static_cast<char>('a' + i % 26)) +
         (i >= 26 ? std::to_string(i / 26) : "");
}

bool exited(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

bool send_signal(pid_t pid, int signo) {
  return pid > 0 && ::kill(pid, signo) == 0;
}

fs::path self_dir() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path();
}

Cluster::~Cluster() {
  for (pid_t pid : children_) {
    ::kill(-pid, SIGKILL);  // the child's group: a wrapped program too
    if (::kill(pid, SIGKILL) == 0) {
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
}

Result<Child> Cluster::spawn(const std::string& name,
                             const fs::path& exe,
                             std::vector<std::string> args,
                             bool wait_ready,
                             const std::string& wrapper) {
  Child child;
  child.name = name;
  child.err_path = config_.work_dir / (name + ".err");
  const fs::path ready = config_.work_dir / (name + ".ready");
  if (wait_ready) {
    args.push_back("--ready-file=" + ready.string());
  }
  std::vector<std::string> words;
  std::istringstream split(wrapper);
  for (std::string w; split >> w;) {
    words.push_back(w);
  }
  words.push_back(exe.string());
  args.insert(args.begin(), words.begin() + 1, words.end());
  std::string exe_s = words.front();
  std::vector<char*> argv;
  argv.push_back(exe_s.data());
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out = (config_.work_dir / (name + ".out")).string();
  const std::string err = child.err_path.string();
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // Each child leads its own process group, so stop() also reaches what a wrapper
  // (--director-wrapper 'perf record --') started.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const int rc = posix_spawnp(&child.pid, exe_s.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return make_error(Errc::kIo, "cannot start " + exe_s + ": " + std::strerror(rc));
  }
  children_.push_back(child.pid);
  if (!wait_ready) {
    return child;
  }
  const auto until = steady_clock::now() + kReadyBudget;
  while (steady_clock::now() < until) {
    const std::string text = read_text(ready);
    if (!field(text, "pid").empty()) {
      child.user_addr = field(text, "user");
      child.mgmt_addr = field(text, "mgmt");
      child.http_addr = field(text, "http");
      child.metrics_addr = field(text, "metrics");
      return child;
    }
    if (exited(child.pid)) {
      return make_error(Errc::kUnavailable, name + " exited early: " + tail(child.err_path));
    }
    std::this_thread::sleep_for(kPoll);
  }
  return make_error(Errc::kUnavailable, name + " wrote no ready-file: " + tail(child.err_path));
}

std::vector<std::string> Cluster::tls_args(const std::string& role) const {
  const fs::path& dir = config_.work_dir;  // each role its own certificate (PROTOCOL.md §7.5)
  return {"--tls-cert=" + (dir / (role + ".pem")).string(),
          "--tls-key=" + (dir / (role + "-key.pem")).string(),
          "--tls-ca=" + (dir / "ca.pem").string()};
}

Result<Child> Cluster::spawn_worker(std::size_t index,
                                    const std::vector<std::string>& extra,
                                    const std::string& name) {
  const int i = static_cast<int>(index);
  const Duration interval = index < config_.worker_intervals.size()
                                ? config_.worker_intervals[index]
                                : config_.token_interval;
  const bool mgmt_relayed =
      index < relay_args_.size() &&
      std::any_of(relay_args_[index].begin(), relay_args_[index].end(), [](const std::string& a) {
        return a.starts_with("--director-mgmt-addr=");
      });
  std::vector<std::string> w = {
      "--label=" + worker_label(i),
      "--user-addr=127.0.0.1:0",
      "--mgmt-addr=127.0.0.1:0",
      "--token-interval-ms=" + std::to_string(interval / kMillisecond),
      // info: the one "registered with director" line we wait for; no per-token lines.
      "--log-level=info"};
  if (!mgmt_relayed) {  // else relay_args_ names the relay in front of the director
    w.push_back("--director-mgmt-addr=" + director_.mgmt_addr);
  }
  if (i == 0 && config_.error_after != 0) {
    w.push_back("--fail-mode=error");
    w.push_back("--fail-after-ms=" + std::to_string(config_.error_after / kMillisecond));
  } else if (std::none_of(extra.begin(), extra.end(), [](const std::string& a) {
               return a.starts_with("--fail-after-ms");
             })) {
    w.push_back("--fail-after-ms=0");
  }
  const std::vector<std::string> tls = tls_args("worker");
  w.insert(w.end(), tls.begin(), tls.end());
  if (index < relay_args_.size()) {
    w.insert(w.end(), relay_args_[index].begin(), relay_args_[index].end());
  }
  w.insert(w.end(), config_.worker_args.begin(), config_.worker_args.end());
  w.insert(w.end(), extra.begin(), extra.end());
  return spawn(name,
               config_.bin_dir / "worker" / "connswap-worker",
               w,
               true,
               index == 0 ? std::string() : config_.standby_wrapper);
}

Result<void> Cluster::start_relays(std::size_t index) {
  relay_args_.resize(std::max(relay_args_.size(), index + 1));
  const std::string label = worker_label(static_cast<int>(index));
  const fs::path exe = config_.bin_dir / "impair" / "connswap-impair";
  const std::string seed = std::to_string(config_.relay_seed + 2 * index);
  if (config_.user_loss > 0) {
    // The worker's USER port is known once it has bound: the relay reads its ready-file.
    const std::string target = "@" + (config_.work_dir / (label + ".ready")).string() + "#user";
    auto relay = spawn("relay-user-" + label,
                       exe,
                       {"--link=user,127.0.0.1:0," + target,
                        "--loss=" + std::to_string(config_.user_loss),
                        "--seed=" + seed,
                        "--log-level=warn"},
                       true);
    if (!relay) {
      return Unexpected(relay.error());
    }
    relays_.push_back(*relay);
    relay_args_[index].push_back("--advertise-user-addr=" + relay->user_addr);
  }
  if (index == 0 && config_.relay_worker0_mgmt) {
    auto relay = spawn("relay-mgmt-" + label,
                       exe,
                       {"--link=mgmt,127.0.0.1:0," + director_.mgmt_addr,
                        "--signal-blackhole-ms=3600000",
                        "--seed=" + std::to_string(config_.relay_seed + 2 * index + 1),
                        "--log-level=warn"},
                       true);
    if (!relay) {
      return Unexpected(relay.error());
    }
    relays_.push_back(*relay);
    mgmt_relay_ = relay->pid;
    relay_args_[index].push_back("--director-mgmt-addr=" + relay->mgmt_addr);
  }
  return {};
}

bool Cluster::partition() {
  return send_signal(mgmt_relay_, SIGUSR1);
}

Result<void> Cluster::start(const SpawnConfig& config) {
  config_ = config;
  const fs::path& dir = config.work_dir;
  auto certs = spawn("certs", config.bin_dir / "certs" / "connswap-certs", {"--out", dir}, false);
  if (!certs) {
    return Unexpected(certs.error());
  }
  int status = 0;
  ::waitpid(certs->pid, &status, 0);
  std::erase(children_, certs->pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(Errc::kIo, "connswap-certs failed: " + tail(certs->err_path));
  }
  std::vector<std::string> args = {"--user-addr=127.0.0.1:0",
                                   "--mgmt-addr=127.0.0.1:0",
                                   "--log-level=" + config_.director_log_level};
  const std::vector<std::string> tls = tls_args("director");
  args.insert(args.end(), tls.begin(), tls.end());
  args.insert(args.end(), config.director_args.begin(), config.director_args.end());
  auto director = spawn("director",
                        config.bin_dir / "director" / "connswap-director",
                        args,
                        true,
                        config.director_wrapper);
  if (!director) {
    return Unexpected(director.error());
  }
  director_ = *director;
  for (int i = 0; i < config.workers; ++i) {
    const auto index = static_cast<std::size_t>(i);
    CONNSWAP_TRY(start_relays(index));
    const std::vector<std::string> none;
    auto worker =
        spawn_worker(index,
                     index < config.per_worker_args.size() ? config.per_worker_args[index] : none,
                     worker_label(i));
    if (!worker) {
      return Unexpected(worker.error());
    }
    workers_.push_back(*worker);
  }
  // Registered: the worker logs it once (RegistrationClient, info).
  const auto until = steady_clock::now() + kReadyBudget;
  for (const Child& w : workers_) {
    while (read_text(w.err_path).find("registered with director") == std::string::npos) {
      if (steady_clock::now() >= until || exited(w.pid)) {
        return make_error(Errc::kUnavailable, w.name + " did not register: " + tail(w.err_path));
      }
      std::this_thread::sleep_for(kPoll);
    }
  }
  return {};
}

Result<void> Cluster::restart_worker(std::size_t index, const std::vector<std::string>& extra) {
  if (index >= workers_.size()) {
    return make_error(Errc::kInvalidArgument, "no such worker");
  }
  const std::string label = worker_label(static_cast<int>(index));
  auto worker = spawn_worker(index, extra, label + "." + std::to_string(++restarts_));
  if (!worker) {
    return Unexpected(worker.error());
  }
  workers_[index] = *worker;
  return {};
}

Result<void> Cluster::restart_director() {
  std::vector<std::string> args = {"--user-addr=" + director_.user_addr,
                                   "--mgmt-addr=" + director_.mgmt_addr,
                                   "--log-level=" + config_.director_log_level};
  const std::vector<std::string> tls = tls_args("director");
  args.insert(args.end(), tls.begin(), tls.end());
  args.insert(args.end(), config_.director_args.begin(), config_.director_args.end());
  auto director = spawn("director." + std::to_string(++restarts_),
                        config_.bin_dir / "director" / "connswap-director",
                        args,
                        true,
                        config_.director_wrapper);
  if (!director) {
    return Unexpected(director.error());
  }
  director_ = *director;
  return {};
}

bool Cluster::reap(pid_t pid) {
  if (std::find(children_.begin(), children_.end(), pid) == children_.end()) {
    return true;
  }
  if (!exited(pid)) {
    return false;
  }
  std::erase(children_, pid);
  return true;
}

void Cluster::stop(milliseconds budget) {
  // Workers first (a draining worker waits for its streams), then the director.
  std::vector<pid_t> order;
  for (const Child& w : workers_) {
    order.push_back(w.pid);
  }
  order.push_back(director_.pid);
  for (const Child& r : relays_) {
    order.push_back(r.pid);
  }
  for (pid_t pid : order) {
    if (std::find(children_.begin(), children_.end(), pid) == children_.end()) {
      continue;
    }
    ::kill(-pid, SIGCONT);  // a SIGSTOPped child cannot act on SIGTERM
    ::kill(-pid, SIGTERM);  // the group: a wrapper and what it runs
  }
  const auto until = steady_clock::now() + budget;
  for (pid_t pid : order) {
    if (std::find(children_.begin(), children_.end(), pid) == children_.end()) {
      continue;
    }
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (steady_clock::now() >= until) {
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(kPoll);
    }
    std::erase(children_, pid);
    ::kill(-pid, SIGKILL);  // anything left in its group (a wrapped program)
  }
}

}  // namespace connswap::bench
