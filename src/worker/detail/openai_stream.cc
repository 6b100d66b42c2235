#include "worker/detail/openai_stream.h"

#include <algorithm>
#include <utility>

#include "openai/upstream.h"

namespace connswap::worker {
namespace {

openai::Endpoint endpoint_of(const GenerateRequest& request) {
  auto it = request.params.find("connswap_endpoint");
  return it != request.params.end() && it->second == "chat" ? openai::Endpoint::kChat
                                                            : openai::Endpoint::kCompletions;
}

FinishReason finish_of(const std::string& reason) {
  return reason == "length" ? FinishReason::kLength : FinishReason::kStop;
}

}  // namespace

OpenAISource::Stream::Stream(OpenAISource& source, Notify notify, std::uint64_t start_seq)
    : source_(source), notify_(std::move(notify)), next_seq_(start_seq) {
  ++source_.open_streams_;
}

OpenAISource::Stream::~Stream() {
  stop_request();
  --source_.open_streams_;
}

Result<void> OpenAISource::Stream::begin(const StreamStart& start) {
  const GenerateRequest& req = start.request;
  endpoint_ = endpoint_of(req);
  last_seq_ = req.max_tokens;
  prompt_offset_ = start.prefix.size();
  request_at_ = start.now;
  openai::UpstreamRequest up;
  up.endpoint = endpoint_;
  up.model = !source_.config_.model.empty() ? source_.config_.model : req.model;
  up.prompt = req.prompt;
  for (const std::string& token : start.prefix) {
    up.continuation += token;
  }
  if (req.max_tokens != 0) {
    if (req.start_seq > req.max_tokens) {  // nothing left to generate
      queue_.push_back(DoneItem{0, FinishReason::kLength, 0});
      ended_ = true;
      return {};
    }
    up.max_tokens = static_cast<std::uint32_t>(req.max_tokens - req.start_seq + 1);
  }
  up.params = req.params;
  up.defaults = source_.config_.defaults;
  http::FetchRequest fetch;
  fetch.method = "POST";
  fetch.url = source_.config_.url + std::string(openai::upstream_path(endpoint_));
  fetch.headers = {"Content-Type: application/json", "Accept: text/event-stream"};
  fetch.body = openai::upstream_body(up);
  fetch.connect_timeout = source_.config_.connect_timeout;
  auto id = source_.fetcher_.start(
      std::move(fetch),
      http::FetchEvents{
          .on_status = [this](int status) { on_status(status); },
          .on_body = [this](std::string_view bytes) { on_body(bytes); },
          .on_done = [this](std::optional<http::FetchError> error) { on_done(error); },
      });
  if (!id) {
    return Unexpected(std::move(id).error());
  }
  fetch_ = *id;
  in_flight_ = true;
  return {};
}

std::optional<WorkerItem> OpenAISource::Stream::poll(Timestamp now) {
  if (cancelled_) {
    return std::nullopt;
  }
  if (queue_.empty()) {
    if (!ended_ && now >= deadline()) {
      const bool first = last_token_at_ == 0;
      fail(BackendError::kStall,
           ErrorCause::kTimeout,
           first ? "model server sent no token within --backend-first-token-ms"
                 : "model server stalled: no token within --backend-stall-ms");
    } else {
      return std::nullopt;
    }
  }
  WorkerItem item = std::move(queue_.front());
  queue_.pop_front();
  if (std::holds_alternative<TokenItem>(item)) {
    if (BackendObserver* o = source_.observer_) {
      if (last_token_at_ == 0) {
        o->on_first_token(now - std::min(now, request_at_));
      } else {
        o->on_token_gap(now - std::min(now, last_token_at_));
      }
    }
    last_token_at_ = std::max<Timestamp>(now, 1);
  } else {
    cancelled_ = queue_.empty();  // Done or Error is the last item
  }
  return item;
}

Timestamp OpenAISource::Stream::deadline() const {
  if (cancelled_) {
    return kNever;
  }
  if (!queue_.empty()) {
    return 0;
  }
  if (ended_) {
    return kNever;
  }
  const BackendConfig& c = source_.config_;
  return last_token_at_ == 0 ? request_at_ + c.first_token_timeout
                             : last_token_at_ + c.stall_timeout;
}

void OpenAISource::Stream::cancel() {
  cancelled_ = true;
  queue_.clear();
  stop_request();
}

void OpenAISource::Stream::stop_request() {
  if (in_flight_) {
    in_flight_ = false;
    source_.fetcher_.cancel(fetch_);
  }
}

void OpenAISource::Stream::on_status(int status) {
  status_ = status;
}

void OpenAISource::Stream::on_body(std::string_view bytes) {
  if (ended_) {
    return;
  }
  if (status_ < 200 || status_ > 299) {
    const std::size_t room = source_.config_.max_error_body - error_body_.size();
    error_body_.append(bytes.substr(0, std::min(room, bytes.size())));
    return;
  }
  events_.clear();
  auto fed = decoder_.feed(bytes, events_);
  for (const http::SseEvent& event : events_) {
    if (ended_) {
      break;
    }
    on_event(event);
  }
  if (!fed && !ended_) {
    fail(BackendError::kMalformed,
         ErrorCause::kProtocol,
         "model server stream: " + fed.error().message());
  }
  if (!ended_ && queue_.size() > source_.config_.max_buffered_tokens) {
    fail(BackendError::kOther,
         ErrorCause::kInternal,
         "more than --backend-max-buffered-tokens decoded tokens not yet sent");
  }
}

void OpenAISource::Stream::on_event(const http::SseEvent& event) {
  if (event.data == "[DONE]") {
    if (finish_reason_) {
      finish_ok();
    } else {
      fail(BackendError::kCut,
           ErrorCause::kProtocol,
           "model server sent [DONE] without finish_reason");
    }
    return;
  }
  auto chunk = openai::decode_upstream_chunk(endpoint_, event.data);
  if (!chunk) {
    const bool server = chunk.error().code == openai::ChunkErrc::kServerError;
    fail(BackendError::kMalformed,
         server ? ErrorCause::kUnavailable : ErrorCause::kProtocol,
         (server ? "model server error event: " : "model server chunk: ") + chunk.error().message);
    return;
  }
  if (chunk->usage) {
    prompt_tokens_ = chunk->usage->prompt_tokens;
  }
  // A completions chunk without finish_reason is one generated token even when its text is
  // empty (a control token, or bytes the server holds back until they form valid UTF-8),
  // so that sequence numbers count the model's tokens and max_tokens stays exact. A chat
  // chunk counts only with content (the first one carries just the role).
  const bool token = !chunk->text.empty() || (endpoint_ == openai::Endpoint::kCompletions &&
                                              !chunk->finish_reason && !chunk->usage);
  if (token) {
    if (finish_reason_) {
      fail(BackendError::kMalformed,
           ErrorCause::kProtocol,
           "model server sent text after finish_reason");
      return;
    }
    queue_.push_back(TokenItem{next_seq_++, std::move(chunk->text)});
    ++emitted_;
    ++source_.stats_.tokens;
    notify_();
    if (last_seq_ != 0 && next_seq_ > last_seq_) {
      finish_reason_ = "length";  // max_tokens reached: ignore whatever else comes
      finish_ok();
      return;
    }
  }
  if (chunk->finish_reason) {
    finish_reason_ = std::move(chunk->finish_reason);
  }
}

void OpenAISource::Stream::on_done(std::optional<http::FetchError> error) {
  in_flight_ = false;
  if (ended_) {
    return;
  }
  if (status_ == 429 || status_ == 503) {
    fail(BackendError::kOverloaded,
         ErrorCause::kOverloaded,
         "model server overloaded: HTTP " + std::to_string(status_) + " " +
             openai::upstream_error_message(error_body_));
  } else if (status_ != 0 && (status_ < 200 || status_ > 299)) {
    const bool server = status_ >= 500;
    fail(server ? BackendError::kHttp5xx : BackendError::kHttp4xx,
         server ? ErrorCause::kUnavailable : ErrorCause::kRejected,
         "model server answered HTTP " + std::to_string(status_) + ": " +
             openai::upstream_error_message(error_body_));
  } else if (error) {
    using E = http::FetchError;
    const BackendError kind = *error == E::kRefused   ? BackendError::kRefused
                              : *error == E::kReset   ? BackendError::kReset
                              : *error == E::kTimeout ? BackendError::kTimeout
                              : *error == E::kProtocol || *error == E::kTooLarge
                                  ? BackendError::kMalformed
                                  : BackendError::kOther;
    if (kind == BackendError::kRefused) {
      source_.server_refused();
    }
    fail(kind,
         kind == BackendError::kMalformed ? ErrorCause::kProtocol : ErrorCause::kUnavailable,
         "model server request failed: " + std::string(http::to_string(*error)));
  } else if (finish_reason_ && !decoder_.mid_event()) {
    finish_ok();
  } else {
    fail(BackendError::kCut,
         ErrorCause::kProtocol,
         "model server stream ended without finish_reason");
  }
}

void OpenAISource::Stream::finish_ok() {
  ended_ = true;
  stop_request();
  ++source_.stats_.streams_done;
  // The server counted the continuation (the delivered tokens) as prompt: the client's
  // prompt is what is left (exact when they re-tokenize one to one, as text continuation
  // needs anyway).
  const std::uint64_t prompt =
      prompt_tokens_ > prompt_offset_ ? prompt_tokens_ - prompt_offset_ : 0;
  queue_.push_back(DoneItem{emitted_, finish_of(*finish_reason_), prompt});
  notify_();
}

void OpenAISource::Stream::fail(BackendError kind, ErrorCause cause, std::string message) {
  ended_ = true;
  stop_request();
  source_.count_error(kind);
  queue_.push_back(ErrorItem{cause, std::move(message)});
  notify_();
}

}  // namespace connswap::worker
