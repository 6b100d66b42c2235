#include "services/generate_client.h"

#include <algorithm>
#include <utility>
#include <variant>

#include <connswap/v1/director.pb.h>

#include "base/log.h"
#include "director/token_window.h"
#include "rpc/client.h"
#include "services/common.h"
#include "services/convert.h"

namespace connswap::services {
namespace {

spdlog::logger& logger() {
  return log::get("client");
}

// Tokens kept since the last ticket (sent back on resume as the prefix tail). A director
// issues tickets every few tokens; past this the tail is dropped (the prefix gets a hole).
constexpr std::size_t kMaxRecent = 4096;

}  // namespace

class GenerateClient::Impl {
 public:
  Impl(GenerateClientConfig config, rpc::Session& session)
      : config_(std::move(config)), session_(&session) {}

  Result<void> start(Timestamp now);
  void cancel();
  std::size_t resume(rpc::Session& session, Timestamp now);
  void abandon();

  struct Stream {
    Stream(GenerateRequest r, std::uint32_t i) : request(r), verifier(std::move(r)), index(i) {}
    GenerateRequest request;
    client::StreamVerifier verifier;
    std::uint32_t index = 0;  // in the config's streams (GenerateClientConfig::observe)
    rpc::Call call;
    std::optional<rpc::Status> status;
    std::string worker;
    std::uint64_t stream_id = 0;
    std::optional<v1::ResumeTicket> ticket;  // the last one received
    std::vector<std::string> recent;         // token texts since ticket->next_seq
    bool recent_complete = true;             // recent was not cut at kMaxRecent
    director::TokenWindow delivered;         // every token 1.. while delivered_whole
    bool delivered_whole = false;            // kept from seq 1, nothing dropped
    bool interrupted = false;                // waiting for resume() or abandon()
    bool resumed_call = false;               // the current call is a resume, no item yet
    bool ended_by_client = false;            // cancel() or our own deadline ended it
  };

  Result<void> start_call(Stream& s, const v1::GenerateRequest& request, Timestamp now);
  void on_item(Stream& s, const v1::GenerateItem& item);
  void on_ticket(Stream& s, const v1::ResumeTicket& ticket);
  void keep_delivered(Stream& s, const client::Token& t);
  void on_done(Stream& s, const rpc::Status& status);
  bool resumable(const Stream& s, const rpc::Status& status) const;
  void settle();
  std::size_t interrupted_count() const;

 private:
  friend class GenerateClient;  // its forwarding methods read and reset the state below
  GenerateClientConfig config_;
  rpc::Session* session_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::size_t open_ = 0;
  bool progress_ = false;
  bool finished_fired_ = false;  // on_finished runs once
  bool cancelling_ = false;      // inside cancel(): CANCELLED calls are ours
  std::function<void()> on_finished_;
  std::function<void()> on_interrupted_;
};

Result<void> GenerateClient::Impl::start(Timestamp now) {
  if (!streams_.empty()) {
    return make_error(Errc::kInvalidArgument, "already started");
  }
  for (std::uint32_t i = 0; i < config_.streams; ++i) {
    GenerateRequest r = config_.request;
    if (config_.streams > 1) {
      r.prompt += " #" + std::to_string(i);
    }
    auto s = std::make_unique<Stream>(std::move(r), i);
    const GenerateRequest& req = s->request;
    if (config_.resume && req.max_tokens != 0 && req.start_seq <= kFirstSeq &&
        config_.prefix_max_tokens != 0) {
      s->delivered = director::TokenWindow(config_.prefix_max_tokens, config_.prefix_max_bytes);
      s->delivered_whole = true;
    }
    streams_.push_back(std::move(s));
  }
  for (auto& sp : streams_) {
    Result<void> sent = start_call(*sp, to_proto(sp->request), now);
    if (!sent) {
      cancel();
      streams_.clear();
      open_ = 0;
      return sent;
    }
  }
  return {};
}

Result<void> GenerateClient::Impl::start_call(Stream& s,
                                              const v1::GenerateRequest& request,
                                              Timestamp now) {
  Stream* sp = &s;
  rpc::CallOptions options;
  options.method = std::string(kDirectorGenerate);
  options.deadline = config_.timeout == 0 ? kNever : now + config_.timeout;
  options.metadata[std::string(kConnectionIdKey)] = config_.connection_id;
  rpc::ClientCallbacks<v1::GenerateItem> callbacks;
  callbacks.on_message = [this, sp](v1::GenerateItem&& item) { on_item(*sp, item); };
  callbacks.on_done = [this, sp](const rpc::Status& status) { on_done(*sp, status); };
  auto call = rpc::start_call_with<v1::GenerateRequest, v1::GenerateItem>(
      *session_, std::move(options), std::move(callbacks), request, now);
  if (!call) {
    return Unexpected(std::move(call).error());
  }
  s.call = call->raw();
  ++open_;
  return {};
}

void GenerateClient::Impl::on_item(Stream& s, const v1::GenerateItem& item) {
  if (s.resumed_call) {
    s.resumed_call = false;
    s.verifier.on_resumed();
  }
  if (item.has_ticket()) {
    on_ticket(s, item.ticket());
    return;
  }
  auto converted = to_stream_item(item);
  if (!converted) {
    // An item of no known kind (empty, or a newer server's): never skipped silently.
    s.verifier.on_undecodable();
    logger().warn("connection.id={} stream.id={} item_case={}: ❌ undecodable item, ending stream",
                  config_.connection_id,
                  s.stream_id,
                  static_cast<int>(item.item_case()));
    s.call.cancel({rpc::StatusCode::kInternal, "undecodable item from the director"});
    return;
  }
  s.verifier.on_item(*converted);
  if (config_.observe) {
    config_.observe(s.index, *converted);
  }
  const std::string& conn = config_.connection_id;
  if (auto* a = std::get_if<client::Assigned>(&*converted)) {
    s.worker = a->worker;
    s.stream_id = a->stream_id;
    logger().info("connection.id={} worker={} stream.id={}: 🔄 worker assigned to stream",
                  a->connection_id,
                  a->worker,
                  a->stream_id);
  } else if (auto* t = std::get_if<client::Token>(&*converted)) {
    progress_ = true;
    keep_delivered(s, *t);
    if (s.ticket && s.recent_complete) {
      s.recent.push_back(t->text);
      if (s.recent.size() > kMaxRecent) {
        s.recent.clear();
        s.recent_complete = false;
      }
    }
    logger().log(config_.log_tokens ? spdlog::level::info : spdlog::level::debug,
                 "connection.id={} worker={} stream.id={} sequence={}: 📦 received token",
                 conn,
                 item.token().worker(),
                 s.stream_id,
                 t->seq);
  } else if (auto* m = std::get_if<client::Migrated>(&*converted)) {
    s.worker = m->to;
    logger().info(
        "connection.id={} from_worker={} to_worker={} reason={} resume_seq={}: 🔀 CONNECTION "
        "MIGRATION: switching workers",
        conn,
        m->from,
        m->to,
        m->reason,
        m->resume_seq);
  }
}

// Keeps the stream's every token for Resume.delivered, until a bound (or a token out of
// order) makes that impossible: then the memory goes and resume falls back to `recent`.
void GenerateClient::Impl::keep_delivered(Stream& s, const client::Token& t) {
  if (!s.delivered_whole) {
    return;
  }
  if (t.seq != s.delivered.size() + kFirstSeq || s.delivered.push(t.text) != 0) {
    s.delivered_whole = false;
    s.delivered = director::TokenWindow();
  }
}

void GenerateClient::Impl::on_ticket(Stream& s, const v1::ResumeTicket& ticket) {
  if (!config_.resume) {
    return;
  }
  // The ticket covers every token before it, so it starts at the next one we expect.
  if (ticket.next_seq() != s.verifier.next_seq()) {
    logger().warn("connection.id={} stream.id={} next_seq={} expected={}: ticket ignored",
                  config_.connection_id,
                  s.stream_id,
                  ticket.next_seq(),
                  s.verifier.next_seq());
    return;
  }
  logger().debug("connection.id={} stream.id={} next_seq={} expires_at={}: 🎫 resume ticket",
                 config_.connection_id,
                 s.stream_id,
                 ticket.next_seq(),
                 ticket.expires_at());
  s.ticket = ticket;
  s.recent.clear();
  s.recent_complete = true;
}

// UNAVAILABLE is the director or its connection going away (or no worker there now):
// another try, here or on another director, may continue the stream. Anything else is an
// answer about the stream itself.
bool GenerateClient::Impl::resumable(const Stream& s, const rpc::Status& status) const {
  return config_.resume && s.ticket.has_value() && status.code == rpc::StatusCode::kUnavailable &&
         !s.verifier.tally().done;
}

void GenerateClient::Impl::on_done(Stream& s, const rpc::Status& status) {
  s.status = status;
  s.call = rpc::Call();
  s.resumed_call = false;
  --open_;
  if ((cancelling_ && status.code == rpc::StatusCode::kCancelled) ||
      (config_.timeout != 0 && status.code == rpc::StatusCode::kDeadlineExceeded)) {
    s.ended_by_client = true;
    s.verifier.on_ended_by_client();
  }
  if (resumable(s, status)) {
    s.interrupted = true;
    logger().warn(
        "connection.id={} stream.id={} last_seq={} status=\"{}\": ⏸️  stream "
        "interrupted, will resume",
        config_.connection_id,
        s.stream_id,
        s.verifier.next_seq() - 1,
        status.to_string());
    if (on_interrupted_) {
      on_interrupted_();
    }
    return;
  }
  if (!status.ok()) {
    logger().warn("connection.id={} stream.id={} status=\"{}\": ❌ stream failed",
                  config_.connection_id,
                  s.stream_id,
                  status.to_string());
  }
  settle();
}

std::size_t GenerateClient::Impl::resume(rpc::Session& session, Timestamp now) {
  session_ = &session;
  std::size_t started = 0;
  for (auto& sp : streams_) {
    Stream& s = *sp;
    if (!s.interrupted) {
      continue;
    }
    v1::GenerateRequest request;
    v1::Resume* r = request.mutable_resume();
    r->set_token(s.ticket->token());
    r->set_snapshot(s.ticket->snapshot());
    r->set_last_seq(s.verifier.next_seq() - 1);
    if (s.delivered_whole && s.delivered.size() == r->last_seq()) {
      std::vector<std::string> all = s.delivered.tokens();
      r->mutable_delivered()->Reserve(static_cast<int>(all.size()));
      for (std::string& text : all) {
        r->add_delivered(std::move(text));
      }
    } else if (s.recent_complete) {
      r->mutable_recent()->Add(s.recent.begin(), s.recent.end());
    }
    if (auto sent = start_call(s, request, now); !sent) {
      logger().debug("connection.id={} stream.id={} error=\"{}\": resume call not started",
                     config_.connection_id,
                     s.stream_id,
                     sent.error().message());
      continue;  // still interrupted: the owner tries again
    }
    s.interrupted = false;
    s.resumed_call = true;
    ++started;
    logger().info("connection.id={} stream.id={} last_seq={}: ♻️  resuming stream",
                  config_.connection_id,
                  s.stream_id,
                  s.verifier.next_seq() - 1);
  }
  return started;
}

void GenerateClient::Impl::abandon() {
  for (auto& s : streams_) {
    if (s->interrupted) {
      s->interrupted = false;
      logger().warn("connection.id={} stream.id={} status=\"{}\": ❌ stream failed (not resumed)",
                    config_.connection_id,
                    s->stream_id,
                    s->status ? s->status->to_string() : "none");
    }
  }
  settle();
}

std::size_t GenerateClient::Impl::interrupted_count() const {
  return static_cast<std::size_t>(std::count_if(
      streams_.begin(), streams_.end(), [](const auto& s) { return s->interrupted; }));
}

void GenerateClient::Impl::settle() {
  if (open_ == 0 && !streams_.empty() && interrupted_count() == 0 && !finished_fired_ &&
      on_finished_) {
    finished_fired_ = true;
    on_finished_();
  }
}

void GenerateClient::Impl::cancel() {
  for (auto& s : streams_) {
    if (s->interrupted) {
      s->interrupted = false;
      s->status = rpc::Status{rpc::StatusCode::kCancelled, "cancelled while interrupted"};
      s->ended_by_client = true;
      s->verifier.on_ended_by_client();
    }
  }
  cancelling_ = true;
  for (auto& s : streams_) {
    if (!s->call.done()) {
      s->call.cancel();  // runs on_done (CANCELLED)
    }
  }
  cancelling_ = false;
  settle();
}

// GenerateClient: forwards to Impl.

GenerateClient::GenerateClient(GenerateClientConfig config, rpc::Session& session)
    : impl_(std::make_unique<Impl>(std::move(config), session)) {}

GenerateClient::~GenerateClient() {
  impl_->on_finished_ = nullptr;
  impl_->cancel();
}

Result<void> GenerateClient::start(Timestamp now) {
  return impl_->start(now);
}

void GenerateClient::on_finished(std::function<void()> fn) {
  impl_->on_finished_ = std::move(fn);
}

bool GenerateClient::finished() const {
  return !impl_->streams_.empty() && impl_->open_ == 0 && impl_->interrupted_count() == 0;
}

void GenerateClient::on_interrupted(std::function<void()> fn) {
  impl_->on_interrupted_ = std::move(fn);
}

std::size_t GenerateClient::interrupted() const {
  return impl_->interrupted_count();
}

std::size_t GenerateClient::resume(rpc::Session& session, Timestamp now) {
  return impl_->resume(session, now);
}

void GenerateClient::abandon() {
  impl_->abandon();
}

bool GenerateClient::take_progress() {
  return std::exchange(impl_->progress_, false);
}

std::vector<GenerateResult> GenerateClient::results() const {
  std::vector<GenerateResult> out;
  for (const auto& s : impl_->streams_) {
    out.push_back({s->verifier.tally(), s->status, s->worker});
  }
  return out;
}

client::ClientSummary GenerateClient::summary() const {
  client::ClientSummary summary;
  summary.connection_id = impl_->config_.connection_id;
  for (const auto& s : impl_->streams_) {
    client::StreamTally tally = s->verifier.tally();
    // A call that failed is not verified, unless the client ended it itself (then the
    // verifier decides: only an unbounded stream verifies without its Done).
    if (!s->status || (!s->status->ok() && !s->ended_by_client)) {
      tally.verified = false;
    }
    summary.add(tally);
  }
  return summary;
}

void GenerateClient::set_paused(bool paused) {
  for (auto& s : impl_->streams_) {
    paused ? s->call.pause_reading() : s->call.resume_reading();
  }
}

void GenerateClient::cancel() {
  impl_->cancel();
}

}  // namespace connswap::services
