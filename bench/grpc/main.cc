// connswap-grpc-bench: the Worker/Generate shape (one request, an unpaced stream of
// WorkerItem tokens with the same text and emit_ns as connswap-worker's) over gRPC C++
// with TLS, to put next to connswap direct-to-worker (bench/compare_grpc.sh).
//
//   connswap-grpc-bench serve --cert server.pem --key server-key.pem --ready-file F
//   connswap-grpc-bench load --target 127.0.0.1:PORT --ca ca.pem --streams 100 --seconds 5
//   connswap-grpc-bench load --target NGINX_ADDR --proxy-pid NGINX_PID ...  (compare_nginx.sh)
//
// The server uses the callback API (one StartWrite in flight per stream, the next from
// OnWriteDone); the client one channel (one HTTP/2 connection) with a ClientReadReactor per
// stream. Prints one JSON line (like connswap-bench's fields) and a table line on stderr.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <sstream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpc_bench.grpc.pb.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include "histogram.h"
#include "proc_stats.h"
#include "worker/generator.h"

namespace {

using connswap::bench::Histogram;
using connswap::v1::WorkerGenerateRequest;
using connswap::v1::WorkerItem;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// --- server ---

// serve --token-interval-ms: one thread that runs each paced stream's next write at its due
// time (CLOCK_MONOTONIC ns). A writer has at most one entry queued and never finishes while
// it has one, so an entry never outlives its writer.
class Pacer {
 public:
  Pacer() : thread_([this] { run(); }) {}
  ~Pacer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Runs `fn` on the pacer thread at `due_ns` (now_ns() clock).
  void at(std::uint64_t due_ns, std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queue_.push(Entry{due_ns, std::move(fn)});
    }
    cv_.notify_all();
  }

 private:
  struct Entry {
    std::uint64_t due = 0;
    std::function<void()> fn;
    bool operator>(const Entry& other) const { return due > other.due; }
  };

  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const std::uint64_t due = queue_.top().due;
      if (due > now_ns()) {
        cv_.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due)));
        continue;
      }
      Entry e = queue_.top();
      queue_.pop();
      lock.unlock();
      e.fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is built
};

class Writer final : public grpc::ServerWriteReactor<WorkerItem> {
 public:
  // `pacer` null: unpaced (the next write starts from OnWriteDone).
  Writer(const WorkerGenerateRequest& request, Pacer* pacer, std::uint64_t interval_ns)
      : prompt_(request.prompt()),
        seq_(request.start_seq() == 0 ? 1 : request.start_seq()),
        max_(request.max_tokens()),
        pacer_(pacer),
        interval_(interval_ns),
        due_(now_ns()) {
    next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    if (pacer_ == nullptr) {
      next();
      return;
    }
    // As connswap-worker's TokenSchedule: drift-free while on time, re-anchored (no burst)
    // when a whole interval late.
    const std::uint64_t now = now_ns();
    due_ = due_ + interval_ <= now ? now + interval_ : due_ + interval_;
    pacer_->at(due_, [this] { next(); });
  }
  void OnDone() override { delete this; }

 private:
  void next() {
    if (max_ != 0 && seq_ > max_) {
      Finish(grpc::Status::OK);
      return;
    }
    auto* token = item_.mutable_token();
    token->set_seq(seq_);
    token->set_text(connswap::worker::demo_token(prompt_, seq_));
    token->set_emit_ns(now_ns());
    ++seq_;
    // No WriteOptions::set_buffer_hint: a hinted write completes (OnWriteDone) only once a
    // later write flushes it, and a reactor has one write in flight, so it would stall.
    StartWrite(&item_);
  }

  std::string prompt_;
  std::uint64_t seq_;
  std::uint64_t max_;
  Pacer* pacer_;
  std::uint64_t interval_;
  std::uint64_t due_;  // the current token's due time (paced)
  WorkerItem item_;
};

class Service final : public connswap::bench::GrpcWorker::CallbackService {
 public:
  Service(Pacer* pacer, std::uint64_t interval_ns) : pacer_(pacer), interval_(interval_ns) {}
  grpc::ServerWriteReactor<WorkerItem>* Generate(grpc::CallbackServerContext* /*context*/,
                                                 const WorkerGenerateRequest* request) override {
    return new Writer(*request, pacer_, interval_);
  }

 private:
  Pacer* pacer_;
  std::uint64_t interval_;
};

int serve(const std::string& cert,
          const std::string& key,
          const std::string& ready,
          std::uint64_t interval_ms) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before gRPC starts its threads
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({slurp(key), slurp(cert)});
  std::unique_ptr<Pacer> pacer;  // outlives the server: Shutdown() finishes paced writers
  if (interval_ms > 0) {
    pacer = std::make_unique<Pacer>();
  }
  Service service(pacer.get(), interval_ms * 1'000'000);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "connswap-grpc-bench: cannot listen\n");
    return 1;
  }
  {
    std::ofstream out(ready + ".tmp");
    out << "user=127.0.0.1:" << port << "\npid=" << ::getpid() << "\n";
  }
  std::rename((ready + ".tmp").c_str(), ready.c_str());
  int signo = 0;
  sigwait(&signals, &signo);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

// --- client ---

struct Window {
  std::atomic<std::uint64_t> start{UINT64_MAX};
  std::atomic<std::uint64_t> end{UINT64_MAX};
};

class Reader final : public grpc::ClientReadReactor<WorkerItem> {
 public:
  Reader(connswap::bench::GrpcWorker::Stub& stub, int index, const Window& window)
      : window_(window) {
    request_.set_prompt("bench #" + std::to_string(index));
    request_.set_start_seq(1);
    stub.async()->Generate(&context_, &request_, this);
    StartRead(&item_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      return;
    }
    const std::uint64_t now = now_ns();
    ++total_;
    if (now >= window_.start.load(std::memory_order_relaxed) &&
        now < window_.end.load(std::memory_order_relaxed)) {
      ++tokens_;
      const std::uint64_t emit = item_.token().emit_ns();
      latency_.record(now > emit ? now - emit : 0);
    }
    StartRead(&item_);
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }
  void cancel() { context_.TryCancel(); }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }
  std::uint64_t tokens_ = 0;
  std::uint64_t total_ = 0;
  Histogram latency_;

 private:
  const Window& window_;
  grpc::ClientContext context_;
  WorkerGenerateRequest request_;
  WorkerItem item_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  grpc::Status status_;
};

struct LoadArgs {
  std::string target;
  std::string ca;
  int streams = 1;
  double seconds = 5;
  double warmup = 1;
  int server_pid = -1;
  int proxy_pid = -1;  // a proxy between us and the server (nginx), for its CPU
};

int load(const LoadArgs& a) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = slurp(a.ca);
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(a.target, grpc::SslCredentials(tls), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::fprintf(stderr, "connswap-grpc-bench: cannot connect to %s\n", a.target.c_str());
    return 1;
  }
  auto stub = connswap::bench::GrpcWorker::NewStub(channel);
  Window window;
  std::vector<std::unique_ptr<Reader>> readers;
  for (int i = 0; i < a.streams; ++i) {
    readers.push_back(std::make_unique<Reader>(*stub, i, window));
  }
  const auto warm = std::chrono::duration<double>(a.warmup);
  std::this_thread::sleep_for(warm);
  const std::uint64_t start = now_ns();
  const auto span = static_cast<std::uint64_t>(a.seconds * 1e9);
  window.end = start + span;
  window.start = start;
  auto self = connswap::bench::sample_process(::getpid());
  auto server = connswap::bench::sample_process(a.server_pid);
  auto proxy = connswap::bench::sample_process(a.proxy_pid);
  std::this_thread::sleep_for(std::chrono::nanoseconds(span));
  auto self_end = connswap::bench::sample_process(::getpid());
  auto server_end = connswap::bench::sample_process(a.server_pid);
  auto proxy_end = connswap::bench::sample_process(a.proxy_pid);
  for (auto& r : readers) {
    r->cancel();
  }
  Histogram latency;
  std::uint64_t tokens = 0;
  for (auto& r : readers) {
    r->wait();
    latency.merge(r->latency_);
    tokens += r->tokens_;
  }
  const double per_s = static_cast<double>(tokens) / a.seconds;
  const double client_cpu =
      self && self_end ? connswap::bench::cpu_percent(*self, *self_end, a.seconds) : -1;
  const double server_cpu =
      server && server_end ? connswap::bench::cpu_percent(*server, *server_end, a.seconds) : -1;
  const double proxy_cpu =
      proxy && proxy_end ? connswap::bench::cpu_percent(*proxy, *proxy_end, a.seconds) : -1;
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
  std::printf(
      "{\"bench\":\"connswap-grpc-bench\",\"target\":\"grpc\",\"streams\":%d,\"seconds\":%.3f,"
      "\"tokens\":{\"window\":%llu,\"per_s\":%.1f},\"latency_us\":{\"count\":%llu,\"p50\":%.1f,"
      "\"p99\":%.1f,\"max\":%.1f},\"server_cpu_percent\":%.1f,\"client_cpu_percent\":%.1f,"
      "\"proxy_cpu_percent\":%.1f}\n",
      a.streams,
      a.seconds,
      static_cast<unsigned long long>(tokens),
      per_s,
      static_cast<unsigned long long>(latency.count()),
      us(latency.quantile(0.5)),
      us(latency.quantile(0.99)),
      us(latency.max()),
      server_cpu,
      client_cpu,
      proxy_cpu);
  std::fprintf(stderr,
               "grpc: streams=%d tokens/s=%.0f latency p50/p99 %.1f/%.1f us "
               "server cpu %.0f%% client cpu %.0f%%\n",
               a.streams,
               per_s,
               us(latency.quantile(0.5)),
               us(latency.quantile(0.99)),
               server_cpu,
               client_cpu);
  return tokens > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"connswap-grpc-bench: Worker/Generate-shaped streaming over gRPC C++ (TLS)"};
  app.require_subcommand(1);
  std::string cert = "certs/server.pem", key = "certs/server-key.pem", ready;
  std::uint64_t interval_ms = 0;
  auto* s = app.add_subcommand("serve", "serve GrpcWorker/Generate on 127.0.0.1:0 until SIGTERM");
  s->add_option("--cert", cert, "PEM server certificate");
  s->add_option("--key", key, "PEM key");
  s->add_option("--ready-file", ready, "write user=ADDR and pid= here once listening")->required();
  s->add_option(
      "--token-interval-ms", interval_ms, "per stream, as connswap-worker's; 0 = unpaced");
  LoadArgs la;
  la.ca = "certs/ca.pem";
  auto* l = app.add_subcommand("load", "N streams on one channel; JSON on stdout");
  l->add_option("--target", la.target, "server address")->required();
  l->add_option("--ca", la.ca, "PEM CA");
  l->add_option("--streams", la.streams, "concurrent streams");
  l->add_option("--seconds", la.seconds, "measured window");
  l->add_option("--warmup", la.warmup, "seconds before the window");
  l->add_option("--server-pid", la.server_pid, "server PID, for its CPU");
  l->add_option("--proxy-pid", la.proxy_pid, "PID of a proxy in between (nginx), for its CPU");
  CLI11_PARSE(app, argc, argv);
  if (s->parsed()) {
    return serve(cert, key, ready, interval_ms);
  }
  return load(la);
}
