#include "soak.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../load/cluster.h"
#include "faults.h"
#include "net/loop.h"
#include "traffic.h"

extern char** environ;

namespace connswap::soak {
namespace {

namespace fs = std::filesystem;
using bench::Cluster;

constexpr auto kTick = std::chrono::milliseconds(20);
constexpr Duration kTermBudget = 20 * kSecond;  // a draining worker exits within this
constexpr Duration kAttributeSlack = 200 * kMillisecond;
// The director's --failure-hold-ms default: a worker it saw fail gets no stream for this long.
constexpr Duration kHold = 5 * kSecond;
constexpr Duration kRejoin = 1 * kSecond;  // a restarted worker is up and registered within this
constexpr Duration kDrain = 3 * kSecond;   // a SIGTERMed worker hands its streams over within this

double secs(Duration d) {
  return static_cast<double>(d) / static_cast<double>(kSecond);
}

// Runs `exe args...` to the end; true if it exited 0.
bool run_tool(const fs::path& exe, std::vector<std::string> args) {
  std::string path = exe.string();
  std::vector<char*> argv = {path.data()};
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    return false;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

enum class State : std::uint8_t { kUp, kDown, kStopped, kDraining };

// A process the soak hurts: its state and when the soak acts on it next.
struct Target {
  std::string name;
  State state = State::kUp;
  Timestamp due = kNever;  // kDown: restart; kStopped: SIGCONT; kDraining: SIGKILL
  // Its in-band error fires in [error_from, error_at] (workers, this incarnation: the
  // worker's timer starts between our spawn call and its ready-file).
  Timestamp error_from = kNever;
  Timestamp error_at = kNever;
  Duration error_after = 0;
};

class Soak {
 public:
  explicit Soak(const SoakArgs& args) : args_(args), dice_(args.seed) {}

  Result<void> start();
  void run();
  int finish();

 private:
  void log_fault(FaultKind kind,
                 const std::string& target,
                 const std::string& note,
                 Timestamp earliest = kNever);
  void inject(Timestamp now);
  void tend(Timestamp now);
  std::vector<std::string> arm_error(std::size_t worker, Timestamp now);
  void armed(std::size_t worker, Timestamp now);
  void restart_worker(std::size_t i, Timestamp now);
  void show(Timestamp now);

  const SoakArgs& args_;
  Dice dice_;
  Cluster cluster_;
  fs::path work_dir_;
  bool temp_dir_ = false;
  bool clean_elsewhere(std::size_t x, Timestamp from, Timestamp to, bool now_up) const;
  void book(std::size_t worker, Timestamp from, Timestamp to);

  std::vector<Target> workers_;
  // Per worker: when the director may not use it (a fault, its detection, the failure hold,
  // a restart). Every fault leaves another worker outside these: see inject().
  std::vector<std::vector<std::pair<Timestamp, Timestamp>>> busy_;
  Timestamp director_fault_ = 0;
  Target director_{.name = "director"};
  std::vector<Fault> faults_;
  std::unique_ptr<Traffic> traffic_;
  TrafficResult result_;
  Timestamp t0_ = 0;
  Timestamp next_fault_ = kNever;
  std::uint64_t restart_failures_ = 0;
  std::string restart_error_;
};

void Soak::log_fault(FaultKind kind,
                     const std::string& target,
                     const std::string& note,
                     Timestamp earliest) {
  const Timestamp now = net::clock_now();
  faults_.push_back({now, kind, target, std::min(earliest, now)});
  std::printf("[%8.3fs] fault %-8s %-10s %s\n",
              secs(now - t0_),
              to_string(kind),
              target.c_str(),
              note.c_str());
  std::fflush(stdout);
}

// True if some worker other than `x` is outside every busy interval over [from, to] (and,
// with `now_up`, running now).
bool Soak::clean_elsewhere(std::size_t x, Timestamp from, Timestamp to, bool now_up) const {
  for (std::size_t y = 0; y < workers_.size(); ++y) {
    if (y == x || (now_up && workers_[y].state != State::kUp)) {
      continue;
    }
    const bool overlaps = std::any_of(busy_[y].begin(), busy_[y].end(), [&](const auto& b) {
      return b.first <= to && from <= b.second;
    });
    if (!overlaps) {
      return true;
    }
  }
  return false;
}

void Soak::book(std::size_t worker, Timestamp from, Timestamp to) {
  auto& b = busy_[worker];
  const Timestamp past = net::clock_now() - kSecond;
  std::erase_if(b, [&](const auto& i) { return i.second < past; });
  b.emplace_back(from, to);
}

// A worker start may carry a seeded in-band error (--fail-mode error) 3-15 s later,
// unavailable 0.5-1.5 s: armed only if another worker stays clean over its hold, and
// counted as a fault if that incarnation is still alive then.
// The spawn returned: the armed error fires by now + its delay.
void Soak::armed(std::size_t worker, Timestamp now) {
  if (workers_[worker].error_after != 0) {
    workers_[worker].error_at = now + workers_[worker].error_after;
  }
}

std::vector<std::string> Soak::arm_error(std::size_t worker, Timestamp now) {
  const Duration after = dice_.between(3 * kSecond, 15 * kSecond);
  const Duration recovery = dice_.between(500 * kMillisecond, 1500 * kMillisecond);
  Target& w = workers_[worker];
  w.error_after = 0;
  w.error_at = kNever;
  const Timestamp from = now + after;
  const Timestamp to = from + kRejoin + recovery + args_.stall + kHold;
  if (!clean_elsewhere(worker, from, to, false)) {
    return {};  // no error this time: it could take out the last clean worker
  }
  book(worker, from, to);
  w.error_from = from;  // armed() sets error_at once it is up
  w.error_after = after;
  return {"--fail-mode=error",
          "--fail-after-ms=" + std::to_string(after / kMillisecond),
          "--recovery-ms=" + std::to_string(recovery / kMillisecond)};
}

Result<void> Soak::start() {
  if (args_.work_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "connswap-soak.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return make_error(Errc::kIo, "cannot make a temporary directory");
    }
    work_dir_ = tmpl;
    temp_dir_ = true;
  } else {
    work_dir_ = args_.work_dir;
    fs::create_directories(work_dir_);
  }
  bench::SpawnConfig sc;
  sc.bin_dir =
      args_.bin_dir.empty() ? bench::self_dir() / ".." / ".." / "apps" : fs::path(args_.bin_dir);
  sc.work_dir = work_dir_;
  sc.workers = args_.workers;
  sc.director_log_level = args_.director_log_level;
  const fs::path keys = work_dir_ / "cluster.keys";
  if (!run_tool(sc.bin_dir / "keys" / "connswap-keys", {"--out", keys.string(), "--id", "soak"})) {
    return make_error(Errc::kIo, "connswap-keys failed");
  }
  // One director, restarted on its own ports: see docs/RELIABILITY.md "Chaos soak".
  sc.director_args = {"--cluster-key-file=" + keys.string(),
                      "--worker-wait-ms=15000",
                      "--resume-every-tokens=10",
                      "--min-stall-ms=" + std::to_string(args_.stall / kMillisecond),
                      // Demo workers send a first token within one interval: one deadline
                      // for every stall, so "hung" (2x it) means one thing.
                      "--first-token-timeout-ms=" + std::to_string(args_.stall / kMillisecond),
                      // A restarted director has no worker until each registers again; with
                      // the 5 s default, director-fault gaps reached 4.0 s (docs/RELIABILITY.md).
                      "--heartbeat-interval-ms=1000"};
  t0_ = net::clock_now();
  for (int i = 0; i < args_.workers; ++i) {
    const auto index = static_cast<std::size_t>(i);
    workers_.push_back({});
    busy_.emplace_back();
    const Duration spread =
        args_.workers > 1 ? (args_.max_interval - args_.min_interval) / (args_.workers - 1) : 0;
    sc.worker_intervals.push_back(args_.min_interval + spread * i);
    sc.per_worker_args.push_back(arm_error(index, t0_));
  }
  CONNSWAP_TRY(cluster_.start(sc));
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].name = cluster_.workers()[i].name;
    armed(i, net::clock_now());
  }
  quic::ClientTlsOptions tls;
  tls.ca_file = cluster_.ca_file().string();
  auto ctx = quic::TlsContext::make_client(tls);
  if (!ctx) {
    return make_error(Errc::kInvalidArgument, "TLS: " + ctx.error().message());
  }
  TrafficConfig tc;
  tc.remote = *Address::parse(cluster_.director().user_addr);
  tc.tls = *ctx;
  tc.connections = args_.connections;
  tc.streams = args_.streams;
  tc.min_tokens = args_.min_tokens;
  tc.max_tokens = args_.max_tokens;
  tc.seed = args_.seed;
  tc.hung_after = 2 * args_.stall;
  traffic_ = std::make_unique<Traffic>(tc);
  traffic_->start();
  return {};
}

void Soak::restart_worker(std::size_t i, Timestamp now) {
  if (auto ok = cluster_.restart_worker(i, arm_error(i, now)); !ok) {
    ++restart_failures_;
    restart_error_ = ok.error().message();
    workers_[i].due = now + kSecond;  // try again
    return;
  }
  workers_[i].state = State::kUp;
  workers_[i].due = kNever;
  armed(i, net::clock_now());
}

// Restarts, SIGCONTs, overdue drains, and in-band errors firing.
void Soak::tend(Timestamp now) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Target& w = workers_[i];
    const pid_t pid = cluster_.workers()[i].pid;
    // A stopped worker's error fires once it runs again.
    if (w.state == State::kUp && now >= w.error_at) {
      w.error_at = kNever;
      log_fault(FaultKind::kError, w.name, "(in-band error armed at start)", w.error_from);
    }
    if (w.state == State::kStopped && now >= w.due) {
      bench::send_signal(pid, SIGCONT);
      w.state = State::kUp;
      std::printf("[%8.3fs]       cont     %s\n", secs(now - t0_), w.name.c_str());
    } else if (w.state == State::kDraining) {
      if (cluster_.reap(pid)) {
        w.state = State::kDown;
        w.due = now + dice_.between(200 * kMillisecond, kSecond);
      } else if (now >= w.due) {
        bench::send_signal(pid, SIGKILL);
        std::printf("[%8.3fs]       %s did not exit after SIGTERM: SIGKILL\n",
                    secs(now - t0_),
                    w.name.c_str());
        w.due = now + kSecond;
      }
    } else if (w.state == State::kDown && now >= w.due && cluster_.reap(pid)) {
      restart_worker(i, now);
    }
  }
  if (director_.state == State::kDown && now >= director_.due &&
      cluster_.reap(cluster_.director().pid)) {
    if (auto ok = cluster_.restart_director(); !ok) {
      ++restart_failures_;
      restart_error_ = ok.error().message();
      director_.due = now + kSecond;
    } else {
      director_.state = State::kUp;
      std::printf("[%8.3fs]       director restarted on its ports\n", secs(net::clock_now() - t0_));
    }
  }
}

// The next scheduled fault. A worker fault needs a target that is running and clean, and
// another worker that stays clean (running, no fault, no failure hold) while the target is
// out: faults never take the whole cluster down at once, so a stream that waits past 2x
// the stall deadline is the system's doing, not the plan's. Otherwise the director is hit
// (at most every 10 s), or nothing.
void Soak::inject(Timestamp now) {
  next_fault_ = now + dice_.between(args_.fault_min, args_.fault_max);
  FaultKind kind = dice_.next_kind();
  Duration down = 0;  // until restart / SIGCONT / drained
  Timestamp out_until = now;
  switch (kind) {
    case FaultKind::kKill:
      down = dice_.between(300 * kMillisecond, 1500 * kMillisecond);
      out_until = now + down + kRejoin + args_.stall + kHold;
      break;
    case FaultKind::kStop:
      down = dice_.between(500 * kMillisecond, 4 * kSecond);
      out_until = now + std::max(down, args_.stall) + kHold;
      break;
    case FaultKind::kTerm:
      out_until = now + kDrain + kSecond + kRejoin + args_.stall + kHold;
      break;
    default:
      break;
  }
  // Never two workers stopped at once: a stream leaving one (after the stall deadline) could
  // land on the other before it too is found stalled, and wait twice the deadline.
  const bool stopped = std::any_of(
      workers_.begin(), workers_.end(), [](const Target& w) { return w.state == State::kStopped; });
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; kind != FaultKind::kDirector && !(kind == FaultKind::kStop && stopped) &&
                          i < workers_.size();
       ++i) {
    const bool busy_now = std::any_of(busy_[i].begin(), busy_[i].end(), [&](const auto& b) {
      return b.first <= now && now <= b.second;
    });
    if (workers_[i].state == State::kUp && !busy_now && clean_elsewhere(i, now, out_until, true)) {
      candidates.push_back(i);
    }
  }
  if (kind != FaultKind::kDirector && candidates.empty()) {
    kind = FaultKind::kDirector;
  }
  if (kind == FaultKind::kDirector) {
    if (director_.state != State::kUp || now < director_fault_ + 10 * kSecond) {
      std::printf("[%8.3fs]       (no fault: no clean target)\n", secs(now - t0_));
      return;
    }
    bench::send_signal(cluster_.director().pid, SIGKILL);
    director_.state = State::kDown;
    director_.due = now + dice_.between(200 * kMillisecond, kSecond);
    director_fault_ = now;
    log_fault(kind, "director", "SIGKILL, restart on the same ports");
    return;
  }
  const std::size_t i = candidates[dice_.pick(candidates.size())];
  Target& w = workers_[i];
  const pid_t pid = cluster_.workers()[i].pid;
  book(i, now, out_until);
  switch (kind) {
    case FaultKind::kKill:
      bench::send_signal(pid, SIGKILL);
      w.state = State::kDown;
      w.due = now + down;
      log_fault(
          kind, w.name, "SIGKILL, restart after " + std::to_string(down / kMillisecond) + " ms");
      break;
    case FaultKind::kStop:
      bench::send_signal(pid, SIGSTOP);
      w.state = State::kStopped;
      w.due = now + down;
      log_fault(
          kind, w.name, "SIGSTOP, SIGCONT after " + std::to_string(down / kMillisecond) + " ms");
      break;
    default:
      bench::send_signal(pid, SIGTERM);
      w.state = State::kDraining;
      w.due = now + kTermBudget;
      log_fault(FaultKind::kTerm, w.name, "SIGTERM (drain), restart once it exits");
      break;
  }
  if (kind != FaultKind::kStop) {
    w.error_at = kNever;  // this incarnation ends before its armed error
  }
}

void Soak::show(Timestamp now) {
  if (args_.quiet) {
    return;
  }
  const TrafficProgress& p = traffic_->progress();
  std::fprintf(
      stderr,
      "[%8.3fs] tokens %llu verified %llu open %llu interrupted %llu hung %llu failed %llu\n",
      secs(now - t0_),
      static_cast<unsigned long long>(p.tokens.load()),
      static_cast<unsigned long long>(p.verified.load()),
      static_cast<unsigned long long>(p.open.load()),
      static_cast<unsigned long long>(p.interrupted.load()),
      static_cast<unsigned long long>(p.hung.load()),
      static_cast<unsigned long long>(p.failed.load()));
}

void Soak::run() {
  const Timestamp begin = net::clock_now();
  const Timestamp end = begin + static_cast<Duration>(args_.seconds * static_cast<double>(kSecond));
  next_fault_ = begin + dice_.between(args_.fault_min, args_.fault_max);
  Timestamp next_show = begin + 5 * kSecond;
  for (Timestamp now = begin; now < end; now = net::clock_now()) {
    if (now >= next_fault_) {
      inject(now);
    }
    tend(now);
    if (now >= next_show) {
      show(now);
      next_show = now + 5 * kSecond;
    }
    std::this_thread::sleep_for(kTick);
  }
  // Quiet time: everything back up, then a few seconds for the streams to settle.
  for (Target& w : workers_) {
    if (w.state == State::kStopped) {
      w.due = 0;
    }
  }
  const Timestamp settle_until = net::clock_now() + 2 * args_.stall + 2 * kSecond;
  for (Timestamp now = net::clock_now(); now < settle_until; now = net::clock_now()) {
    tend(now);
    std::this_thread::sleep_for(kTick);
  }
  result_ = traffic_->stop();
}

// Percentile `q` of sorted `v` (nearest rank).
double pct(const std::vector<Duration>& v, double q) {
  if (v.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(rank, v.size() - 1)]) / static_cast<double>(kMillisecond);
}

int Soak::finish() {
  cluster_.stop(std::chrono::milliseconds(5000));
  const TrafficResult& r = result_;
  std::map<std::string, std::vector<Duration>> gaps;
  for (const Gap& g : r.gaps) {
    gaps[attribute(g, faults_, kAttributeSlack)].push_back(g.to - g.from);
  }
  std::map<std::string, int> counts;
  for (const Fault& f : faults_) {
    ++counts[to_string(f.kind)];
  }
  std::printf("soak seed=%llu seconds=%.0f workers=%d connections=%d streams_per_connection=%d\n",
              static_cast<unsigned long long>(args_.seed),
              args_.seconds,
              args_.workers,
              args_.connections,
              args_.streams);
  std::string fault_line;
  for (const auto& [k, n] : counts) {
    fault_line += fmt::format(" {}={}", k, n);
  }
  std::printf("faults %zu:%s\n", faults_.size(), fault_line.c_str());
  std::printf(
      "streams=%llu verified=%llu failed=%llu open_at_end=%llu retried_fresh=%llu tokens=%llu "
      "lost=%llu duplicated=%llu out_of_order=%llu mismatched=%llu protocol_errors=%llu "
      "hung=%llu migrations=%llu resumes=%llu reconnects=%llu restart_failures=%llu\n",
      static_cast<unsigned long long>(r.streams_started),
      static_cast<unsigned long long>(r.streams_verified),
      static_cast<unsigned long long>(r.streams_failed),
      static_cast<unsigned long long>(r.streams_cut),
      static_cast<unsigned long long>(r.retried_fresh),
      static_cast<unsigned long long>(r.tokens),
      static_cast<unsigned long long>(r.lost),
      static_cast<unsigned long long>(r.duplicated),
      static_cast<unsigned long long>(r.out_of_order),
      static_cast<unsigned long long>(r.mismatched),
      static_cast<unsigned long long>(r.protocol_errors),
      static_cast<unsigned long long>(r.hung),
      static_cast<unsigned long long>(r.migrations),
      static_cast<unsigned long long>(r.resumes),
      static_cast<unsigned long long>(r.reconnects),
      static_cast<unsigned long long>(restart_failures_));
  std::printf("gap by fault (ms): %-9s %7s %9s %9s %9s\n", "kind", "gaps", "p50", "p99", "max");
  for (auto& [kind, v] : gaps) {
    std::sort(v.begin(), v.end());
    std::printf("gap by fault (ms): %-9s %7zu %9.1f %9.1f %9.1f\n",
                kind.c_str(),
                v.size(),
                pct(v, 0.5),
                pct(v, 0.99),
                pct(v, 1.0));
  }
  for (const auto& [why, n] : r.retried_why) {
    std::printf("retried fresh (UNAVAILABLE before any item): %llu x \"%s\"\n",
                static_cast<unsigned long long>(n),
                why.c_str());
  }
  for (const std::string& f : r.failures) {
    std::printf("problem: %s\n", f.c_str());
  }
  if (restart_failures_ != 0) {
    std::printf("problem: restart failed: %s\n", restart_error_.c_str());
  }
  const bool bad = r.lost + r.duplicated + r.out_of_order + r.mismatched + r.protocol_errors +
                           r.hung + r.streams_failed + restart_failures_ !=
                       0 ||
                   r.streams_verified == 0;
  std::printf("result=%s\n", bad ? "FAIL" : "ok");
  if (temp_dir_ && !args_.keep && !bad) {
    std::error_code ec;
    fs::remove_all(work_dir_, ec);
  } else {
    std::printf("logs in %s\n", work_dir_.string().c_str());
  }
  return bad ? 1 : 0;
}

}  // namespace

int run_soak(const SoakArgs& args) {
  std::printf("soak seed=%llu (rerun with --seed %llu)\n",
              static_cast<unsigned long long>(args.seed),
              static_cast<unsigned long long>(args.seed));
  std::fflush(stdout);
  Soak soak(args);
  if (auto ok = soak.start(); !ok) {
    std::fprintf(stderr, "connswap-soak: error: %s\n", ok.error().message().c_str());
    return 1;
  }
  soak.run();
  return soak.finish();
}

}  // namespace connswap::soak
