#pragma once
// One OpenAI completion being answered on an HTTP connection: the director writes the
// stream's GenerateItems into a CompletionSink, which turns them into Server-Sent Events
// (stream: true) or collects one JSON body (stream: false). The sink belongs to the
// director and may outlive the connection, so both hold the Completion (shared state).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "front/event_id.h"
#include "front/transport.h"
#include "openai/api_error.h"
#include "openai/request.h"
#include "openai/response.h"
#include "rpc/status.h"
#include "services/client_sink.h"

namespace connswap::front {

struct CompletionLimits {
  std::size_t write_high_water =
      std::size_t{256} * 1024;               // queued bytes above which the stream pauses
  std::size_t max_response_bytes = 8 << 20;  // stream: false answers larger are an error
  std::size_t max_event_id_bytes = 8192;     // longer SSE ids are not sent (event_id.h)
};

// What the front reports when a completion ends, for its counters and access log.
struct CompletionEnd {
  int http_status = 200;     // of the response head (an error after it does not change it)
  bool ok = false;           // the answer ended with finish_reason, not an error
  std::uint64_t tokens = 0;  // completion tokens delivered
  std::uint32_t migrations = 0;
  std::uint64_t event_ids_too_long = 0;  // events sent without their (too long) id
};

class Completion : public std::enable_shared_from_this<Completion> {
 public:
  // `transport` must outlive the Completion or be detached (detach()) first. Make it with
  // std::make_shared (make_sink() shares it).
  Completion(Transport& transport,
             std::string peer,
             const openai::CompletionRequest& request,
             openai::StreamContext context,
             const CompletionLimits& limits,
             bool keep_alive,
             bool http10);

  // The answer continues a stream whose client received tokens up to `last_seq` (a
  // Last-Event-ID): no opening chunk, and usage counts those tokens too. Before make_sink().
  void resume_after(std::uint64_t last_seq) { resumed_after_ = last_seq; }
  // The sink to hand to Backend::open_stream (once).
  std::unique_ptr<services::ClientSink> make_sink();
  // The connection is gone: no more writes; the director hears on_gone(kConnectionLost).
  void detach();
  // The connection drained below the high-water mark: resumes a paused stream.
  void on_drained();
  bool finished() const { return finished_; }
  bool keep_alive() const { return keep_alive_; }
  const CompletionEnd& end() const { return end_; }
  // Runs once when the answer is complete (deferred on the transport: never inside a sink
  // call), unless detached.
  void on_finished(std::function<void()> fn) { on_finished_ = std::move(fn); }

 private:
  friend class CompletionSink;
  Result<void> write(const v1::GenerateItem& item);
  void finish(const rpc::Status& status);
  void on_assigned(const v1::GenerateItem::Assigned& assigned);
  void on_token(const v1::GenerateItem::Token& token);
  void on_ticket(const v1::ResumeTicket& ticket);
  void on_migrated(const v1::GenerateItem::Migrated& migrated);
  void on_done(const v1::GenerateItem::Done& done);
  void send_head();
  void send_event(std::string_view json, const std::optional<std::string>& id = std::nullopt);
  void send_raw(std::string_view bytes);
  void end_body();
  void fail(const rpc::Status& status);
  void give_up();
  void complete();

  Transport* transport_;
  std::string peer_;
  bool stream_;
  openai::StreamContext context_;
  CompletionLimits limits_;
  bool keep_alive_;
  bool http10_;  // no chunked encoding: the body ends with the connection
  services::SinkCallbacks callbacks_;
  std::function<void()> on_finished_;
  std::string text_;  // stream: false, the answer so far
  openai::FinishReason finish_reason_ = openai::FinishReason::kStop;
  openai::Usage usage_;
  std::optional<openai::ChunkEncoder> encoder_;  // from Assigned on (the id is known then)
  openai::Utf8Joiner utf8_;      // a character split across tokens reaches the client whole
  std::string unsent_;           // joined text held while utf8_ holds a split character
  std::optional<EventIds> ids_;  // from Assigned on
  std::uint64_t resumed_after_ = 0;
  bool head_sent_ = false;
  bool done_ = false;
  bool blocked_ = false;
  bool finished_ = false;
  CompletionEnd end_;
};

}  // namespace connswap::front
