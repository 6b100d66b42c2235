#pragma once
// One HTTP/1.1 client connection of the director's OpenAI-compatible front: parses requests
// (one at a time, in order: pipelined ones wait), answers GET /healthz, /readyz and
// /v1/models itself, and turns POST /v1/chat/completions and /v1/completions into director
// streams whose items a Completion writes back as SSE or one JSON body. Sans-IO: bytes and
// `now` in, Transport calls out.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/time.h"
#include "front/completion.h"
#include "front/status_feed.h"
#include "front/status_source.h"
#include "front/transport.h"
#include "http/parse_error.h"
#include "http/request_parser.h"
#include "openai/request.h"

namespace connswap::front {

struct HttpFrontConfig {
  http::Limits limits;                      // header bytes, header count, body bytes
  openai::DecodeLimits decode;              // max_tokens bounds and default
  CompletionLimits completion;              // write high-water mark, stream: false answer size
  Duration request_timeout = 10 * kSecond;  // from a request's first byte to its last
  // Keep-alive wait for the next request; also how long (1-2x) a client may take no byte
  // of an answer being written before its stream is cancelled.
  Duration idle_timeout = 60 * kSecond;
  StatusConfig status;  // the status page and /debug/* (status_source.h)
};

// Counters shared by every session of one front (metrics).
struct HttpFrontStats {
  std::uint64_t requests = 0;        // parsed requests
  std::uint64_t bad_requests = 0;    // refused before parsing finished (malformed, limits)
  std::uint64_t timeouts = 0;        // connections closed by request_timeout
  std::uint64_t completions = 0;     // completion requests handed to the director
  std::uint64_t completions_ok = 0;  // ...that ended with a finish_reason
  std::uint64_t client_gone = 0;     // ...whose client left before the end
  std::uint64_t responses_4xx = 0;
  std::uint64_t responses_5xx = 0;
  std::uint64_t tokens = 0;      // completion tokens sent
  std::uint64_t migrations = 0;  // migrations seen by HTTP streams
  std::uint64_t resumes = 0;     // completion requests with a Last-Event-ID, to the director
  std::uint64_t event_ids_too_long = 0;  // events sent without their id (too long)
  std::uint64_t tls_failures = 0;        // --http-tls: failed handshakes and bad records
  std::uint64_t status_pages = 0;        // status page and /debug/* JSON answers
  std::uint64_t status_refused = 0;      // ...refused 403: no operator certificate
  StatusFeedStats status_feed;           // /debug/events (status_feed.h)
};

class HttpSession {
 public:
  // `transport`, `backend`, `config` and `stats` outlive the session.
  HttpSession(Transport& transport,
              Backend& backend,
              const HttpFrontConfig& config,
              HttpFrontStats& stats,
              std::string connection_id,
              std::string peer);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // The connection was just accepted: its idle deadline starts now (a client that never
  // sends a byte is closed like an idle keep-alive one).
  void start(Timestamp now);
  void on_data(Timestamp now, std::string_view bytes);
  void on_drained(Timestamp now);
  void on_deadline(Timestamp now);
  // The connection is gone: a running completion is cancelled upstream.
  void on_closed();

 private:
  void pump(Timestamp now);
  void serve(Timestamp now, const http::Request& request);
  void serve_get(std::string_view path, bool keep_alive);
  // http_session_status.cc: the status page, /debug/* JSON, the /debug/events feed.
  bool is_status_route(std::string_view path);
  void serve_status(Timestamp now, const http::Request& request);
  void start_feed(Timestamp now, StatusSource& source);
  void flush_feed();
  void feed_deadline(Timestamp now);
  void stop_feed();
  void serve_completion(openai::Endpoint endpoint, const http::Request& request);
  void serve_resume(openai::Endpoint endpoint, const http::Request& request);
  // Starts the answer; `generate` goes to the director with a sink of the answer.
  void start_completion(const openai::CompletionRequest& request,
                        openai::StreamContext context,
                        const http::Request& http_request,
                        std::uint64_t resumed_after,
                        const std::string& connection_id,
                        const v1::GenerateRequest& generate);
  void respond(const std::string& response, int status, bool keep_alive);
  void refuse(http::ParseError error);
  void on_completion_finished(Timestamp now);
  void arm(Timestamp now);

  Transport& transport_;
  Backend& backend_;
  const HttpFrontConfig& config_;
  HttpFrontStats& stats_;
  std::string connection_id_;
  std::string peer_;
  http::RequestParser parser_;
  std::shared_ptr<Completion> completion_;  // the request being answered, if any
  Timestamp request_started_ = 0;           // first byte of the request being read (0: none)
  Timestamp idle_since_ = 0;
  bool stall_seen_ = false;  // the last deadline found the completion's bytes not drained
  bool closing_ = false;
  // A /debug/events subscriber: this connection only carries the feed until it closes.
  StatusFeed* feed_ = nullptr;
  std::uint64_t feed_id_ = 0;
  bool feed_flush_posted_ = false;
};

}  // namespace connswap::front
