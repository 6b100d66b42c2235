#include "services/generate_client.h"

#include <utility>
#include <variant>

#include <connswap/v1/director.pb.h>

#include "base/log.h"
#include "rpc/client.h"
#include "services/common.h"
#include "services/convert.h"

namespace connswap::services {
namespace {

spdlog::logger& logger() {
  return log::get("client");
}

}  // namespace

class GenerateClient::Impl {
 public:
  Impl(GenerateClientConfig config, rpc::Session& session)
      : config_(std::move(config)), session_(session) {}

  Result<void> start(Timestamp now);
  void cancel();

  struct Stream {
    explicit Stream(GenerateRequest r) : request(r), verifier(std::move(r)) {}
    GenerateRequest request;
    client::StreamVerifier verifier;
    rpc::Call call;
    std::optional<rpc::Status> status;
    std::string worker;
    std::uint64_t stream_id = 0;
  };

  void on_item(Stream& s, const v1::GenerateItem& item);
  void on_done(Stream& s, const rpc::Status& status);

  GenerateClientConfig config_;
  rpc::Session& session_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::size_t open_ = 0;
  std::function<void()> on_finished_;
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
    streams_.push_back(std::make_unique<Stream>(std::move(r)));
  }
  for (auto& sp : streams_) {
    Stream* s = sp.get();
    rpc::CallOptions options;
    options.method = std::string(kDirectorGenerate);
    options.deadline = config_.timeout == 0 ? kNever : now + config_.timeout;
    options.metadata[std::string(kConnectionIdKey)] = config_.connection_id;
    rpc::ClientCallbacks<v1::GenerateItem> callbacks;
    callbacks.on_message = [this, s](v1::GenerateItem&& item) { on_item(*s, item); };
    callbacks.on_done = [this, s](const rpc::Status& status) { on_done(*s, status); };
    auto call = rpc::start_call<v1::GenerateRequest, v1::GenerateItem>(
        session_, std::move(options), std::move(callbacks), now);
    Result<void> sent =
        call ? call->write(to_proto(s->request)) : Result<void>(Unexpected(call.error()));
    if (sent) {
      sent = call->half_close();
    }
    if (!sent) {
      cancel();
      streams_.clear();
      open_ = 0;
      return sent;
    }
    s->call = call->raw();
    ++open_;
  }
  return {};
}

void GenerateClient::Impl::on_item(Stream& s, const v1::GenerateItem& item) {
  auto converted = to_stream_item(item);
  if (!converted) {
    return;
  }
  s.verifier.on_item(*converted);
  const std::string& conn = config_.connection_id;
  if (auto* a = std::get_if<client::Assigned>(&*converted)) {
    s.worker = a->worker;
    s.stream_id = a->stream_id;
    logger().info("connection.id={} worker={} stream.id={}: 🔄 worker assigned to stream",
                  a->connection_id,
                  a->worker,
                  a->stream_id);
  } else if (auto* t = std::get_if<client::Token>(&*converted)) {
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

void GenerateClient::Impl::on_done(Stream& s, const rpc::Status& status) {
  s.status = status;
  s.call = rpc::Call();
  if (!status.ok()) {
    logger().warn("connection.id={} stream.id={} status=\"{}\": ❌ stream failed",
                  config_.connection_id,
                  s.stream_id,
                  status.to_string());
  }
  if (--open_ == 0 && on_finished_) {
    on_finished_();
  }
}

void GenerateClient::Impl::cancel() {
  for (auto& s : streams_) {
    if (!s->call.done()) {
      s->call.cancel();  // runs on_done (CANCELLED)
    }
  }
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
  return !impl_->streams_.empty() && impl_->open_ == 0;
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
    if (!s->status || !s->status->ok()) {
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
