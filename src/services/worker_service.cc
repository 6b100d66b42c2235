#include "services/worker_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <queue>
#include <utility>
#include <variant>
#include <vector>

#include <connswap/v1/worker.pb.h>

#include "base/log.h"
#include "rpc/server.h"
#include "services/convert.h"
#include "worker/synthetic_source.h"
#include "worker/worker_stream.h"

namespace connswap::services {

using worker::FailureAction;
using WorkerCall = rpc::ServerCall<WorkerRequest, v1::WorkerItem>;

namespace {

// Items one pump() writes for one stream before it yields the loop (deadline() is then
// "now", so the rest follows next turn). Without it an unpaced stream fills its whole 1 MiB
// send queue (~40,000 tokens) before the loop flushes a byte: 100 new unpaced streams got
// their first token after ~1.1 s (docs/BENCHMARKS.md, Load).
constexpr int kItemsPerTurn = 256;

spdlog::logger& logger() {
  return log::get("worker");
}

std::string_view action_name(FailureAction a) {
  switch (a) {
    case FailureAction::kServe:
      return "serve";
    case FailureAction::kError:
      return "error";
    case FailureAction::kCrash:
      return "crash";
    case FailureAction::kHang:
      return "hang";
  }
  return "unknown";
}

// "15s", "1.5s": the seed's "simulating failure after 15s".
std::string seconds(Duration d) {
  return fmt::format("{:g}s", static_cast<double>(d) / static_cast<double>(kSecond));
}

}  // namespace

class WorkerService::Impl {
 public:
  Impl(const worker::WorkerConfig& config, NowFn now, std::unique_ptr<worker::TokenSource> source)
      : config_(config),
        now_(std::move(now)),
        source_(source != nullptr ? std::move(source) : synthetic_source(config_)),
        plan_(config_.fail_after, config_.fail_mode, now_(), config_.recovery_after) {}

  void on_generate(WorkerCall call, WorkerRequest&& request);
  void on_health(rpc::ServerCall<v1::HealthRequest, v1::HealthResponse> call);
  Timestamp deadline() const;
  void on_timeout(Timestamp now);
  WorkerStatus status() const;
  void stop();

 private:
  friend class WorkerService;  // its setters and stats() use on_failure_, draining_, stats_
  std::function<void(FailureAction)> on_failure_;
  bool draining_ = false;
  WorkerServiceStats stats_;

  struct Stream {
    WorkerCall call;
    worker::WorkerStream ws;
    std::string connection_id;
    std::optional<v1::WorkerItem> pending;  // polled, not yet accepted by write()
    std::optional<rpc::Status> finish;      // trailer after `pending` (Error/Done items)
    bool blocked = false;                   // waiting for on_writable
    bool notified = false;                  // the source's Notify fired since the last poll
    bool sent_token = false;                // a Token item went out on this call
    std::optional<rpc::Status> refuse;      // the source was busy before any token
  };
  static std::unique_ptr<worker::TokenSource> synthetic_source(const worker::WorkerConfig& c);
  static bool due(const Stream& s, Timestamp now);
  void start_stream(WorkerCall call, WorkerRequest&& request, Timestamp now);
  void on_notify(std::uint64_t id);
  void pump(std::uint64_t id, Timestamp now);
  void write_due(std::uint64_t id, Timestamp now);
  // When `s` must next be pumped: 0 if something is pending or notified, kNever if blocked.
  static Timestamp next_due(const Stream& s);
  void schedule(std::uint64_t id);
  bool next_item(Stream& s, Timestamp now);
  void update_action(Timestamp now);
  void refuse_stream(std::map<std::uint64_t, Stream>::iterator it);

  worker::WorkerConfig config_;
  NowFn now_;
  std::unique_ptr<worker::TokenSource> source_;
  worker::FailurePlan plan_;
  FailureAction action_ = FailureAction::kServe;
  std::map<std::uint64_t, Stream> streams_;
  // Every stream's next_due(), lazily (issue 18: a scan of 2,000 streams after every loop
  // handler was a tenth of a worker's failover burst): each change pushes (due, id); an
  // entry whose stream is gone or whose due moved is dropped when it reaches the top.
  using Due = std::pair<Timestamp, std::uint64_t>;
  mutable std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::uint64_t next_id_ = 1;
  bool stopped_ = false;
};

void WorkerService::Impl::on_generate(WorkerCall call, WorkerRequest&& request) {
  const Timestamp now = now_();
  update_action(now);
  const char* refusal = stopped_                           ? "worker stopping"
                        : draining_                        ? "worker draining"
                        : !source_->available()            ? "model server unavailable"
                        : action_ == FailureAction::kServe ? nullptr
                        : action_ == FailureAction::kHang  ? nullptr
                                                           : "worker recovering from failure";
  if (refusal != nullptr) {
    ++stats_.streams_refused;
    (void)call.finish({rpc::StatusCode::kUnavailable, refusal});
    return;
  }
  start_stream(std::move(call), std::move(request), now);
}

std::unique_ptr<worker::TokenSource> WorkerService::Impl::synthetic_source(
    const worker::WorkerConfig& c) {
  return std::make_unique<worker::SyntheticSource>(
      worker::SyntheticConfig{.token_interval = c.token_interval,
                              .prefix_window = c.prefix_window,
                              .jitter_pct = c.token_jitter_pct,
                              .prefill = c.prefill});
}

// Starts the source's stream for `request` (the last prefix_window tokens of its prefix)
// and serves it; a source that refuses ends the call with UNAVAILABLE.
void WorkerService::Impl::start_stream(WorkerCall call, WorkerRequest&& request, Timestamp now) {
  const std::uint64_t id = next_id_++;
  worker::StreamStart start{
      .request = from_proto(request.fields), .prefix = std::move(request.prefix), .now = now};
  const std::uint64_t start_seq = start.request.start_seq;
  auto stream = source_->start(std::move(start), [this, id] { on_notify(id); });
  if (!stream) {
    ++stats_.streams_refused;
    logger().warn(
        "worker={}: token source refused a stream: {}", config_.label, stream.error().message());
    (void)call.finish({rpc::StatusCode::kUnavailable, stream.error().message()});
    return;
  }
  ++stats_.streams_accepted;
  streams_.emplace(id,
                   Stream{call,
                          worker::WorkerStream(std::move(*stream), start_seq),
                          connection_id_of(call.raw()),
                          std::nullopt,
                          std::nullopt,
                          false,
                          false,
                          false,
                          std::nullopt});
  call.on_done([this, id](const rpc::Status&) {
    if (auto it = streams_.find(id); it != streams_.end()) {
      it->second.ws.cancel();
      streams_.erase(it);
      ++stats_.streams_cancelled;
    }
  });
  call.on_writable([this, id] {
    if (auto it = streams_.find(id); it != streams_.end()) {
      it->second.blocked = false;
      pump(id, now_());
    }
  });
  pump(id, now);
}

// The source says stream `id` may have an item: it is due at the next on_timeout (the
// owner re-reads deadline() after every loop handler). A stale id is ignored.
void WorkerService::Impl::on_notify(std::uint64_t id) {
  if (auto it = streams_.find(id); it != streams_.end()) {
    it->second.notified = true;
    schedule(id);
  }
}

// Whether pump() may write something for `s` at `now`.
bool WorkerService::Impl::due(const Stream& s, Timestamp now) {
  return !s.blocked && (s.pending || s.notified || s.ws.deadline() <= now);
}

// Polls the stream's next due item into `pending`; false if nothing is due.
bool WorkerService::Impl::next_item(Stream& s, Timestamp now) {
  s.notified = false;  // this poll sees whatever the Notify announced
  auto item = s.ws.poll(now, action_);
  if (!item) {
    return false;
  }
  v1::WorkerItem out;
  if (auto* t = std::get_if<worker::TokenItem>(&*item)) {
    out.mutable_token()->set_seq(t->seq);
    out.mutable_token()->set_text(std::move(t->text));
    out.mutable_token()->set_emit_ns(now);  // the turn's time (docs/PROTOCOL.md §7.2)
  } else if (auto* e = std::get_if<worker::ErrorItem>(&*item)) {
    if (e->cause == worker::ErrorCause::kOverloaded && !s.sent_token) {
      // Busy before the first token: a refusal (no Error item), placed elsewhere.
      logger().info("worker={} connection.id={}: token source refused ({}): {}",
                    config_.label,
                    s.connection_id,
                    worker::to_string(e->cause),
                    e->message);
      s.refuse = rpc::Status{rpc::StatusCode::kUnavailable, e->message};
      return false;
    }
    if (e->cause != worker::ErrorCause::kInjected) {
      logger().warn("worker={} connection.id={}: token source failed ({}): {}",
                    config_.label,
                    s.connection_id,
                    worker::to_string(e->cause),
                    e->message);
    }
    out.mutable_error()->set_message(e->message);
    s.finish = rpc::Status{rpc::StatusCode::kUnavailable, e->message};
  } else {
    const auto& done = std::get<worker::DoneItem>(*item);
    logger().debug("worker={} connection.id={}: stream done tokens={} finish={}",
                   config_.label,
                   s.connection_id,
                   done.tokens,
                   worker::to_string(done.reason));
    out.mutable_done()->set_tokens(done.tokens);
    out.mutable_done()->set_finish_reason(std::string(worker::to_string(done.reason)));
    out.mutable_done()->set_prompt_tokens(done.prompt_tokens);
    s.finish = rpc::Status{};
  }
  s.pending = std::move(out);
  return true;
}

// Writes what is due for stream `id`, then files its next due time.
void WorkerService::Impl::pump(std::uint64_t id, Timestamp now) {
  write_due(id, now);
  schedule(id);
}

Timestamp WorkerService::Impl::next_due(const Stream& s) {
  if (s.blocked) {
    return kNever;  // on_writable pumps it
  }
  return s.pending || s.notified ? Timestamp{0} : s.ws.deadline();
}

void WorkerService::Impl::schedule(std::uint64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return;
  }
  if (const Timestamp t = next_due(it->second); t != kNever) {
    due_.emplace(t, id);
  }
  if (due_.size() > 4 * streams_.size() + 64) {  // stale entries piled up: refile
    due_ = {};
    for (const auto& [sid, st] : streams_) {
      if (const Timestamp t = next_due(st); t != kNever) {
        due_.emplace(t, sid);
      }
    }
  }
}

// Writes due items until none is due, the call's send queue is full or kItemsPerTurn
// items went out.
void WorkerService::Impl::write_due(std::uint64_t id, Timestamp now) {
  for (int budget = kItemsPerTurn; budget > 0; --budget) {
    auto it = streams_.find(id);
    if (it == streams_.end()) {
      return;
    }
    Stream& s = it->second;
    if (s.blocked || (!s.pending && !next_item(s, now))) {
      if (s.refuse) {
        refuse_stream(it);
      }
      return;
    }
    Result<void> sent = s.call.write(*s.pending);
    if (!sent && sent.error().code == Errc::kFlowControl) {
      s.blocked = true;
      ++stats_.write_blocks;
      return;
    }
    if (!sent) {
      return;  // the call is ending; its on_done forgets the stream
    }
    const bool token = s.pending->has_token();
    stats_.tokens += token ? 1 : 0;
    s.sent_token = s.sent_token || token;
    s.pending.reset();
    if (s.finish) {
      WorkerCall call = s.call;
      const rpc::Status status = *s.finish;
      ++(status.ok() ? stats_.streams_done : stats_.streams_failed);
      streams_.erase(it);
      (void)call.finish(status);
      return;
    }
  }
}

// Ends a stream whose source was busy before its first token with an UNAVAILABLE trailer
// and no Error item: the director counts it as a refusal and places the stream elsewhere.
void WorkerService::Impl::refuse_stream(std::map<std::uint64_t, Stream>::iterator it) {
  WorkerCall call = it->second.call;
  const rpc::Status status = *it->second.refuse;
  --stats_.streams_accepted;
  ++stats_.streams_refused;
  streams_.erase(it);
  (void)call.finish(status);
}

void WorkerService::Impl::update_action(Timestamp now) {
  const FailureAction a = plan_.action(now);
  if (a == action_) {
    return;
  }
  action_ = a;
  for (auto& [id, s] : streams_) {
    s.notified = true;  // every stream sees the new action at the next turn
    due_.emplace(Timestamp{0}, id);
  }
  if (a == FailureAction::kServe) {
    logger().info("worker={}: ✅ recovered from simulated failure", config_.label);
  } else if (streams_.empty()) {
    logger().warn("worker={} mode={}: ⚠️  simulating failure after {}",
                  config_.label,
                  action_name(a),
                  seconds(config_.fail_after));
  }
  for (const auto& [id, s] : streams_) {
    logger().warn("worker={} connection.id={}: ⚠️  simulating failure after {}",
                  config_.label,
                  s.connection_id,
                  seconds(config_.fail_after));
  }
  if (on_failure_) {
    on_failure_(a);
  }
}

void WorkerService::Impl::on_timeout(Timestamp now) {
  update_action(now);
  std::vector<std::uint64_t> ids;
  while (!due_.empty() && due_.top().first <= now) {
    const std::uint64_t id = due_.top().second;
    due_.pop();
    if (auto it = streams_.find(id); it != streams_.end() && due(it->second, now)) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());  // in id order, as the scan that this replaced
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (std::uint64_t id : ids) {
    pump(id, now);
  }
}

Timestamp WorkerService::Impl::deadline() const {
  // The plan's deadline is its next change after now: a change whose instant has passed but
  // that on_timeout has not applied yet is due at once (else only a stream's own deadline,
  // kNever for a waiting asynchronous source, would ever apply it).
  const Timestamp now = now_();
  Timestamp d = plan_.action(now) != action_ ? Timestamp{0} : plan_.deadline(now);
  while (!due_.empty()) {
    const auto [t, id] = due_.top();
    auto it = streams_.find(id);
    if (it != streams_.end() && next_due(it->second) == t) {
      return std::min(d, t);
    }
    due_.pop();  // stale: the stream is gone or its due moved (a newer entry holds it)
  }
  return d;
}

WorkerStatus WorkerService::Impl::status() const {
  const FailureAction a = plan_.action(now_());
  WorkerStatus st;
  st.load = static_cast<std::uint32_t>(streams_.size());
  st.draining = draining_;
  st.available = !draining_ && !stopped_ && a == FailureAction::kServe && source_->available();
  st.hung = a == FailureAction::kHang;
  return st;
}

void WorkerService::Impl::on_health(rpc::ServerCall<v1::HealthRequest, v1::HealthResponse> call) {
  const WorkerStatus st = status();
  v1::HealthResponse r;
  r.set_label(config_.label);
  r.set_available(st.available);
  r.set_draining(st.draining);
  r.set_load(st.load);
  r.set_failure(std::string(action_name(plan_.action(now_()))));
  (void)call.reply(r);
}

void WorkerService::Impl::stop() {
  stopped_ = true;
  auto streams = std::move(streams_);
  streams_.clear();
  due_ = {};
  for (auto& [id, s] : streams) {
    s.ws.cancel();
    s.call.on_done(nullptr);
    s.call.on_writable(nullptr);
    s.call.cancel({rpc::StatusCode::kUnavailable, "worker stopping"});
  }
}

// WorkerService: forwards to Impl.

WorkerService::WorkerService(const worker::WorkerConfig& config,
                             NowFn now,
                             std::unique_ptr<worker::TokenSource> source)
    : impl_(std::make_shared<Impl>(config, std::move(now), std::move(source))) {}

WorkerService::~WorkerService() {
  impl_->stop();
}

Result<void> WorkerService::add_user_methods(rpc::Registry& user) {
  std::weak_ptr<Impl> weak = impl_;
  return user.add_server_streaming<WorkerRequest, v1::WorkerItem>(
      std::string(kWorkerGenerate), [weak](WorkerCall call, WorkerRequest request) {
        if (auto impl = weak.lock()) {
          impl->on_generate(std::move(call), std::move(request));
        } else {
          (void)call.finish({rpc::StatusCode::kUnavailable, "worker gone"});
        }
      });
}

Result<void> WorkerService::add_mgmt_methods(rpc::Registry& mgmt) {
  std::weak_ptr<Impl> weak = impl_;
  return mgmt.add_unary<v1::HealthRequest, v1::HealthResponse>(
      std::string(kWorkerAdminHealth),
      [weak](rpc::ServerCall<v1::HealthRequest, v1::HealthResponse> call,
             const v1::HealthRequest& /*request*/) {
        if (auto impl = weak.lock()) {
          impl->on_health(std::move(call));
        } else {
          (void)call.finish({rpc::StatusCode::kUnavailable, "worker gone"});
        }
      });
}

void WorkerService::on_failure(std::function<void(FailureAction)> fn) {
  impl_->on_failure_ = std::move(fn);
}

void WorkerService::start_drain() {
  impl_->draining_ = true;
}

Timestamp WorkerService::deadline() const {
  return impl_->deadline();
}

void WorkerService::on_timeout(Timestamp now) {
  impl_->on_timeout(now);
}

WorkerStatus WorkerService::status() const {
  return impl_->status();
}

WorkerServiceStats WorkerService::stats() const {
  return impl_->stats_;
}

void WorkerService::stop() {
  impl_->stop();
}

}  // namespace connswap::services
