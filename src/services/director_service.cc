#include "services/director_service.h"

#include <set>
#include <utility>

#include "base/log.h"
#include "base/random.h"
#include "services/convert.h"
#include "services/detail/director_impl.h"
#include "wire/frame.h"

namespace connswap::services {

using director::StreamKey;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

std::string default_connection_id(const rpc::PeerInfo& peer) {
  // One id per QUIC connection, so that every call on it shares one session (PROTOCOL.md
  // §7: what the id identifies). The QUIC id is hex, within check_connection_id().
  return peer.connection.empty() ? std::string() : "quic-" + peer.connection;
}

}  // namespace

DirectorService::Impl::Impl(const director::DirectorConfig& config,
                            WorkerConnector& connector,
                            NowFn now)
    : now_(std::move(now)),
      core_(config),
      sessions_(migration::SessionConfig{}),
      upstreams_(connector,
                 {[this](director::AttemptId id, const v1::WorkerItem& item) {
                    run([&] { on_upstream_item(id, item); });
                  },
                  [this](director::AttemptId id, const rpc::Status& status) {
                    run([&] { on_upstream_end(id, status); });
                  }}),
      probes_(connector, config.probe_timeout, static_cast<int>(config.probe_pings)),
      tickets_(config.prefix_max_tokens, config.prefix_max_bytes),
      max_request_bytes_(services::max_request_bytes(config)) {}

void DirectorService::Impl::open_stream(std::unique_ptr<ClientSink> sink,
                                        std::string connection_id,
                                        const v1::GenerateRequest& request) {
  if (stopped_) {
    sink->finish({rpc::StatusCode::kUnavailable, "director shutting down"});
    return;
  }
  if (refused_at_open(*sink, connection_id, request)) {
    return;
  }
  if (request.has_resume()) {
    open_resumed(std::move(sink), request.resume(), connection_id);
    return;
  }
  if (connection_id.empty()) {
    connection_id = "conn-" + std::to_string(next_connection_++);  // a front without ids
  }
  // Stream ids are unique per director; a resumed stream keeps the id another director gave
  // it, so skip ids its connection already has open here.
  std::uint64_t stream_id = next_stream_id_++;
  while (clients_.key_of(connection_id, stream_id)) {
    stream_id = next_stream_id_++;
  }
  if (!admit_to_book(*sink, connection_id, stream_id)) {
    return;
  }
  GenerateRequest plain = from_proto(request);
  run([&] {
    auto key = core_.open_stream({connection_id, stream_id, plain, {}}, now_());
    if (!key) {
      (void)sessions_.close_stream(
          {connection_id, stream_id}, migration::MigrationState::kAborted, now_());
      sink->finish({rpc::StatusCode::kInvalidArgument, key.error().message()});
      return;
    }
    detail::ClientStream c;
    c.sink = std::move(sink);
    c.connection_id = std::move(connection_id);
    c.stream_id = stream_id;
    c.request = std::move(plain);
    add_client(*key, std::move(c));
  });
}

// Streams refused before the router sees them (issue 14): a connection id a client chose
// that is not check_connection_id() valid, or a request larger than max_request_bytes_.
// Finishes `sink` INVALID_ARGUMENT and returns true then.
bool DirectorService::Impl::refused_at_open(ClientSink& sink,
                                            const std::string& connection_id,
                                            const v1::GenerateRequest& request) {
  if (!connection_id.empty()) {
    if (auto valid = check_connection_id(connection_id); !valid) {
      ++extra_.bad_connection_ids;
      logger().warn("peer={} bytes={}: ⛔ stream refused: bad connection id",
                    sink.peer(),
                    connection_id.size());
      sink.finish({rpc::StatusCode::kInvalidArgument, valid.error().detail});
      return true;
    }
  }
  // Any prefix a migration adds must still fit the worker's frame: refuse what could not
  // be forwarded now, not at a failover (where it once quarantined workers, issue 14).
  if (request.has_resume()) {
    return false;  // its request is the sealed one, checked when it first opened
  }
  if (const std::size_t bytes = request.ByteSizeLong(); bytes > max_request_bytes_) {
    ++extra_.requests_refused;
    logger().warn("connection.id={} peer={} bytes={} limit={}: ⛔ stream refused: request too large",
                  connection_id,
                  sink.peer(),
                  bytes,
                  max_request_bytes_);
    sink.finish({rpc::StatusCode::kInvalidArgument,
                 "request too large: " + std::to_string(bytes) +
                     " bytes; this director forwards requests of at most " +
                     std::to_string(max_request_bytes_) +
                     " bytes (the 4 MiB frame less room for a failover's prefix)"});
    return true;
  }
  return false;
}

// A stream carrying a ticket: check it, redeem it, and open the stream again at
// last_seq + 1 under its old stream id.
void DirectorService::Impl::open_resumed(std::unique_ptr<ClientSink> sink,
                                         const v1::Resume& resume,
                                         const std::string& connection_id) {
  auto redeemed = tickets_.redeem(resume, connection_id);
  if (!redeemed) {
    ++extra_.resumes_refused;
    logger().warn("connection.id={} peer={} reason=\"{}\": ⛔ resume refused",
                  connection_id,
                  sink->peer(),
                  redeemed.error().message);
    rpc::Status status = redeemed.error();
    status.message = "resume refused: " + status.message;
    sink->finish(status);
    return;
  }
  director::StreamSpec& spec = redeemed->spec;
  // The client's old call may still be open here (its connection went silently): the
  // ticket proves the stream is the caller's, so that call ends now.
  if (auto old = clients_.key_of(connection_id, spec.stream_id)) {
    run([&] { core_.on_client_cancel(*old, now_()); });
  }
  if (!admit_to_book(*sink, connection_id, spec.stream_id)) {
    return;
  }
  ++extra_.resumes;
  logger().info("connection.id={} stream.id={} resume_seq={} migrations={}: ♻️  stream resumed",
                connection_id,
                spec.stream_id,
                spec.request.start_seq,
                redeemed->migrations);
  const std::uint64_t stream_id = spec.stream_id;
  run([&] {
    auto key = core_.open_stream(std::move(spec), now_());
    if (!key) {
      (void)sessions_.close_stream(
          {connection_id, stream_id}, migration::MigrationState::kAborted, now_());
      sink->finish({rpc::StatusCode::kInvalidArgument, key.error().message()});
      return;
    }
    detail::ClientStream c;
    c.sink = std::move(sink);
    c.connection_id = connection_id;
    c.stream_id = stream_id;
    c.request = std::move(redeemed->request);
    c.base_migrations = redeemed->migrations;
    add_client(*key, std::move(c));
  });
}

void DirectorService::Impl::add_client(StreamKey key, detail::ClientStream&& stream) {
  const Timestamp now = now_();
  detail::ClientStream& c = clients_.add(key, std::move(stream));
  c.ticket_at = now;
  c.sink->set_callbacks({[this, key] { run([&] { after_write(key, clients_.flush(key)); }); },
                         [this, key](ClientGone why) { on_client_gone(key, why); }});
}

// The client went away (cancel, reset, connection lost) before we finished the stream.
void DirectorService::Impl::on_client_gone(StreamKey key, ClientGone why) {
  const detail::ClientStream* c = clients_.find(key);
  if (c == nullptr) {
    return;
  }
  if (why == ClientGone::kConnectionLost) {
    (void)sessions_.on_connection_closed(c->connection_id, now_());
  }
  run([&] { core_.on_client_cancel(key, now_()); });
}

void DirectorService::Impl::on_timeout(Timestamp now) {
  run([&] {
    start_queued(now);
    continue_draining(now);
    release_budget(now);
    conclude_probes(now);
    core_.on_timeout(now);
  });
  sessions_.on_timeout(now);
  end_blocked_streams(now);
}

// Tickets go out last: by then every token the core forwarded is queued before them, so a
// ticket never claims a token the client has not been sent.
void DirectorService::Impl::run_actions() {
  for (;;) {
    if (auto action = core_.poll_action()) {
      execute(*action);
    } else if (auto event = core_.poll_event()) {
      log_event(*event);
    } else if (tickets_.any_due()) {
      issue_due_tickets();
    } else {
      return;
    }
  }
}

void DirectorService::Impl::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  queued_starts_.clear();
  start_deadline_ = kNever;
  upstreams_.cancel_all();
  // A last ticket for every stream (best effort: what the sinks still take), so its client
  // continues on another director, or on this one once restarted.
  std::vector<StreamKey> keys;
  for (const auto& [key, c] : clients_.all()) {
    keys.push_back(key);
  }
  for (StreamKey key : keys) {
    if (auto point = core_.router().resume_point(key)) {
      send_ticket(key, *point);
    }
  }
  clients_.finish_all({rpc::StatusCode::kUnavailable, "director stopping"});
}

DirectorStats DirectorService::Impl::stats() const {
  DirectorStats s = extra_;
  s.router = core_.router().stats();
  s.active_streams = core_.router().active_streams();
  s.workers = core_.pool().counts();
  s.blocked_streams = clients_.blocked();
  s.max_outbox = clients_.max_outbox();
  s.max_outbox_bytes = clients_.max_outbox_bytes();
  s.resume_refusals = tickets_.refusals();
  s.buffered_bytes = buffered_total_;
  s.probe_pings = probes_.pings();
  s.probes_extended = probes_.extended();
  s.budget_paused_streams = static_cast<std::uint64_t>(
      std::count_if(clients_.all().begin(), clients_.all().end(), [](const auto& kv) {
        return kv.second.budget_paused;
      }));
  return s;
}

std::size_t max_request_bytes(const director::DirectorConfig& config) {
  const std::size_t prefix = std::size_t{config.prefix_max_bytes} +
                             director::kPrefixEntryOverhead * config.prefix_max_tokens;
  const std::size_t reserved = prefix + kWorkerRequestMargin;
  return reserved < wire::kDefaultMaxFrameSize ? wire::kDefaultMaxFrameSize - reserved : 0;
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
      std::string(kDirectorGenerate),
      [weak](detail::GenerateCall call, const v1::GenerateRequest& request) {
        if (auto impl = weak.lock()) {
          std::string connection_id = connection_id_of(call.raw());
          if (connection_id.empty()) {
            connection_id = default_connection_id(call.raw().peer());
          }
          impl->open_stream(detail::make_quic_sink(std::move(call)), connection_id, request);
        } else {
          (void)call.finish({rpc::StatusCode::kUnavailable, "director gone"});
        }
      });
}

void DirectorService::open_stream(std::unique_ptr<ClientSink> sink,
                                  std::string connection_id,
                                  const v1::GenerateRequest& request) {
  impl_->open_stream(std::move(sink), std::move(connection_id), request);
}

std::size_t DirectorService::max_request_bytes() const {
  return impl_->max_request_bytes();
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

std::vector<std::string> DirectorService::models() const {
  std::set<std::string> all;
  for (const auto& [label, w] : pool().workers()) {
    if (w.state != director::WorkerState::kLost) {
      all.insert(w.models.begin(), w.models.end());
    }
  }
  return {all.begin(), all.end()};
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
  impl_->book_all_tokens();  // token counts made current (logically const)
  return impl_->sessions();
}

void DirectorService::enable_resume(migration::Keyring keyring,
                                    const ResumeConfig& config,
                                    WallClockFn wall_now) {
  impl_->enable_resume(std::move(keyring), config, std::move(wall_now));
}

void DirectorService::Impl::enable_resume(migration::Keyring keyring,
                                          const ResumeConfig& config,
                                          WallClockFn wall) {
  tickets_.enable(std::move(keyring), config, std::move(wall));
  // Before the first stream only: ids already given stay unique.
  if (next_stream_id_ == 1) {
    next_stream_id_ =
        config.first_stream_id != 0 ? config.first_stream_id : 1 + (random_u64() >> 12);
  }
}

Duration DirectorService::heartbeat_interval(const director::DirectorConfig& config) {
  return director::effective_heartbeat_interval(config);
}

}  // namespace connswap::services
