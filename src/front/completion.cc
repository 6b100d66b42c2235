#include "front/completion.h"

#include <fmt/format.h>

#include "front/responses.h"
#include "http/response.h"
#include "http/sse.h"

namespace connswap::front {

// The director's handle on a Completion.
class CompletionSink final : public services::ClientSink {
 public:
  explicit CompletionSink(std::shared_ptr<Completion> completion)
      : completion_(std::move(completion)) {}
  ~CompletionSink() override = default;

  Result<void> write(const v1::GenerateItem& item) override { return completion_->write(item); }
  void finish(const rpc::Status& status) override { completion_->finish(status); }
  void set_callbacks(services::SinkCallbacks callbacks) override {
    completion_->callbacks_ = std::move(callbacks);
  }
  std::string peer() const override { return completion_->peer_; }
  std::size_t buffered_bytes() const override {
    return completion_->transport_ != nullptr ? completion_->transport_->queued() : 0;
  }

 private:
  std::shared_ptr<Completion> completion_;
};

Completion::Completion(Transport& transport,
                       std::string peer,
                       const openai::CompletionRequest& request,
                       openai::StreamContext context,
                       const CompletionLimits& limits,
                       bool keep_alive,
                       bool http10)
    : transport_(&transport),
      peer_(std::move(peer)),
      stream_(request.stream),
      context_(std::move(context)),
      limits_(limits),
      keep_alive_(keep_alive && !http10),
      http10_(http10) {
  context_.include_usage = request.include_usage;
}

std::unique_ptr<services::ClientSink> Completion::make_sink() {
  return std::make_unique<CompletionSink>(shared_from_this());
}

void Completion::detach() {
  transport_ = nullptr;
  on_finished_ = nullptr;
  if (!finished_ && callbacks_.on_gone) {
    auto gone = std::move(callbacks_.on_gone);
    callbacks_ = {};
    gone(services::ClientGone::kConnectionLost);
  }
}

void Completion::on_drained() {
  if (blocked_ && transport_ != nullptr && !finished_ && callbacks_.on_writable) {
    blocked_ = false;
    callbacks_.on_writable();
  }
}

Result<void> Completion::write(const v1::GenerateItem& item) {
  if (transport_ == nullptr || finished_) {
    return make_error(Errc::kClosed, "the HTTP client is gone");
  }
  if (transport_->queued() > limits_.write_high_water) {
    blocked_ = true;
    return make_error(Errc::kFlowControl, "the HTTP client is not reading");
  }
  switch (item.item_case()) {
    case v1::GenerateItem::kAssigned:
      on_assigned(item.assigned());
      break;
    case v1::GenerateItem::kToken:
      on_token(item.token());
      break;
    case v1::GenerateItem::kMigrated:
      on_migrated(item.migrated());
      break;
    case v1::GenerateItem::kDone:
      on_done(item.done());
      break;
    case v1::GenerateItem::kTicket:
      on_ticket(item.ticket());
      break;
    default:
      break;
  }
  if (!stream_ && text_.size() > limits_.max_response_bytes) {
    give_up();
    return make_error(Errc::kClosed, "the answer outgrew --http-max-response-bytes");
  }
  return {};
}

// A stream: false answer outgrew --http-max-response-bytes: the client gets a 500 now, and
// the director hears that the client is gone (deferred: never inside a sink call) and
// cancels the worker call. Nothing more is collected.
void Completion::give_up() {
  end_.http_status = 500;
  send_raw(error_response(
      openai::ApiError{500,
                       "server_error",
                       "response_too_large",
                       "",
                       "the answer is larger than the director's --http-max-response-bytes; "
                       "ask for fewer max_tokens or stream it"},
      keep_alive_));
  finished_ = true;
  std::string().swap(text_);
  auto gone = std::move(callbacks_.on_gone);
  callbacks_ = {};
  auto next = std::move(on_finished_);
  on_finished_ = nullptr;
  transport_->defer([gone = std::move(gone), next = std::move(next)] {
    if (gone) {
      gone(services::ClientGone::kCancelled);
    }
    if (next) {
      next();
    }
  });
}

void Completion::on_assigned(const v1::GenerateItem::Assigned& assigned) {
  context_.id = fmt::format("{}{}-{}",
                            openai::id_prefix(context_.endpoint),
                            assigned.connection_id(),
                            assigned.stream_id());
  encoder_.emplace(context_);
  if (stream_) {
    ids_.emplace(assigned.connection_id(), context_, limits_.max_event_id_bytes);
    send_head();
    if (resumed_after_ == 0) {
      if (auto opening = encoder_->opening()) {
        send_event(*opening);
      }
    }
  }
}

void Completion::on_ticket(const v1::ResumeTicket& ticket) {
  if (ids_) {
    ids_->on_ticket(ticket);
  }
}

// With event ids, an event may only end where a token ends: while a character split across
// tokens is held back, the text waits for the token that completes it (so the id, the last
// token whole, never points into the middle of a character the client got half of).
void Completion::on_token(const v1::GenerateItem::Token& token) {
  ++end_.tokens;
  const std::string text = utf8_.push(token.text());
  if (!stream_) {
    text_ += text;
    return;
  }
  if (ids_) {
    ids_->on_token(token.seq(), token.text());
  }
  unsent_ += text;
  if (unsent_.empty() || utf8_.holding() || !encoder_) {
    return;
  }
  send_event(encoder_->token(unsent_), ids_ ? ids_->current() : std::nullopt);
  unsent_.clear();
}

void Completion::on_migrated(const v1::GenerateItem::Migrated& migrated) {
  ++end_.migrations;
  if (stream_ && head_sent_) {
    send_raw(http::sse_comment(fmt::format("migrated from={} to={} reason={} resume_seq={}",
                                           migrated.from(),
                                           migrated.to(),
                                           migrated.reason(),
                                           migrated.resume_seq())));
  }
}

void Completion::on_done(const v1::GenerateItem::Done& done) {
  done_ = true;
  finish_reason_ = openai::finish_reason_from_director(done.finish_reason());
  usage_.prompt_tokens = done.prompt_tokens();
  usage_.completion_tokens = resumed_after_ + end_.tokens;
}

void Completion::finish(const rpc::Status& status) {
  if (finished_) {
    return;
  }
  callbacks_ = {};
  if (status.ok() && done_) {
    complete();
  } else {
    fail(status.ok() ? rpc::Status{rpc::StatusCode::kInternal, "stream ended without Done"}
                     : status);
  }
  finished_ = true;
  end_.event_ids_too_long = ids_ ? ids_->too_long() : 0;
  if (transport_ != nullptr && on_finished_) {
    transport_->defer(std::move(on_finished_));
  }
}

void Completion::complete() {
  end_.ok = true;
  if (transport_ == nullptr) {
    return;
  }
  const std::string rest = unsent_ + utf8_.flush();
  if (!stream_) {
    text_ += rest;
    const std::string body = openai::encode_completion(context_, text_, finish_reason_, usage_);
    send_raw(json_response(200, body, keep_alive_));
    return;
  }
  if (!encoder_) {
    return;  // Done before Assigned cannot happen; nothing was sent
  }
  if (!rest.empty()) {
    send_event(encoder_->token(rest));
  }
  send_event(encoder_->finish(finish_reason_));
  if (context_.include_usage) {
    send_event(encoder_->usage(usage_));
  }
  send_event("[DONE]");
  end_body();
}

void Completion::fail(const rpc::Status& status) {
  if (transport_ == nullptr) {
    return;
  }
  const openai::ApiError error = api_error_of(status);
  if (!head_sent_) {
    end_.http_status = error.http_status;
    send_raw(error_response(error, keep_alive_));
    return;
  }
  send_event(openai::encode_error(error));
  send_event("[DONE]");
  end_body();
}

void Completion::send_head() {
  if (transport_ != nullptr) {
    transport_->write(sse_head(keep_alive_, http10_));
  }
  head_sent_ = true;
}

void Completion::send_event(std::string_view json, const std::optional<std::string>& id) {
  if (id) {
    if (auto event = http::sse_event(json, *id)) {
      send_raw(*event);
      return;
    }
  }
  send_raw(http::sse_event(json));
}

void Completion::send_raw(std::string_view bytes) {
  if (transport_ == nullptr) {
    return;
  }
  if (head_sent_ && !http10_ && stream_) {
    transport_->write(http::chunk(bytes));
  } else {
    transport_->write(bytes);
  }
}

void Completion::end_body() {
  if (transport_ == nullptr) {
    return;
  }
  if (!http10_) {
    transport_->write(http::kLastChunk);
  }  // HTTP/1.0: the body ends when the session closes the connection
}

}  // namespace connswap::front
