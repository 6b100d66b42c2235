#include "services/director_service.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "base/log.h"
#include "services/convert.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::StreamKey;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

rpc::StatusCode to_rpc(director::StatusCode code) {
  return static_cast<rpc::StatusCode>(static_cast<std::uint8_t>(code));
}

}  // namespace

DirectorService::Impl::Impl(const director::DirectorConfig& config,
                            WorkerConnector& connector,
                            NowFn now)
    : config_(config),
      connector_(connector),
      now_(std::move(now)),
      pool_(config_),
      router_(config_, pool_),
      sessions_(migration::SessionConfig{}) {}

void DirectorService::Impl::on_generate(GenerateCall call, const v1::GenerateRequest& request) {
  if (stopped_) {
    (void)call.finish({rpc::StatusCode::kUnavailable, "director shutting down"});
    return;
  }
  std::string connection_id = connection_id_of(call.raw());
  if (request.has_resume()) {
    on_resume(std::move(call), request.resume(), connection_id);
    return;
  }
  if (connection_id.empty()) {
    connection_id = "conn-" + std::to_string(next_connection_++);
  }
  // Stream ids are unique per director; a resumed stream keeps the id another director gave
  // it, so skip ids its connection already has open here.
  std::uint64_t stream_id = next_stream_id_++;
  while (find_client(connection_id, stream_id) != nullptr) {
    stream_id = next_stream_id_++;
  }
  const Timestamp now = now_();
  GenerateRequest plain = from_proto(request);
  run([&] {
    auto key = router_.open_stream(connection_id, stream_id, plain, now);
    if (!key) {
      (void)call.finish({rpc::StatusCode::kInvalidArgument, key.error().message()});
      return;
    }
    ClientStream c;
    c.connection_id = std::move(connection_id);
    c.stream_id = stream_id;
    c.request = std::move(plain);
    add_client(*key, std::move(call), std::move(c));
  });
}

void DirectorService::Impl::add_client(StreamKey key, GenerateCall call, ClientStream&& stream) {
  const Timestamp now = now_();
  if (auto opened = sessions_.open_stream(stream.connection_id, stream.stream_id, now); !opened) {
    logger().debug("connection.id={} stream.id={} error=\"{}\": not in the session book",
                   stream.connection_id,
                   stream.stream_id,
                   opened.error().message());
  }
  ClientStream& c = clients_[key];
  c = std::move(stream);
  c.call = call;
  c.ticket_at = now;
  call.on_done([this, key](const rpc::Status& status) {
    if (auto it = clients_.find(key); it != clients_.end() &&
                                      status.code == rpc::StatusCode::kUnavailable &&
                                      status.message.starts_with("connection lost")) {
      (void)sessions_.on_connection_closed(it->second.connection_id, now_());
    }
    on_client_done(key);
  });
  call.on_writable([this, key] { run([&] { flush(key); }); });
}

DirectorService::Impl::ClientStream* DirectorService::Impl::find_client(
    std::string_view connection_id, std::uint64_t stream_id) {
  for (auto& [key, c] : clients_) {
    if (c.stream_id == stream_id && c.connection_id == connection_id) {
      return &c;
    }
  }
  return nullptr;
}

void DirectorService::Impl::on_client_done(StreamKey key) {
  // Our own finish ends the call after the entry is erased; anything else is the client
  // going away (cancel, reset, connection lost).
  if (clients_.count(key) == 0) {
    return;
  }
  run([&] { router_.on_client_cancel(key, now_()); });
}

void DirectorService::Impl::on_timeout(Timestamp now) {
  run([&] { router_.on_timeout(now); });
  sessions_.on_timeout(now);
}

// Tickets go out last: by then every token the router forwarded is queued before them, so
// a ticket never claims a token the client has not been sent.
void DirectorService::Impl::drain() {
  for (;;) {
    if (auto action = router_.poll_action()) {
      execute(*action);
    } else if (auto event = router_.poll_event()) {
      log_event(*event);
    } else if (!tickets_due_.empty()) {
      issue_due_tickets();
    } else {
      return;
    }
  }
}

void DirectorService::Impl::execute(director::Action& action) {
  std::visit(
      [this](auto& a) {
        using T = std::decay_t<decltype(a)>;
        v1::GenerateItem item;
        if constexpr (std::is_same_v<T, director::StartAttempt>) {
          start_attempt(a);
        } else if constexpr (std::is_same_v<T, director::CancelAttempt>) {
          cancel_attempt(a.attempt);
        } else if constexpr (std::is_same_v<T, director::ForwardToken>) {
          forward_token(a);
        } else if constexpr (std::is_same_v<T, director::SendAssigned>) {
          auto it = clients_.find(a.stream);
          if (it != clients_.end()) {
            auto* as = item.mutable_assigned();
            as->set_connection_id(it->second.connection_id);
            as->set_stream_id(it->second.stream_id);
            as->set_worker(std::move(a.worker));
            send(a.stream, std::move(item));
            ticket_due(a.stream, /*forced=*/true, now_());
          }
        } else if constexpr (std::is_same_v<T, director::SendMigrated>) {
          auto* m = item.mutable_migrated();
          m->set_from(std::move(a.from));
          m->set_to(std::move(a.to));
          m->set_reason(std::move(a.reason));
          m->set_resume_seq(a.resume_seq);
          send(a.stream, std::move(item));
        } else {
          finish_stream(a);
        }
      },
      action);
}

void DirectorService::Impl::forward_token(director::ForwardToken& a) {
  auto it = clients_.find(a.stream);
  if (it == clients_.end()) {
    return;
  }
  const Timestamp now = now_();
  (void)sessions_.on_tokens(it->second.connection_id, it->second.stream_id, 1, now);
  ++it->second.since_ticket;
  send_token(a.stream, it->second, a);
  ticket_due(a.stream, /*forced=*/false, now);
}

void DirectorService::Impl::log_event(const director::Event& event) {
  track(event);
  std::visit(
      [this](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, director::WorkerAssigned>) {
          logger().info("connection.id={} worker={} stream.id={}: 🔄 worker assigned to stream",
                        e.ref.connection_id,
                        e.worker,
                        e.ref.stream_id);
        } else if constexpr (std::is_same_v<T, director::WorkerFailed>) {
          logger().warn(
              "stream.id={} connection.id={} worker={}: ⚠️  worker failed - initiating "
              "connection migration",
              e.ref.stream_id,
              e.ref.connection_id,
              e.worker);
          logger().debug("stream.id={} worker={} reason={} detail=\"{}\": failure detail",
                         e.ref.stream_id,
                         e.worker,
                         director::to_string(e.reason),
                         e.detail);
        } else if constexpr (std::is_same_v<T, director::MigratingStream>) {
          ++extra_.migrations_by_reason[static_cast<std::size_t>(e.reason)];
          logger().info(
              "stream.id={} connection.id={} from_worker={} to_worker={}: 🔀 migrating "
              "connection to new worker",
              e.ref.stream_id,
              e.ref.connection_id,
              e.from,
              e.to);
        } else if constexpr (std::is_same_v<T, director::FailoverGap>) {
          ++extra_.failover_gaps;
          extra_.failover_gap_max = std::max(extra_.failover_gap_max, e.gap);
          extra_.failover_gap_total += e.gap;
          if (gap_observer_) {
            gap_observer_(e.gap);
          }
          logger().debug("stream.id={} from_worker={} to_worker={} gap_ms={}: failover gap",
                         e.ref.stream_id,
                         e.from,
                         e.to,
                         e.gap / kMillisecond);
        } else if constexpr (std::is_same_v<T, director::StateChanged>) {
          // Per-transition detail is the machine's own debug log (module "migration").
        } else {
          logger().warn("stream.id={} connection.id={}: ⏳ no worker available, waiting",
                        e.ref.stream_id,
                        e.ref.connection_id);
        }
      },
      event);
}

void DirectorService::Impl::send(StreamKey key, v1::GenerateItem item) {
  auto it = clients_.find(key);
  if (it == clients_.end()) {
    return;
  }
  ClientStream& c = it->second;
  c.outbox.push_back(std::move(item));
  extra_.max_outbox = std::max<std::uint64_t>(extra_.max_outbox, c.outbox.size());
  flush(key);
}

// The per-token path: fills one reused item (its Token and strings keep their memory) and
// writes it at once when nothing is queued before it; copies it into the outbox otherwise.
void DirectorService::Impl::send_token(StreamKey key,
                                       ClientStream& c,
                                       const director::ForwardToken& a) {
  v1::GenerateItem::Token* t = token_item_.mutable_token();
  t->set_seq(a.seq);
  t->set_text(a.text);
  t->set_worker(a.worker);
  t->set_emit_ns(a.emit_ns);
  if (c.outbox.empty()) {
    Result<void> sent = c.call.write(token_item_);
    if (sent || sent.error().code != Errc::kFlowControl) {
      return;  // sent, or the call is gone (its on_done cancels the stream)
    }
  }
  c.outbox.push_back(token_item_);
  extra_.max_outbox = std::max<std::uint64_t>(extra_.max_outbox, c.outbox.size());
  flush(key);
}

void DirectorService::Impl::finish_stream(const director::FinishStream& f) {
  auto it = clients_.find(f.stream);
  if (it == clients_.end()) {
    return;
  }
  ClientStream& c = it->second;
  on_finished_stream(c, f.code);
  if (f.code == director::StatusCode::kOk) {
    v1::GenerateItem item;
    item.mutable_done()->set_tokens(f.tokens);
    item.mutable_done()->set_finish_reason(f.message);
    c.outbox.push_back(std::move(item));
  } else if (f.code == director::StatusCode::kUnavailable) {
    // The stream may continue elsewhere (or here, later): a ticket from where it stopped.
    send_ticket(f.stream, {f.next_seq, f.window, f.migrations});
  }
  c.finish = rpc::Status{to_rpc(f.code), f.message};
  flush(f.stream);
}

// Writes queued items until the call's send queue is full; sends the trailer once all are
// out. Bound: per stream, the rpc send queue (SessionConfig::send_high_water) plus the few
// items already in flight when the worker calls were paused (DirectorStats::max_outbox).
void DirectorService::Impl::flush(StreamKey key) {
  auto it = clients_.find(key);
  if (it == clients_.end()) {
    return;
  }
  ClientStream& c = it->second;
  while (!c.outbox.empty()) {
    Result<void> sent = c.call.write(c.outbox.front());
    if (!sent && sent.error().code == Errc::kFlowControl) {
      set_blocked(key, true);
      return;
    }
    // Sent, or the call is gone (kClosed: its on_done cancels the stream).
    c.outbox.pop_front();
  }
  if (c.finish) {
    GenerateCall call = c.call;
    const rpc::Status status = *c.finish;
    clients_.erase(it);
    (void)call.finish(status);
    return;
  }
  set_blocked(key, false);
}

// Pauses (or resumes) reading every worker call of the stream, so a slow client slows its
// workers down through flow control instead of growing our queues.
void DirectorService::Impl::set_blocked(StreamKey key, bool blocked) {
  auto it = clients_.find(key);
  if (it == clients_.end() || it->second.blocked == blocked) {
    return;
  }
  ClientStream& c = it->second;
  c.blocked = blocked;
  extra_.client_blocks += blocked ? 1 : 0;
  router_.on_client_blocked(key, blocked, now_());
  std::vector<rpc::Call> calls;
  for (director::AttemptId id : c.attempts) {
    if (auto u = upstreams_.find(id); u != upstreams_.end()) {
      calls.push_back(u->second.call.raw());
    }
  }
  // Resuming may deliver items at once (re-entering the router); `c` is not used after.
  for (rpc::Call& call : calls) {
    blocked ? call.pause_reading() : call.resume_reading();
  }
}

void DirectorService::Impl::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  auto upstreams = std::move(upstreams_);
  upstreams_.clear();
  for (auto& [id, u] : upstreams) {
    u.call.raw().on_done(nullptr);
    u.call.cancel({rpc::StatusCode::kCancelled, "director stopping"});
  }
  // A last ticket for every stream (best effort: what the send queue still takes), so its
  // client continues on another director, or on this one once restarted.
  for (auto& [key, c] : clients_) {
    if (auto point = router_.resume_point(key)) {
      send_ticket(key, *point);
    }
  }
  auto clients = std::move(clients_);
  clients_.clear();
  for (auto& [key, c] : clients) {
    c.call.on_done(nullptr);
    c.call.on_writable(nullptr);
    while (!c.outbox.empty() && c.call.write(c.outbox.front())) {
      c.outbox.pop_front();
    }
    (void)c.call.finish({rpc::StatusCode::kUnavailable, "director stopping"});
  }
}

DirectorStats DirectorService::Impl::stats() const {
  DirectorStats s = extra_;
  s.router = router_.stats();
  s.active_streams = router_.active_streams();
  s.workers = pool_.counts();
  s.blocked_streams = static_cast<std::uint64_t>(std::count_if(
      clients_.begin(), clients_.end(), [](const auto& c) { return c.second.blocked; }));
  return s;
}

// DirectorService: forwards to Impl.

DirectorService::DirectorService(const director::DirectorConfig& config,
                                 WorkerConnector& connector,
                                 NowFn now)
    : impl_(std::make_shared<Impl>(config, connector, std::move(now))) {}

DirectorService::~DirectorService() {
  impl_->stop();
}

Result<void> DirectorService::add_user_methods(rpc::Registry& user) {
  std::weak_ptr<Impl> weak = impl_;
  return user.add_server_streaming<v1::GenerateRequest, v1::GenerateItem>(
      std::string(kDirectorGenerate), [weak](GenerateCall call, v1::GenerateRequest request) {
        if (auto impl = weak.lock()) {
          impl->on_generate(std::move(call), request);
        } else {
          (void)call.finish({rpc::StatusCode::kUnavailable, "director gone"});
        }
      });
}

Timestamp DirectorService::deadline() const {
  return impl_->deadline();
}

void DirectorService::on_timeout(Timestamp now) {
  impl_->on_timeout(now);
}

void DirectorService::stop() {
  impl_->stop();
}

DirectorStats DirectorService::stats() const {
  return impl_->stats();
}

void DirectorService::on_failover_gap(std::function<void(Duration)> fn) {
  impl_->gap_observer_ = std::move(fn);
}

const director::WorkerPool& DirectorService::pool() const {
  return impl_->pool();
}

const migration::ConnectionSessionManager& DirectorService::sessions() const {
  return impl_->sessions();
}

void DirectorService::enable_resume(migration::Keyring keyring,
                                    const ResumeConfig& config,
                                    WallClockFn wall_now) {
  impl_->enable_resume(std::move(keyring), config, std::move(wall_now));
}

Duration DirectorService::heartbeat_interval(const director::DirectorConfig& config) {
  return std::max<Duration>(config.heartbeat_timeout / 3, kMillisecond);
}

}  // namespace connswap::services
