#include "traffic.h"

#include <algorithm>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "net/loop.h"
#include "rpcnet/channel.h"
#include "services/generate_client.h"

namespace connswap::soak {
namespace {

constexpr Duration kSlice = 50 * kMillisecond;  // between looks at streams and the stop flag
constexpr Duration kMaxBackoff = 1 * kSecond;
constexpr Duration kSlowGap = 1 * kSecond;  // a gap without a cause still recorded
constexpr std::size_t kMaxFailures = 20;

// One stream slot: the stream open in it now and what the observer saw of it.
struct Slot {
  std::unique_ptr<services::GenerateClient> client;
  std::string prompt;
  std::uint32_t max_tokens = 0;
  Timestamp started = 0;
  Timestamp last_token = 0;
  std::uint64_t last_seq = 0;
  int assigned = 0;        // Assigned items: the second and later are resumes
  std::string worker;      // serving now
  std::string gap_worker;  // serving when the pending cause arrived
  std::string gap_cause;   // "" = no Migrated/resume since the last token
  bool hung = false;       // counted once
  bool finished = false;   // on_finished ran: tally at the next slice
  Timestamp resume_at = kNever;
  Duration backoff = 0;
};

struct Conn {
  int index = 0;
  std::string id;
  std::unique_ptr<rpcnet::Channel> channel;
  std::vector<std::unique_ptr<rpcnet::Channel>> old;  // sessions earlier calls may hold
  std::vector<std::unique_ptr<Slot>> slots;
  Timestamp reconnect_at = kNever;
};

}  // namespace

class Traffic::Impl {
 public:
  Impl(TrafficConfig config, TrafficProgress& progress, std::atomic<bool>& stop)
      : config_(std::move(config)), progress_(progress), stop_(stop), rng_(config_.seed) {}

  void run();
  TrafficResult result_;

 private:
  void connect(Conn& c);
  void open_stream(Conn& c, Slot& s);
  void observe(Slot& s, const client::StreamItem& item);
  void on_token(Slot& s, const client::Token& t);
  void settle(Conn& c, Slot& s);
  void tend(Conn& c, Timestamp now);
  void fail(const Slot& s, const std::string& why);
  void finish_all();

  TrafficConfig config_;
  TrafficProgress& progress_;
  std::atomic<bool>& stop_;
  std::mt19937_64 rng_;
  net::Loop loop_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::uint64_t stream_counter_ = 0;
  bool stopping_ = false;  // finish_all(): no new streams
};

void Traffic::Impl::connect(Conn& c) {
  if (c.channel != nullptr) {
    c.channel->close();
    c.old.push_back(std::move(c.channel));
  }
  rpcnet::ChannelOptions options;
  options.remote = config_.remote;
  options.quic.tls = config_.tls;
  options.quic.server_name = "localhost";
  options.quic.transport.keepalive =
      500 * kMillisecond;  // as connswap-client: a dead director shows
  auto channel = rpcnet::Channel::connect(loop_, std::move(options));
  if (!channel) {
    c.reconnect_at = loop_.now() + config_.resume_backoff;
    return;
  }
  c.channel = std::move(*channel);
  c.reconnect_at = kNever;
}

void Traffic::Impl::open_stream(Conn& c, Slot& s) {
  const std::uint64_t n = stream_counter_++;
  s = Slot{};
  s.max_tokens = config_.min_tokens +
                 static_cast<std::uint32_t>(rng_() % (config_.max_tokens - config_.min_tokens + 1));
  s.prompt = fmt::format("soak {} c{} n{}", config_.seed, c.index, n);
  s.started = loop_.now();
  services::GenerateClientConfig gc;
  gc.connection_id = c.id;
  gc.streams = 1;
  gc.request.prompt = s.prompt;
  gc.request.max_tokens = s.max_tokens;
  gc.log_tokens = false;
  gc.resume = true;
  Slot* sp = &s;
  gc.observe = [this, sp](std::uint32_t, const client::StreamItem& item) { observe(*sp, item); };
  s.client = std::make_unique<services::GenerateClient>(gc, c.channel->session());
  s.client->on_finished([sp] { sp->finished = true; });
  if (auto ok = s.client->start(loop_.now()); !ok) {
    s.client.reset();  // the session refused (lost): this slot opens again next slice
    --stream_counter_;
    return;
  }
  ++result_.streams_started;
}

void Traffic::Impl::observe(Slot& s, const client::StreamItem& item) {
  if (auto* a = std::get_if<client::Assigned>(&item)) {
    if (s.assigned++ > 0) {
      s.gap_cause = "resume";
      s.gap_worker = s.worker;
    }
    s.worker = a->worker;
  } else if (auto* t = std::get_if<client::Token>(&item)) {
    on_token(s, *t);
  } else if (auto* m = std::get_if<client::Migrated>(&item)) {
    if (s.gap_cause.empty()) {
      s.gap_cause = "migrated:" + m->reason;
      s.gap_worker = s.worker;
    }
    s.worker = m->to;
  }
}

void Traffic::Impl::on_token(Slot& s, const client::Token& t) {
  const Timestamp now = net::clock_now();
  if (s.last_token != 0 && (!s.gap_cause.empty() || now - s.last_token > kSlowGap)) {
    result_.gaps.push_back({s.last_token,
                            now,
                            s.gap_cause.empty() ? s.worker : s.gap_worker,
                            s.gap_cause.empty() ? "none" : s.gap_cause});
  }
  s.gap_cause.clear();
  s.last_token = now;
  s.last_seq = std::max(s.last_seq, t.seq);
  s.backoff = 0;
  progress_.tokens.fetch_add(1, std::memory_order_relaxed);
}

void Traffic::Impl::fail(const Slot& s, const std::string& why) {
  if (result_.failures.size() < kMaxFailures) {
    result_.failures.push_back(fmt::format("'{}' (max_tokens {}, last seq {}, worker {}): {}",
                                           s.prompt,
                                           s.max_tokens,
                                           s.last_seq,
                                           s.worker,
                                           why));
  }
}

// A finished stream: tallied, then a new one in its slot.
void Traffic::Impl::settle(Conn& c, Slot& s) {
  const services::GenerateResult r = s.client->results().front();
  const client::StreamTally& t = r.tally;
  const bool ok = r.status && r.status->ok() && t.verified;
  if (!ok && r.status && r.status->code == rpc::StatusCode::kUnavailable && t.tokens == 0 &&
      s.assigned == 0) {
    ++result_.retried_fresh;  // nothing delivered, no ticket: a client simply asks again
    ++result_.retried_why[r.status->message];
  } else {
    result_.tokens += t.tokens;
    result_.migrations += t.migrations;
    result_.resumes += t.resumes;
    result_.lost += t.lost;
    result_.duplicated += t.duplicated;
    result_.out_of_order += t.out_of_order;
    result_.mismatched += t.mismatched;
    result_.protocol_errors += t.protocol_errors;
    if (ok) {
      ++result_.streams_verified;
      progress_.verified.fetch_add(1, std::memory_order_relaxed);
    } else {
      ++result_.streams_failed;
      progress_.failed.fetch_add(1, std::memory_order_relaxed);
      fail(s,
           fmt::format("status {} tokens {} lost {} duplicated {} out_of_order {} mismatched {}",
                       r.status ? r.status->to_string() : "none",
                       t.tokens,
                       t.lost,
                       t.duplicated,
                       t.out_of_order,
                       t.mismatched));
    }
  }
  s.client.reset();
  if (!stopping_ && c.channel != nullptr && !c.channel->lost()) {
    open_stream(c, s);
  }
}

// One connection, once a slice: reconnect, resume, settle, open, watch for hung streams.
void Traffic::Impl::tend(Conn& c, Timestamp now) {
  if (c.channel == nullptr || c.channel->lost()) {
    if (c.reconnect_at == kNever) {
      c.reconnect_at = now + config_.resume_backoff;
    } else if (now >= c.reconnect_at) {
      connect(c);
      ++result_.reconnects;
    }
  }
  const bool usable = c.channel != nullptr && !c.channel->lost();
  for (auto& sp : c.slots) {
    Slot& s = *sp;
    if (s.client == nullptr) {
      if (usable) {
        open_stream(c, s);
      }
      continue;
    }
    if (s.finished) {
      settle(c, s);
      continue;
    }
    if (s.client->interrupted() != 0 && usable) {
      if (s.resume_at == kNever) {
        s.resume_at = now + std::max(s.backoff, config_.resume_backoff);
      } else if (now >= s.resume_at) {
        s.client->resume(c.channel->session(), now);
        s.backoff = std::min(std::max(s.backoff, config_.resume_backoff) * 2, kMaxBackoff);
        s.resume_at = kNever;
      }
    }
    const Timestamp since = std::max(s.last_token, s.started);
    if (!s.hung && now - since > config_.hung_after) {
      s.hung = true;
      ++result_.hung;
      progress_.hung.fetch_add(1, std::memory_order_relaxed);
      fail(s,
           fmt::format("hung: no token for {} ms (since {:%H:%M:%S} wall clock)",
                       (now - since) / kMillisecond,
                       std::chrono::system_clock::now() -
                           std::chrono::nanoseconds(net::clock_now() - since)));
    }
  }
}

void Traffic::Impl::run() {
  loop_.refresh_now();
  for (int i = 0; i < config_.connections; ++i) {
    auto c = std::make_unique<Conn>();
    c->index = i;
    c->id = fmt::format("soak-{}-c{}", config_.seed, i);
    for (int k = 0; k < config_.streams; ++k) {
      c->slots.push_back(std::make_unique<Slot>());
    }
    connect(*c);
    conns_.push_back(std::move(c));
  }
  while (!stop_.load(std::memory_order_relaxed)) {
    loop_.run_until([this] { return stop_.load(std::memory_order_relaxed); }, kSlice);
    const Timestamp now = net::clock_now();
    std::uint64_t open = 0;
    std::uint64_t interrupted = 0;
    for (auto& c : conns_) {
      tend(*c, now);
      for (auto& s : c->slots) {
        open += s->client != nullptr ? 1 : 0;
        interrupted += s->client != nullptr && s->client->interrupted() != 0 ? 1 : 0;
      }
    }
    progress_.open.store(open, std::memory_order_relaxed);
    progress_.interrupted.store(interrupted, std::memory_order_relaxed);
  }
  finish_all();
}

// The end: streams still open are checked as far as they got (holes count as lost, the
// missing tail does not), then cancelled.
void Traffic::Impl::finish_all() {
  stopping_ = true;
  for (auto& c : conns_) {
    for (auto& sp : c->slots) {
      Slot& s = *sp;
      if (s.client == nullptr) {
        continue;
      }
      if (s.finished) {
        settle(*c, s);  // opens no new stream now
        continue;
      }
      const client::StreamTally t = s.client->results().front().tally;
      const std::uint64_t tail = s.max_tokens > s.last_seq ? s.max_tokens - s.last_seq : 0;
      ++result_.streams_cut;
      result_.tokens += t.tokens;
      result_.migrations += t.migrations;
      result_.resumes += t.resumes;
      result_.lost += t.lost > tail ? t.lost - tail : 0;
      result_.duplicated += t.duplicated;
      result_.out_of_order += t.out_of_order;
      result_.mismatched += t.mismatched;
      result_.protocol_errors += t.protocol_errors;
      if (t.lost > tail || t.duplicated + t.out_of_order + t.mismatched != 0) {
        fail(s, "open at the end with a hole, a duplicate or a wrong token");
      }
      s.client.reset();  // cancels
    }
  }
  for (auto& c : conns_) {
    if (c->channel != nullptr) {
      c->channel->close();
    }
  }
  loop_.run_until([] { return false; }, 20 * kMillisecond);  // let the closes go out
  conns_.clear();
}

Traffic::Traffic(TrafficConfig config)
    : impl_(std::make_unique<Impl>(std::move(config), progress_, stop_)) {}

Traffic::~Traffic() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
}

void Traffic::start() {
  thread_ = std::thread([this] { impl_->run(); });
}

TrafficResult Traffic::stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  return std::move(impl_->result_);
}

}  // namespace connswap::soak
