#include "run.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "cluster.h"
#include "http_load.h"
#include "load.h"
#include "metrics_scrape.h"
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
    case Fault::kMgmtPartition:
      return "mgmt-partition";
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

class ProgressLine {
 public:
  ProgressLine(bool quiet, std::uint64_t streams) : quiet_(quiet), streams_(streams) {}
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

// One run's state, phase by phase: prepare() (start or find the target), start_load(),
// wait_flowing(), warm_up(), measure(), finish() (outputs).
class Run {
 public:
  explicit Run(const BenchArgs& args) : args_(args) {}
  ~Run() { stop_threads(); }

  Result<void> prepare();
  Result<void> start_load();
  Result<void> wait_flowing();
  Result<void> warm_up();
  void measure();
  int finish();

 private:
  Result<void> start_cluster();
  Result<void> start_http_load();
  using MakeDriver =
      std::function<std::unique_ptr<Driver>(const LoadConfig&, int, Window&, Progress&)>;
  void start_threads(LoadConfig lc, const MakeDriver& make);
  void inject_fault(Timestamp now);
  void scrape_director();
  LoadResult stop_threads();

  const BenchArgs& args_;
  Report report_;
  bool spawn_ = false;
  std::uint64_t streams_ = 0;
  double fail_at_ = 0;
  double open_budget_ = 0;  // seconds for every stream to flow
  Cluster cluster_;
  fs::path work_dir_;
  bool temp_dir_ = false;
  std::string remote_;
  std::string ca_;
  // --direct to a started worker: its USER port takes calls only from the director role
  // (PROTOCOL.md §7.5), so the bench presents the cluster's director certificate.
  std::string client_cert_;
  std::string client_key_;
  std::string metrics_;  // the director's /metrics HOST:PORT ("" = not scraped)
  pid_t fail_pid_ = -1;
  Timestamp error_due_ = kNever;  // --fail error: when worker-a fails on its own
  Watched director_;
  std::vector<Watched> workers_;
  Watched self_;
  Window window_;
  Progress progress_;
  std::unique_ptr<ProgressLine> line_;
  std::vector<std::unique_ptr<Driver>> threads_;
  Timestamp t0_ = 0;
  Timestamp start_ = 0;
  Timestamp injected_at_ = kNever;
};

Result<void> Run::prepare() {
  const BenchArgs& a = args_;
  spawn_ = a.director.empty() && a.worker.empty();
  if (!spawn_ && a.fail == Fault::kError) {
    return make_error(Errc::kInvalidArgument,
                      "--fail error needs a started cluster (it sets --fail-mode on worker-a)");
  }
  if (!spawn_ && (a.fail == Fault::kMgmtPartition || a.loss_pct > 0)) {
    return make_error(Errc::kInvalidArgument,
                      "--fail mgmt-partition and --loss-pct need a started cluster (relays)");
  }
  if (a.direct && a.loss_pct > 0) {
    return make_error(Errc::kInvalidArgument,
                      "--loss-pct impairs the director's paths to the workers, not --direct");
  }
  if (a.http && (a.direct || !a.worker.empty())) {
    return make_error(Errc::kInvalidArgument, "--http goes through a director's HTTP front");
  }
  if (!spawn_ && a.fail != Fault::kNone && a.fail_pid <= 0) {
    return make_error(Errc::kInvalidArgument, "--fail with a running target needs --fail-pid");
  }
  Report& r = report_;
  r.load_start = load_average();
  r.target = (a.direct || !a.worker.empty()) ? "worker" : "director";
  r.spawned = spawn_;
  r.connections = a.connections;
  r.streams_per_connection = a.streams;
  r.front = a.http ? "http" : "quic";
  // --http: one TCP connection per stream, so the streams are what the threads share.
  r.threads = std::min(a.threads, a.http ? a.connections * a.streams : a.connections);
  r.workers = spawn_ ? a.workers : 0;
  r.interval_ms = static_cast<double>(a.interval) / static_cast<double>(kMillisecond);
  r.warmup = a.warmup;
  r.fail = fault_name(a.fail);
  r.loss_pct = a.loss_pct;
  streams_ = static_cast<std::uint64_t>(a.connections) * static_cast<std::uint64_t>(a.streams);
  fail_at_ = a.fail_at >= 0 ? a.fail_at : a.seconds / 2;
  r.fail_at = a.fail == Fault::kNone ? 0 : fail_at_;
  open_budget_ = 5 + static_cast<double>(streams_) / 1000.0;
  remote_ = !a.director.empty() ? a.director : a.worker;
  ca_ = a.tls_ca;
  fail_pid_ = a.fail_pid;
  metrics_ = a.director_metrics;
  work_dir_ = a.work_dir;
  if (spawn_) {
    CONNSWAP_TRY(start_cluster());
  } else if (a.pid > 0) {
    director_.report = {.name = r.target, .pid = a.pid};
  }
  if (auto s = sample_process(director_.report.pid); s && director_.report.pid > 0) {
    director_.report.rss_idle = s->rss_bytes;
  }
  for (Watched& w : workers_) {
    if (auto s = sample_process(w.report.pid)) {
      w.report.rss_idle = s->rss_bytes;
    }
  }
  return {};
}

Result<void> Run::start_cluster() {
  const BenchArgs& a = args_;
  if (work_dir_.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "connswap-bench.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return make_error(Errc::kIo, "cannot make a temporary directory");
    }
    work_dir_ = tmpl;
    temp_dir_ = true;
  }
  fs::create_directories(work_dir_);
  SpawnConfig sc;
  sc.bin_dir = a.bin_dir.empty() ? self_dir() / ".." / ".." / "apps" : fs::path(a.bin_dir);
  sc.work_dir = work_dir_;
  sc.workers = a.workers;
  sc.token_interval = a.interval;
  sc.director_args = a.director_args;
  if (a.http) {
    sc.director_args.push_back("--http-addr=127.0.0.1:0");
  }
  sc.director_wrapper = a.director_wrapper;
  sc.standby_wrapper = a.standby_wrapper;
  sc.worker_args = a.worker_args;
  sc.user_loss = a.loss_pct / 100.0;
  sc.relay_worker0_mgmt = a.fail == Fault::kMgmtPartition;
  sc.relay_seed = a.relay_seed;
  if (std::none_of(sc.director_args.begin(), sc.director_args.end(), [](const std::string& f) {
        return f.starts_with("--metrics-addr");
      })) {
    sc.director_args.push_back("--metrics-addr=127.0.0.1:0");  // scraped after the window
  }
  if (a.fail == Fault::kError) {
    // Opening the streams must end before the scheduled in-band error.
    sc.error_after = from_seconds(open_budget_ + a.warmup + fail_at_);
    error_due_ = net::clock_now() + sc.error_after;  // worker-a starts just after this
  }
  if (auto ok = cluster_.start(sc); !ok) {
    return make_error(Errc::kUnavailable,
                      ok.error().message() + " (logs in " + work_dir_.string() + ")");
  }
  director_.report = {.name = "director", .pid = cluster_.director().pid};
  for (const Child& w : cluster_.workers()) {
    Watched watched;
    watched.report = {.name = w.name, .pid = w.pid};
    workers_.push_back(watched);
  }
  fail_pid_ = cluster_.workers().front().pid;
  remote_ = a.direct ? cluster_.workers().front().user_addr
            : a.http ? cluster_.director().http_addr
                     : cluster_.director().user_addr;
  if (remote_.empty()) {
    return make_error(Errc::kUnavailable, "the director's ready-file has no http= address");
  }
  ca_ = cluster_.ca_file().string();
  if (a.direct) {
    client_cert_ = (work_dir_ / "director.pem").string();
    client_key_ = (work_dir_ / "director-key.pem").string();
  }
  metrics_ = cluster_.director().metrics_addr;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // settle before idle RSS
  return {};
}

Result<void> Run::start_load() {
  if (args_.http) {
    return start_http_load();
  }
  LoadConfig lc;
  lc.target = report_.target == "worker" ? Target::kWorker : Target::kDirector;
  auto address = Address::parse(remote_);
  if (!address) {
    return make_error(Errc::kInvalidArgument, "bad target address '" + remote_ + "'");
  }
  lc.remote = *address;
  lc.server_name = args_.server_name;
  quic::ClientTlsOptions tls;
  tls.ca_file = ca_.empty() ? "certs/ca.pem" : ca_;
  tls.cert_file = client_cert_;
  tls.key_file = client_key_;
  auto ctx = quic::TlsContext::make_client(tls);
  if (!ctx) {
    return make_error(Errc::kInvalidArgument,
                      "TLS (--tls-ca " + tls.ca_file + "): " + ctx.error().message());
  }
  lc.tls = *ctx;
  start_threads(lc, make_quic_driver);
  return {};
}

Result<void> Run::start_http_load() {
  if (!http_global_init()) {
    return make_error(Errc::kIo, "curl_global_init failed");
  }
  LoadConfig lc;
  lc.http_host = remote_;
  start_threads(lc, make_http_driver);
  return {};
}

// The shape common to both fronts, then one driver per thread, all started.
void Run::start_threads(LoadConfig lc, const MakeDriver& make) {
  lc.connections = args_.connections;
  lc.streams_per_connection = args_.streams;
  lc.threads = report_.threads;
  lc.max_tokens = args_.max_tokens;
  lc.interval = args_.interval;
  line_ = std::make_unique<ProgressLine>(args_.quiet, streams_);
  t0_ = net::clock_now();
  for (int i = 0; i < lc.threads; ++i) {
    threads_.push_back(make(lc, i, window_, progress_));
  }
  for (auto& t : threads_) {
    t->start();
  }
}

// Every stream flowing (a first token), within open_budget_.
Result<void> Run::wait_flowing() {
  const Timestamp until = t0_ + from_seconds(open_budget_);
  for (int ticks = 1; progress_.streams_flowing.load() < streams_; ++ticks) {
    if (net::clock_now() >= until ||
        progress_.streams_ended.load() + progress_.streams_flowing.load() >= streams_) {
      return make_error(
          Errc::kUnavailable,
          fmt::format("{} of {} streams flowing, {} ended, budget {:.1f} s (logs: {})",
                      progress_.streams_flowing.load(),
                      streams_,
                      progress_.streams_ended.load(),
                      open_budget_,
                      work_dir_.empty() ? "none" : work_dir_.string()));
    }
    std::this_thread::sleep_for(kTick);
    if (ticks % 20 == 0) {
      line_->show("opening", seconds_between(t0_, net::clock_now()), progress_, nullptr);
    }
  }
  report_.setup_seconds = seconds_between(t0_, net::clock_now());
  return {};
}

// Waits out --warmup; a scheduled in-band error fixes where the window starts instead.
Result<void> Run::warm_up() {
  start_ = net::clock_now() + from_seconds(args_.warmup);
  if (error_due_ != kNever) {
    if (error_due_ - from_seconds(fail_at_) < start_) {
      return make_error(Errc::kUnavailable,
                        "streams opened too late for the scheduled --fail error");
    }
    start_ = error_due_ - from_seconds(fail_at_);
  }
  for (int ticks = 1; net::clock_now() < start_; ++ticks) {
    std::this_thread::sleep_for(kTick);
    if (ticks % 20 == 0) {
      line_->show("warmup", seconds_between(t0_, net::clock_now()), progress_, nullptr);
    }
  }
  return {};
}

void Run::inject_fault(Timestamp now) {
  injected_at_ = args_.fail == Fault::kError ? error_due_ : now;
  const int signo = args_.fail == Fault::kKill   ? SIGKILL
                    : args_.fail == Fault::kStop ? SIGSTOP
                    : args_.fail == Fault::kTerm ? SIGTERM
                                                 : 0;
  if (signo != 0 && !send_signal(fail_pid_, signo)) {
    std::fprintf(stderr, "connswap-bench: warning: pid %d is gone\n", fail_pid_);
  }
  if (args_.fail == Fault::kMgmtPartition && !cluster_.partition()) {
    std::fprintf(stderr, "connswap-bench: warning: worker-a's MGMT relay is gone\n");
  }
}

// The window: samples the processes, injects the fault on time, shows progress.
void Run::measure() {
  const Timestamp end_at = start_ + from_seconds(args_.seconds);
  const Timestamp fault_at = args_.fail == Fault::kNone ? kNever : start_ + from_seconds(fail_at_);
  const bool watch_director = director_.report.pid > 0;
  self_.report = {.name = "bench", .pid = ::getpid()};
  begin(self_);
  begin(director_);
  for (Watched& w : workers_) {
    begin(w);
  }
  window_.start = start_;
  window_.end = end_at;
  int ticks = 0;
  for (Timestamp now = net::clock_now(); now < end_at; now = net::clock_now()) {
    if (injected_at_ == kNever && now >= fault_at) {
      inject_fault(now);
    }
    const auto next = std::min<Timestamp>(end_at, now + 50 * kMillisecond);
    std::this_thread::sleep_for(std::chrono::nanoseconds(next - now));
    if (watch_director) {
      observe(director_);
    }
    if (++ticks % 20 == 0) {
      line_->show("measure",
                  seconds_between(start_, net::clock_now()),
                  progress_,
                  watch_director ? &director_ : nullptr);
    }
  }
  const double wall = seconds_between(start_, net::clock_now());
  scrape_director();
  end(self_, wall);
  end(director_, wall);
  for (Watched& w : workers_) {
    end(w, wall);
  }
  report_.load = stop_threads();
  line_->done();
  report_.seconds = seconds_between(start_, end_at);
  report_.bench_cpu_percent = self_.report.cpu_percent;
  if (watch_director) {
    report_.director = director_.report;
  }
  for (Watched& w : workers_) {
    report_.workers_proc.push_back(w.report);
  }
  report_.load_end = load_average();
  report_.fault_at = injected_at_;
}

// The director's failover counters at the end of the window (streams still open).
void Run::scrape_director() {
  if (metrics_.empty()) {
    return;
  }
  (void)http_global_init();
  auto lines = scrape_metrics(metrics_, kFailoverMetrics);
  if (!lines) {
    report_.metrics_error = lines.error().detail;
    return;
  }
  report_.director_metrics = std::move(*lines);
}

LoadResult Run::stop_threads() {
  window_.stop = true;
  LoadResult all;
  for (auto& t : threads_) {
    all.merge(t->join());
  }
  threads_.clear();
  return all;
}

// Stops the cluster, writes the table, JSON and plot; returns the exit status.
int Run::finish() {
  if (spawn_) {
    cluster_.stop(std::chrono::milliseconds(3000));
  }
  const std::string table = to_table(report_);
  const std::string json = to_json(report_);
  std::fprintf(args_.json == "-" ? stderr : stdout, "%s", table.c_str());
  if (args_.json == "-") {
    std::printf("%s\n", json.c_str());
  } else if (!args_.json.empty()) {
    std::ofstream(args_.json) << json << "\n";
  }
  int status = report_.load.window_tokens > 0 ? 0 : 1;
  if (!args_.plot.empty()) {
    if (auto ok = plot(report_, injected_at_, args_.plot); !ok) {
      std::fprintf(stderr, "connswap-bench: %s\n", ok.error().message().c_str());
      status = 1;
    }
  }
  if (temp_dir_ && !args_.keep && status == 0) {
    std::error_code ec;
    fs::remove_all(work_dir_, ec);
  } else if (spawn_) {
    std::fprintf(stderr, "connswap-bench: logs in %s\n", work_dir_.string().c_str());
  }
  return status;
}

}  // namespace

int run_bench(const BenchArgs& args) {
  Run run(args);
  for (auto phase : {&Run::prepare, &Run::start_load, &Run::wait_flowing, &Run::warm_up}) {
    if (auto ok = (run.*phase)(); !ok) {
      return fail(ok.error().detail);
    }
  }
  run.measure();
  return run.finish();
}

}  // namespace connswap::bench
