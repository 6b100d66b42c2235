#include "load.h"

#include <connswap/v1/director.pb.h>
#include <connswap/v1/worker.pb.h>
#include <google/protobuf/arena.h>

#include "base/generate.h"
#include "net/loop.h"
#include "rpc/message.h"
#include "rpc/session.h"
#include "rpcnet/channel.h"

namespace connswap::bench {
namespace {

constexpr Duration kSlice = 50 * kMillisecond;  // how often a thread looks at window.stop
constexpr std::size_t kTimelineKeep = 4000;     // points kept before (and after) a failover
constexpr int kArenaMessages = 4096;            // parsed messages per arena reset

}  // namespace

void LoadResult::merge(LoadResult&& o) {
  latency.merge(o.latency);
  token_gap.merge(o.token_gap);
  ttft.merge(o.ttft);
  ttft_opening.merge(o.ttft_opening);
  requests += o.requests;
  for (const auto& [k, v] : o.protocol_errors) {
    protocol_errors[k] += v;
  }
  window_tokens += o.window_tokens;
  total_tokens += o.total_tokens;
  no_emit_time += o.no_emit_time;
  gaps.insert(gaps.end(), o.gaps.begin(), o.gaps.end());
  for (const auto& [k, v] : o.migrations) {
    migrations[k] += v;
  }
  out_of_order += o.out_of_order;
  duplicates += o.duplicates;
  ended_early += o.ended_early;
  for (const auto& [k, v] : o.end_status) {
    end_status[k] += v;
  }
  streams += o.streams;
  connect_failures += o.connect_failures;
  for (auto& t : o.timelines) {
    timelines.push_back(std::move(t));
  }
}

void record_ttft(LoadResult& result, const Window& window, Timestamp sent, Timestamp now) {
  if (sent >= window.start.load(std::memory_order_relaxed)) {
    if (now < window.end.load(std::memory_order_relaxed)) {
      result.ttft.record(now - sent);
    }
  } else {
    result.ttft_opening.record(now > sent ? now - sent : 0);
  }
}

class QuicLoad {
 public:
  QuicLoad(const LoadConfig& config, int index, Window& window, Progress& progress)
      : config_(config), index_(index), window_(window), progress_(progress) {}

  void run();
  LoadResult result_;

 private:
  struct Stream {
    rpc::Call call;
    rpc::Session* session = nullptr;
    int conn = 0;
    int global = 0;  // stream number across the run
    Timestamp started = 0;
    bool first_token = false;
    std::uint64_t next_seq = kFirstSeq;
    Timestamp last_recv = 0;
    bool flowing = false;
    bool migrating = false;
    bool cancelled_by_us = false;
    std::string reason;
    std::unique_ptr<Timeline> timeline;  // the first config.timeline_streams streams
  };

  void open_connection(int conn);
  void start_stream(rpc::Session& session, int conn, int global, bool reissue);
  bool on_read(Stream& s, ByteSpan bytes);
  void on_token(Stream& s, std::uint64_t seq, std::uint64_t emit_ns, const std::string& worker);
  void on_migrated(Stream& s, const std::string& reason, const std::string& to);
  void on_done(Stream& s, const rpc::Status& status);
  template <class Message>
  Message* fresh();

  const LoadConfig config_;  // a copy: the thread outlives the caller's struct
  int index_;
  Window& window_;
  Progress& progress_;
  net::Loop loop_;
  std::vector<std::unique_ptr<rpcnet::Channel>> channels_;
  std::vector<std::unique_ptr<Stream>> streams_;
  google::protobuf::Arena arena_;
  int parsed_ = 0;
  bool stopping_ = false;
};

template <class Message>
Message* QuicLoad::fresh() {
  // A bump allocator for the parsed items: a token costs no malloc/free here.
  if (++parsed_ >= kArenaMessages) {
    parsed_ = 0;
    arena_.Reset();
  }
  return google::protobuf::Arena::CreateMessage<Message>(&arena_);
}

void QuicLoad::run() {
  loop_.refresh_now();
  for (int c = index_; c < config_.connections; c += config_.threads) {
    open_connection(c);
  }
  while (!window_.stop.load(std::memory_order_relaxed)) {
    loop_.run_until([this] { return window_.stop.load(std::memory_order_relaxed); }, kSlice);
  }
  stopping_ = true;
  for (auto& s : streams_) {
    s->cancelled_by_us = true;
    s->call.cancel();
  }
  for (auto& ch : channels_) {
    ch->close();
  }
  loop_.run_until([] { return false; }, 20 * kMillisecond);  // let the closes go out
  for (auto& s : streams_) {
    if (s->timeline) {
      result_.timelines.push_back(std::move(*s->timeline));
    }
  }
}

void QuicLoad::open_connection(int conn) {
  rpcnet::ChannelOptions options;
  options.remote = config_.remote;
  options.quic.tls = config_.tls;
  options.quic.server_name = config_.server_name;
  auto channel = rpcnet::Channel::connect(loop_, std::move(options));
  if (!channel) {
    ++result_.connect_failures;
    return;
  }
  rpc::Session& session = (*channel)->session();
  channels_.push_back(std::move(*channel));
  progress_.connections_up.fetch_add(1, std::memory_order_relaxed);
  for (int i = 0; i < config_.streams_per_connection; ++i) {
    start_stream(session, conn, conn * config_.streams_per_connection + i, false);
  }
}

void QuicLoad::start_stream(rpc::Session& session, int conn, int global, bool reissue) {
  auto owned = std::make_unique<Stream>();
  Stream* s = owned.get();
  s->session = &session;
  s->conn = conn;
  s->global = global;
  s->flowing = reissue;  // counted in progress once per stream slot
  s->started = net::clock_now();
  if (global < config_.timeline_streams && !reissue) {
    s->timeline = std::make_unique<Timeline>();
    s->timeline->stream = global;
  }
  rpc::CallOptions options;
  std::string request;
  const std::string prompt = config_.prompt + " #" + std::to_string(global);
  if (config_.target == Target::kDirector) {
    options.method = "connswap.v1.Director/Generate";
    options.metadata["connection-id"] = "bench-" + std::to_string(conn);
    v1::GenerateRequest r;
    r.set_prompt(prompt);
    r.set_max_tokens(config_.max_tokens);
    request = rpc::serialize_message(r);
  } else {
    options.method = "connswap.v1.Worker/Generate";
    v1::WorkerGenerateRequest r;
    r.set_prompt(prompt);
    r.set_max_tokens(config_.max_tokens);
    r.set_start_seq(kFirstSeq);
    request = rpc::serialize_message(r);
  }
  rpc::CallCallbacks callbacks;
  callbacks.on_read = [this, s](std::optional<ByteSpan> bytes) {
    return bytes && on_read(*s, *bytes);
  };
  callbacks.on_done = [this, s](const rpc::Status& status) { on_done(*s, status); };
  auto call = session.start_call(std::move(options), std::move(callbacks), loop_.now());
  if (!call || !call->write(as_bytes(request)) || !call->half_close()) {
    ++result_.connect_failures;
    return;
  }
  s->call = *call;
  streams_.push_back(std::move(owned));
  ++result_.requests;
  if (!reissue) {
    ++result_.streams;
    progress_.streams_started.fetch_add(1, std::memory_order_relaxed);
  }
}

bool QuicLoad::on_read(Stream& s, ByteSpan bytes) {
  if (config_.target == Target::kWorker) {
    auto* item = fresh<v1::WorkerItem>();
    if (!rpc::parse_message(bytes, *item)) {
      return false;
    }
    if (item->has_token()) {
      on_token(s, item->token().seq(), item->token().emit_ns(), "");
    }
    return true;
  }
  auto* item = fresh<v1::GenerateItem>();
  if (!rpc::parse_message(bytes, *item)) {
    return false;
  }
  if (item->has_token()) {
    on_token(s, item->token().seq(), item->token().emit_ns(), item->token().worker());
  } else if (item->has_migrated()) {
    on_migrated(s, item->migrated().reason(), item->migrated().to());
  } else if (item->has_assigned() && s.timeline) {
    s.timeline->workers.push_back(item->assigned().worker());
  }
  return true;
}

void QuicLoad::on_token(Stream& s,
                        std::uint64_t seq,
                        std::uint64_t emit_ns,
                        const std::string& worker) {
  const Timestamp now = net::clock_now();
  if (seq > s.next_seq) {
    result_.out_of_order += seq - s.next_seq;
  } else if (seq < s.next_seq) {
    ++result_.duplicates;
    return;
  }
  s.next_seq = seq + 1;
  ++result_.total_tokens;
  progress_.tokens.fetch_add(1, std::memory_order_relaxed);
  if (!s.first_token) {
    s.first_token = true;
    record_ttft(result_, window_, s.started, now);
  }
  if (now >= window_.start.load(std::memory_order_relaxed) &&
      now < window_.end.load(std::memory_order_relaxed)) {
    ++result_.window_tokens;
    if (s.last_recv != 0 && !s.migrating) {
      result_.token_gap.record(now - s.last_recv);
    }
    if (emit_ns == 0) {
      ++result_.no_emit_time;
    } else {
      result_.latency.record(now > emit_ns ? now - emit_ns : 0);
    }
  }
  if (s.migrating) {
    s.migrating = false;
    if (s.last_recv != 0) {
      const auto gap = static_cast<std::int64_t>(now - s.last_recv) -
                       static_cast<std::int64_t>(config_.interval);
      result_.gaps.push_back({gap, s.reason, now});
    }
  }
  if (!s.flowing) {
    s.flowing = true;
    progress_.streams_flowing.fetch_add(1, std::memory_order_relaxed);
  }
  s.last_recv = now;
  if (Timeline* t = s.timeline.get(); t != nullptr && !t->full) {
    if (t->migrations.empty() && t->points.size() >= 2 * kTimelineKeep) {
      t->points.erase(t->points.begin(), t->points.begin() + kTimelineKeep);  // keep the latest
    }
    t->points.push_back({now, seq, static_cast<int>(t->migrations.size())});
    if (!t->migrations.empty() && t->points.size() >= 3 * kTimelineKeep) {
      t->full = true;
    }
    if (t->workers.empty() && !worker.empty()) {
      t->workers.push_back(worker);
    }
  }
}

void QuicLoad::on_migrated(Stream& s, const std::string& reason, const std::string& to) {
  s.migrating = true;
  s.reason = reason;
  ++result_.migrations[reason];
  progress_.migrations.fetch_add(1, std::memory_order_relaxed);
  if (Timeline* t = s.timeline.get(); t != nullptr && !t->full) {
    t->migrations.push_back(net::clock_now());
    t->workers.push_back(to);
  }
}

void QuicLoad::on_done(Stream& s, const rpc::Status& status) {
  s.call = rpc::Call();
  if (s.cancelled_by_us || stopping_) {
    return;
  }
  if (status.ok() && config_.max_tokens != 0) {
    // A bounded stream that finished: the next one, outside this callback.
    loop_.post([this, session = s.session, conn = s.conn, global = s.global] {
      if (!stopping_ && !window_.stop.load(std::memory_order_relaxed)) {
        start_stream(*session, conn, global, true);
      }
    });
    return;
  }
  ++result_.ended_early;
  ++result_.end_status[std::string(rpc::to_string(status.code))];
  progress_.streams_ended.fetch_add(1, std::memory_order_relaxed);
}

Driver::~Driver() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Driver::start() {
  thread_ = std::thread([this] { result_ = body_(); });
}

LoadResult Driver::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
  return std::move(result_);
}

std::unique_ptr<Driver> make_quic_driver(const LoadConfig& config,
                                         int index,
                                         Window& window,
                                         Progress& progress) {
  auto load = std::make_shared<QuicLoad>(config, index, window, progress);
  return std::make_unique<Driver>([load] {
    load->run();
    return std::move(load->result_);
  });
}

}  // namespace connswap::bench
