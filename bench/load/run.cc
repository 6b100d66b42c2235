#include "run.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "cluster.h"
#include "load.h"
#include "net/loop.h"
#include "proc_stats.h"
#include "report.h"

namespace connswap::bench {
namespace {

namespace fs = std::filesystem;
constexpr auto kTick = std::chrono::milliseconds(50);

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kKill:
      return "kill";
    case Fault::kStop:
      return "stop";
    case Fault::kTerm:
      return "term";
    case Fault::kError:
      return "error";
  }
  return "?";
}

double seconds_between(Timestamp a, Timestamp b) {
  return static_cast<double>(b - a) / static_cast<double>(kSecond);
}

Duration from_seconds(double s) {
  return static_cast<Duration>(s * static_cast<double>(kSecond));
}

int fail(const std::string& message) {
  std::fprintf(stderr, "connswap-bench: error: %s\n", message.c_str());
  return 1;
}

// A process watched over the window: CPU between two samples, RSS at the end and its max.
struct Watched {
  ProcReport report;
  ProcSample before;
  bool ok = false;
};

void begin(Watched& w) {
  if (auto s = sample_process(w.report.pid)) {
    w.before = *s;
    w.ok = true;
  }
}

void observe(Watched& w) {
  if (auto s = sample_process(w.report.pid)) {
    w.report.rss_max = std::max(w.report.rss_max, s->rss_bytes);
  }
}

void end(Watched& w, double wall) {
  if (auto s = sample_process(w.report.pid); s && w.ok) {
    w.report.cpu_percent = cpu_percent(w.before, *s, wall);
    w.report.rss = s->rss_bytes;
    w.report.rss_max = std::max(w.report.rss_max, s->rss_bytes);
  }
}

class Progress_line {
 public:
  Progress_line(bool quiet, std::uint64_t streams) : quiet_(quiet), streams_(streams) {}
  void show(const char* phase, double t, const Progress& p, const Watched* director) {
    if (quiet_) {
      return;
    }
    const std::uint64_t tokens = p.tokens.load(std::memory_order_relaxed);
    const double rate =
        t > last_t_ ? static_cast<double>(tokens - last_tokens_) / (t - last_t_) : 0;
    last_t_ = t;
    last_tokens_ = tokens;
    std::string line = fmt::format(
        "[{:6.1f}s] {:<8} streams {}/{} flowing {} ended {} tokens/s {:.0f} migrations {}",
        t,
        phase,
        p.streams_started.load(),
        streams_,
        p.streams_flowing.load(),
        p.streams_ended.load(),
        rate,
        p.migrations.load());
    if (director != nullptr) {
      if (auto s = sample_process(director->report.pid)) {
        line +=
            fmt::format(" director rss {:.1f} MiB", static_cast<double>(s->rss_bytes) / 1048576.0);
      }
    }
    std::fprintf(stderr, isatty(2) ? "\r%s\033[K" : "%s\n", line.c_str());
    std::fflush(stderr);
  }
  void done() {
    if (!quiet_ && isatty(2)) {
      std::fprintf(stderr, "\n");
    }
  }

 private:
  bool quiet_;
  std::uint64_t streams_;
  double last_t_ = 0;
  std::uint64_t last_tokens_ = 0;
};

}  // namespace

int run_bench(const BenchArgs& args) {
  const bool spawn = args.director.empty() && args.worker.empty();
  if (!spawn && args.fail == Fault::kError) {
    return fail("--fail error needs a started cluster (it sets --fail-mode on worker-a)");
  }
  if (!spawn && args.fail != Fault::kNone && args.fail_pid <= 0) {
    return fail("--fail with a running target needs --fail-pid");
  }
  Report report;
  report.load_start = load_average();
  report.target = (args.direct || !args.worker.empty()) ? "worker" : "director";
  report.spawned = spawn;
  report.connections = args.connections;
  report.streams_per_connection = args.streams;
  report.threads = args.threads;
  report.workers = spawn ? args.workers : 0;
  report.interval_ms = static_cast<double>(args.interval) / static_cast<double>(kMillisecond);
  report.warmup = args.warmup;
  report.fail = fault_name(args.fail);
  const std::uint64_t total_streams =
      static_cast<std::uint64_t>(args.connections) * static_cast<std::uint64_t>(args.streams);
  const double fail_at = args.fail_at >= 0 ? args.fail_at : args.seconds / 2;
  report.fail_at = args.fail == Fault::kNone ? 0 : fail_at;

  // The cluster (started here) or the running target.
  Cluster cluster;
  fs::path work_dir = args.work_dir;
  bool temp_dir = false;
  std::string remote = !args.director.empty() ? args.director : args.worker;
  std::string ca = args.tls_ca;
  Watched director;
  std::vector<Watched> workers;
  pid_t fail_pid = args.fail_pid;
  // Opening the streams must end before a scheduled in-band error (--fail error).
  const double open_budget = 5 + static_cast<double>(total_streams) / 1000.0;
  Timestamp error_due = kNever;
  if (spawn) {
    if (work_dir.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "connswap-bench.XXXXXX").string();
      if (::mkdtemp(tmpl.data()) == nullptr) {
        return fail("cannot make a temporary directory");
      }
      work_dir = tmpl;
      temp_dir = true;
    }
    fs::create_directories(work_dir);
    SpawnConfig sc;
    sc.bin_dir = args.bin_dir.empty() ? self_dir() / ".." / ".." / "apps" : fs::path(args.bin_dir);
    sc.work_dir = work_dir;
    sc.workers = args.workers;
    sc.token_interval = args.interval;
    sc.director_args = args.director_args;
    sc.director_wrapper = args.director_wrapper;
    sc.worker_args = args.worker_args;
    if (args.fail == Fault::kError) {
      sc.error_after = from_seconds(open_budget + args.warmup + fail_at);
      error_due = net::clock_now() + sc.error_after;  // worker-a starts just after this
    }
    if (auto ok = cluster.start(sc); !ok) {
      return fail(ok.error().message() + " (logs in " + work_dir.string() + ")");
    }
    director.report = {.name = "director", .pid = cluster.director().pid};
    for (const Child& w : cluster.workers()) {
      Watched watched;
      watched.report = {.name = w.name, .pid = w.pid};
      workers.push_back(watched);
    }
    fail_pid = cluster.workers().front().pid;
    remote = args.direct ? cluster.workers().front().user_addr : cluster.director().user_addr;
    ca = cluster.ca_file().string();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // settle before idle RSS
  } else if (args.pid > 0) {
    director.report = {.name = report.target, .pid = args.pid};
  }
  const bool watch_director = director.report.pid > 0;
  if (watch_director) {
    if (auto s = sample_process(director.report.pid)) {
      director.report.rss_idle = s->rss_bytes;
    }
  }
  for (Watched& w : workers) {
    if (auto s = sample_process(w.report.pid)) {
      w.report.rss_idle = s->rss_bytes;
    }
  }

  LoadConfig lc;
  lc.target = report.target == "worker" ? Target::kWorker : Target::kDirector;
  auto address = Address::parse(remote);
  if (!address) {
    return fail("bad target address '" + remote + "'");
  }
  lc.remote = *address;
  lc.server_name = args.server_name;
  quic::ClientTlsOptions tls;
  tls.ca_file = ca.empty() ? "certs/ca.pem" : ca;
  auto ctx = quic::TlsContext::make_client(tls);
  if (!ctx) {
    return fail("TLS (--tls-ca " + tls.ca_file + "): " + ctx.error().message());
  }
  lc.tls = *ctx;
  lc.connections = args.connections;
  lc.streams_per_connection = args.streams;
  lc.threads = std::min(args.threads, args.connections);
  lc.max_tokens = args.max_tokens;
  lc.interval = args.interval;
  report.threads = lc.threads;

  Window window;
  Progress progress;
  Progress_line line(args.quiet, total_streams);
  std::vector<std::unique_ptr<LoadThread>> threads;
  const Timestamp t0 = net::clock_now();
  for (int i = 0; i < lc.threads; ++i) {
    threads.push_back(std::make_unique<LoadThread>(lc, i, window, progress));
    threads.back()->start();
  }
  auto stop_threads = [&] {
    window.stop = true;
    LoadResult all;
    for (auto& t : threads) {
      all.merge(t->join());
    }
    return all;
  };

  // Every stream flowing (a first token), within a budget.
  const Timestamp open_until = t0 + from_seconds(open_budget);
  int ticks = 0;
  while (progress.streams_flowing.load() < total_streams) {
    if (net::clock_now() >= open_until ||
        progress.streams_ended.load() + progress.streams_flowing.load() >= total_streams) {
      stop_threads();
      return fail(fmt::format("only {} of {} streams flowing after {:.1f} s (logs: {})",
                              progress.streams_flowing.load(),
                              total_streams,
                              open_budget,
                              work_dir.string()));
    }
    std::this_thread::sleep_for(kTick);
    if (++ticks % 20 == 0) {
      line.show("opening", seconds_between(t0, net::clock_now()), progress, nullptr);
    }
  }
  report.setup_seconds = seconds_between(t0, net::clock_now());

  // Warm-up, then the window. A scheduled in-band error fixes where the window starts.
  Timestamp start = net::clock_now() + from_seconds(args.warmup);
  if (error_due != kNever) {
    if (error_due - from_seconds(fail_at) < start) {
      stop_threads();
      return fail("streams opened too late for the scheduled --fail error");
    }
    start = error_due - from_seconds(fail_at);
  }
  ticks = 0;
  while (net::clock_now() < start) {
    std::this_thread::sleep_for(kTick);
    if (++ticks % 20 == 0) {
      line.show("warmup", seconds_between(t0, net::clock_now()), progress, nullptr);
    }
  }
  const Timestamp end_at = start + from_seconds(args.seconds);
  const Timestamp fault_at = args.fail == Fault::kNone ? kNever : start + from_seconds(fail_at);
  Watched self;
  self.report = {.name = "bench", .pid = ::getpid()};
  begin(self);
  begin(director);
  for (Watched& w : workers) {
    begin(w);
  }
  window.start = start;
  window.end = end_at;
  bool injected = false;
  Timestamp injected_at = kNever;
  ticks = 0;
  for (Timestamp now = net::clock_now(); now < end_at; now = net::clock_now()) {
    if (!injected && now >= fault_at) {
      injected = true;
      injected_at = now;
      const int signo = args.fail == Fault::kKill   ? SIGKILL
                        : args.fail == Fault::kStop ? SIGSTOP
                        : args.fail == Fault::kTerm ? SIGTERM
                                                    : 0;
      if (signo != 0 && !send_signal(fail_pid, signo)) {
        std::fprintf(stderr, "connswap-bench: warning: pid %d is gone\n", fail_pid);
      }
    }
    const auto next = std::min<Timestamp>(end_at, now + 50 * kMillisecond);
    std::this_thread::sleep_for(std::chrono::nanoseconds(next - now));
    if (watch_director) {
      observe(director);
    }
    if (++ticks % 20 == 0) {
      line.show("measure",
                seconds_between(start, net::clock_now()),
                progress,
                watch_director ? &director : nullptr);
    }
  }
  const double wall = seconds_between(start, net::clock_now());
  end(self, wall);
  end(director, wall);
  for (Watched& w : workers) {
    end(w, wall);
  }
  report.load = stop_threads();
  line.done();
  report.seconds = seconds_between(start, end_at);
  report.bench_cpu_percent = self.report.cpu_percent;
  if (watch_director) {
    report.director = director.report;
  }
  for (Watched& w : workers) {
    report.workers_proc.push_back(w.report);
  }
  report.load_end = load_average();
  if (args.fail == Fault::kError) {
    injected_at = error_due;
  }
  report.fault_at = injected ? injected_at : kNever;
  if (spawn) {
    cluster.stop(std::chrono::milliseconds(3000));
  }

  const std::string table = to_table(report);
  const std::string json = to_json(report);
  std::fprintf(args.json == "-" ? stderr : stdout, "%s", table.c_str());
  if (args.json == "-") {
    std::printf("%s\n", json.c_str());
  } else if (!args.json.empty()) {
    std::ofstream(args.json) << json << "\n";
  }
  int status = report.load.window_tokens > 0 ? 0 : 1;
  if (!args.plot.empty()) {
    if (auto ok = plot(report, injected ? injected_at : kNever, args.plot); !ok) {
      std::fprintf(stderr, "connswap-bench: %s\n", ok.error().message().c_str());
      status = 1;
    }
  }
  if (temp_dir && !args.keep && status == 0) {
    std::error_code ec;
    fs::remove_all(work_dir, ec);
  } else if (spawn) {
    std::fprintf(stderr, "connswap-bench: logs in %s\n", work_dir.string().c_str());
  }
  return status;
}

}  // namespace connswap::bench
