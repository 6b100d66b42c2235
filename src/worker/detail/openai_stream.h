#pragma once
// Private to OpenAISource: one stream, i.e. one streaming request to the model server and
// the tokens decoded from it, queued until the service polls them.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "http/fetch.h"
#include "http/sse_decoder.h"
#include "openai/request.h"
#include "worker/openai_source.h"

namespace connswap::worker {

class OpenAISource::Stream final : public TokenStream {
 public:
  Stream(OpenAISource& source, Notify notify, std::uint64_t start_seq);
  ~Stream() override;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Sends the request (a continuation when start.request.start_seq > 1). An error when the
  // Fetcher refuses to start it.
  Result<void> begin(const StreamStart& start);

  std::optional<WorkerItem> poll(Timestamp now) override;
  Timestamp deadline() const override;
  void cancel() override;

 private:
  void on_status(int status);
  void on_body(std::string_view bytes);
  void on_done(std::optional<http::FetchError> error);
  void on_event(const http::SseEvent& event);
  void finish_ok();
  void fail(BackendError kind, ErrorCause cause, std::string message);
  void stop_request();

  OpenAISource& source_;
  Notify notify_;
  openai::Endpoint endpoint_ = openai::Endpoint::kCompletions;
  std::uint64_t next_seq_;           // the next token's seq
  std::uint64_t last_seq_ = 0;       // the request's max_tokens (0: unbounded)
  std::uint64_t emitted_ = 0;        // tokens queued so far
  std::uint64_t prompt_offset_ = 0;  // delivered tokens inside the server's prompt count
  std::deque<WorkerItem> queue_;     // decoded, not yet polled; ends with Done or Error
  http::SseDecoder decoder_;
  std::vector<http::SseEvent> events_;  // scratch for the decoder
  std::string error_body_;              // a non-2xx body, bounded
  std::optional<std::string> finish_reason_;
  std::uint64_t prompt_tokens_ = 0;  // the server's usage.prompt_tokens, if it sent it
  http::FetchId fetch_ = 0;
  int status_ = 0;
  bool in_flight_ = false;  // the request has not ended and was not cancelled
  bool ended_ = false;      // Done or Error queued: nothing more is decoded
  bool cancelled_ = false;
  Timestamp request_at_ = 0;     // when the request went out (StreamStart::now)
  Timestamp last_token_at_ = 0;  // when the last token was polled (0: none yet)
};

}  // namespace connswap::worker
