#include "front/http_session.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/log.h"
#include "front/event_id.h"
#include "front/responses.h"
#include "openai/response.h"

namespace connswap::front {
namespace {

spdlog::logger& logger() {
  return log::get("http");
}

bool is_json(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return lower.find("application/json") != std::string::npos;
}

}  // namespace

HttpSession::HttpSession(Transport& transport,
                         Backend& backend,
                         const HttpFrontConfig& config,
                         HttpFrontStats& stats,
                         std::string connection_id,
                         std::string peer)
    : transport_(transport),
      backend_(backend),
      config_(config),
      stats_(stats),
      connection_id_(std::move(connection_id)),
      peer_(std::move(peer)),
      parser_(config.limits) {}

HttpSession::~HttpSession() {
  on_closed();
}

void HttpSession::start(Timestamp now) {
  arm(now);
}

void HttpSession::on_data(Timestamp now, std::string_view bytes) {
  if (closing_) {
    return;
  }
  if (auto fed = parser_.feed(bytes); !fed) {
    if (completion_ == nullptr) {
      refuse(fed.error());
      return;
    }
    // Bad bytes behind the request being answered: answering now would put an error in
    // the middle of its body. pump() refuses them once the answer is complete.
  }
  if (parser_.take_continue()) {
    transport_.write(http::kContinueResponse);
  }
  pump(now);
}

void HttpSession::on_drained(Timestamp now) {
  if (feed_ != nullptr) {
    flush_feed();
    return;
  }
  if (completion_ != nullptr) {
    stall_seen_ = false;
    completion_->on_drained();
    arm(now);
    return;
  }
  pump(now);  // pipelined requests may have waited for the answers before them to leave
}

void HttpSession::on_deadline(Timestamp now) {
  if (closing_) {
    return;
  }
  if (feed_ != nullptr) {
    feed_deadline(now);
    return;
  }
  if (completion_ != nullptr) {
    // Bytes queued and nothing drained for idle_timeout, twice in a row (once could be a
    // write just started after a quiet spell): a client that stopped reading would hold
    // its stream, and the worker's slot, paused forever. The stream is cancelled.
    const bool stalled = transport_.queued() > 0;
    if (!stalled || !stall_seen_) {
      stall_seen_ = stalled;
      arm(now);  // a quiet stream: the director's stall deadlines cover the worker side
      return;
    }
    ++stats_.timeouts;
    logger().info("http conn={} peer={} client took no byte for {} ms: closing",
                  connection_id_,
                  peer_,
                  config_.idle_timeout / kMillisecond);
    on_closed();
    transport_.close();
    return;
  }
  if (parser_.mid_request()) {
    ++stats_.timeouts;
    logger().info("http conn={} peer={} request not received within {} ms: closing",
                  connection_id_,
                  peer_,
                  config_.request_timeout / kMillisecond);
    respond(error_response(openai::ApiError{408,
                                            "invalid_request_error",
                                            "request_timeout",
                                            "",
                                            "the request did not arrive in time"},
                           false),
            408,
            false);
    return;
  }
  (void)now;
  closing_ = true;  // idle keep-alive connection
  transport_.close();
}

void HttpSession::on_closed() {
  closing_ = true;
  stop_feed();
  if (completion_ != nullptr) {
    if (!completion_->finished()) {
      ++stats_.client_gone;
    }
    completion_->detach();
    completion_ = nullptr;
  }
}

// Serves buffered requests while none is being answered and the answers so far have left
// (a pipelining client that does not read must not grow the write queue without bound);
// reading pauses meanwhile.
void HttpSession::pump(Timestamp now) {
  const auto backed_up = [this] {
    return transport_.queued() > config_.completion.write_high_water;
  };
  while (!closing_ && completion_ == nullptr && feed_ == nullptr && !backed_up()) {
    std::optional<http::Request> request = parser_.take();
    if (!request) {
      break;
    }
    ++stats_.requests;
    request_started_ = 0;
    serve(now, *request);
  }
  if (feed_ != nullptr) {
    return;  // the feed owns the connection now (start_feed stopped reading, armed)
  }
  if (!closing_ && completion_ == nullptr && !backed_up() && parser_.error()) {
    refuse(*parser_.error());  // a pipelined request after the ones served was bad
    return;
  }
  const bool serving = completion_ != nullptr || backed_up();
  transport_.set_reading(!serving || parser_.buffered() < config_.limits.max_header_bytes);
  arm(now);
}

void HttpSession::serve(Timestamp now, const http::Request& request) {
  const std::string_view path = request.path();
  const bool keep_alive = request.keep_alive;
  const bool completion_path = path == "/v1/chat/completions" || path == "/v1/completions";
  const openai::Endpoint endpoint =
      path == "/v1/chat/completions" ? openai::Endpoint::kChat : openai::Endpoint::kCompletions;
  // Last-Event-ID (an SSE client reconnecting; EventSource sends it on a GET) continues the
  // stream the id names; the body, if any, is not read again.
  // An empty one is no id (EventSource sends none after an empty id field).
  const auto last_event_id = request.header("last-event-id");
  if (completion_path && (request.method == "POST" || request.method == "GET") && last_event_id &&
      !last_event_id->empty()) {
    serve_resume(endpoint, request);
    return;
  }
  if (completion_path && request.method == "POST") {
    serve_completion(
        path == "/v1/chat/completions" ? openai::Endpoint::kChat : openai::Endpoint::kCompletions,
        request);
    return;
  }
  if (is_status_route(path)) {
    if (request.method != "GET") {
      respond(method_not_allowed("GET", keep_alive), 405, keep_alive);
      return;
    }
    serve_status(now, request);
    return;
  }
  const bool get_path = path == "/healthz" || path == "/readyz" || path == "/v1/models";
  if (get_path && request.method == "GET") {
    serve_get(path, keep_alive);
    return;
  }
  if (completion_path || get_path) {
    respond(method_not_allowed(completion_path ? "POST" : "GET", keep_alive), 405, keep_alive);
    return;
  }
  (void)now;
  respond(error_response(openai::ApiError{404,
                                          "invalid_request_error",
                                          "not_found",
                                          "",
                                          fmt::format("no route for {} {}", request.method, path)},
                         keep_alive),
          404,
          keep_alive);
}

void HttpSession::serve_get(std::string_view path, bool keep_alive) {
  if (path == "/healthz") {
    respond(json_response(200, R"({"status":"ok"})", keep_alive), 200, keep_alive);
  } else if (path == "/readyz") {
    const bool ready = backend_.ready();
    respond(ready ? json_response(200, R"({"status":"ready"})", keep_alive)
                  : unavailable_response("no worker is ready", keep_alive),
            ready ? 200 : 503,
            keep_alive);
  } else {
    respond(json_response(
                200, openai::encode_models(backend_.models(), backend_.unix_now()), keep_alive),
            200,
            keep_alive);
  }
}

void HttpSession::serve_completion(openai::Endpoint endpoint, const http::Request& request) {
  const bool keep_alive = request.keep_alive;
  if (auto type = request.header("content-type"); type && !is_json(*type)) {
    respond(error_response(openai::ApiError{415,
                                            "invalid_request_error",
                                            "unsupported_media_type",
                                            "",
                                            "the body must be application/json"},
                           keep_alive),
            415,
            keep_alive);
    return;
  }
  auto decoded = openai::decode_request(endpoint, request.body, config_.decode);
  if (!decoded) {
    respond(error_response(decoded.error(), keep_alive), decoded.error().http_status, keep_alive);
    return;
  }
  if (!decoded->model.empty()) {
    const std::vector<std::string> models = backend_.models();
    if (std::find(models.begin(), models.end(), decoded->model) == models.end()) {
      respond(error_response(openai::ApiError{404,
                                              "invalid_request_error",
                                              "model_not_found",
                                              "model",
                                              fmt::format("the model '{}' does not exist: no "
                                                          "worker serves it (GET /v1/models)",
                                                          decoded->model)},
                             keep_alive),
              404,
              keep_alive);
      return;
    }
  }
  if (!decoded->ignored_keys.empty()) {
    logger().debug("http conn={} ignored parameters: {}",
                   connection_id_,
                   fmt::join(decoded->ignored_keys, ","));
  }
  openai::StreamContext context{endpoint,
                                "",
                                backend_.unix_now(),
                                decoded->model.empty() ? std::string("connswap") : decoded->model};
  v1::GenerateRequest generate = decoded->to_generate_request();
  generate.set_model(decoded->model);
  if (const std::size_t bytes = generate.ByteSizeLong(); bytes > backend_.max_request_bytes()) {
    // What the director would refuse (it could not carry it through a failover): 413, as
    // for a body over the limit, before any stream opens.
    respond(error_response(openai::ApiError{413,
                                            "invalid_request_error",
                                            "request_too_large",
                                            "",
                                            fmt::format("the request is {} bytes once encoded "
                                                        "for the director, which forwards at "
                                                        "most {} bytes",
                                                        bytes,
                                                        backend_.max_request_bytes())},
                           keep_alive),
            413,
            keep_alive);
    return;
  }
  start_completion(*decoded, std::move(context), request, 0, connection_id_, generate);
}

void HttpSession::serve_resume(openai::Endpoint endpoint, const http::Request& request) {
  const bool keep_alive = request.keep_alive;
  auto point = parse_event_id(*request.header("last-event-id"));
  if (point && point->context.endpoint != endpoint) {
    point = make_error(Errc::kInvalidArgument,
                       "Last-Event-ID: the id is of a stream of the other endpoint");
  }
  if (!point) {
    respond(
        error_response(
            openai::ApiError{
                400, "invalid_request_error", "invalid_last_event_id", "", point.error().detail},
            keep_alive),
        400,
        keep_alive);
    return;
  }
  ++stats_.resumes;
  logger().info("http conn={} peer={} connection.id={} last_seq={}: resuming an SSE stream",
                connection_id_,
                peer_,
                point->connection_id,
                point->resume.last_seq());
  openai::CompletionRequest as_streamed;
  as_streamed.endpoint = endpoint;
  as_streamed.stream = true;
  as_streamed.include_usage = point->context.include_usage;
  v1::GenerateRequest generate;
  *generate.mutable_resume() = point->resume;
  start_completion(as_streamed,
                   point->context,
                   request,
                   point->resume.last_seq(),
                   point->connection_id,
                   generate);
}

void HttpSession::start_completion(const openai::CompletionRequest& request,
                                   openai::StreamContext context,
                                   const http::Request& http_request,
                                   std::uint64_t resumed_after,
                                   const std::string& connection_id,
                                   const v1::GenerateRequest& generate) {
  ++stats_.completions;
  stall_seen_ = false;
  completion_ = std::make_shared<Completion>(transport_,
                                             peer_,
                                             request,
                                             std::move(context),
                                             config_.completion,
                                             http_request.keep_alive,
                                             http_request.minor_version == 0);
  completion_->resume_after(resumed_after);
  completion_->on_finished([this] { on_completion_finished(transport_.now()); });
  backend_.open_stream(completion_->make_sink(), connection_id, generate);
}

void HttpSession::on_completion_finished(Timestamp now) {
  if (completion_ == nullptr) {
    return;
  }
  const CompletionEnd& end = completion_->end();
  stats_.tokens += end.tokens;
  stats_.migrations += end.migrations;
  stats_.event_ids_too_long += end.event_ids_too_long;
  stats_.completions_ok += end.ok ? 1 : 0;
  if (end.http_status >= 500) {
    ++stats_.responses_5xx;
  } else if (end.http_status >= 400) {
    ++stats_.responses_4xx;
  }
  const bool keep_alive = completion_->keep_alive();
  completion_ = nullptr;
  if (!keep_alive) {
    closing_ = true;
    transport_.close();
    return;
  }
  idle_since_ = 0;
  pump(now);
}

void HttpSession::respond(const std::string& response, int status, bool keep_alive) {
  if (status >= 500) {
    ++stats_.responses_5xx;
  } else if (status >= 400) {
    ++stats_.responses_4xx;
  }
  transport_.write(response);
  if (!keep_alive) {
    closing_ = true;
    transport_.close();
  }
}

void HttpSession::refuse(http::ParseError error) {
  ++stats_.bad_requests;
  const int status = http::status_for(error);
  logger().info("http conn={} peer={} bad request: {} ({})",
                connection_id_,
                peer_,
                http::to_string(error),
                status);
  respond(error_response(openai::ApiError{status,
                                          "invalid_request_error",
                                          "bad_request",
                                          "",
                                          std::string(http::to_string(error))},
                         false),
          status,
          false);
}

// Idle keep-alive connections and slow requests have a deadline; so does a running
// completion whose client takes nothing (re-armed whenever its writes drain).
void HttpSession::arm(Timestamp now) {
  if (closing_) {
    transport_.set_deadline(0);
    return;
  }
  if (completion_ != nullptr) {
    transport_.set_deadline(now + config_.idle_timeout);
    return;
  }
  if (feed_ != nullptr) {
    transport_.set_deadline(now + config_.status.feed_keepalive);
    return;
  }
  if (parser_.mid_request()) {
    if (request_started_ == 0) {
      request_started_ = now;
    }
    idle_since_ = 0;
    transport_.set_deadline(request_started_ + config_.request_timeout);
    return;
  }
  request_started_ = 0;
  if (idle_since_ == 0) {
    idle_since_ = now;
  }
  transport_.set_deadline(idle_since_ + config_.idle_timeout);
}

}  // namespace connswap::front
