// HttpSession, status part (issue 17): GET / and /status (the HTML page), /debug/workers,
// /debug/streams, /debug/gaps (JSON) and /debug/events (the SSE live feed). The routes exist
// only with StatusConfig::enabled and a Backend that has a StatusSource.

#include <algorithm>
#include <charconv>
#include <vector>

#include "base/log.h"
#include "front/http_session.h"
#include "front/responses.h"
#include "front/status_feed.h"
#include "front/status_page.h"
#include "http/response.h"

namespace connswap::front {
namespace {

spdlog::logger& logger() {
  return log::get("http");
}

// The page's own inline style and script, requests to this origin only (the refresh and
// the feed), no frames: even a string that slipped past escaping could load nothing.
constexpr std::string_view kPagePolicy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

std::string page_response(std::string_view type, std::string_view body, bool keep_alive) {
  std::vector<http::Header> headers = {{"Content-Type", std::string(type)},
                                       {"Cache-Control", "no-store"},
                                       {"X-Content-Type-Options", "nosniff"},
                                       {"Connection", keep_alive ? "keep-alive" : "close"}};
  if (type.starts_with("text/html")) {
    headers.push_back({"Content-Security-Policy", std::string(kPagePolicy)});
  }
  return http::response(200, headers, body);
}

// ?limit=N, at most `cap` (a missing or bad one is `cap`).
std::size_t limit_of(std::string_view target, std::size_t cap) {
  const auto text = query_param(target, "limit");
  std::size_t limit = cap;
  if (text && !text->empty()) {
    std::size_t parsed = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
    if (ec == std::errc() && end == text->data() + text->size()) {
      limit = std::min(parsed, cap);
    }
  }
  return limit;
}

}  // namespace

bool HttpSession::is_status_route(std::string_view path) {
  const bool route = path == "/" || path == "/status" || path == "/debug/workers" ||
                     path == "/debug/streams" || path == "/debug/gaps" || path == "/debug/events";
  return route && config_.status.access != StatusAccess::kOff && backend_.status() != nullptr;
}

void HttpSession::serve_status(Timestamp now, const http::Request& request) {
  StatusSource& source = *backend_.status();
  const std::string_view path = request.path();
  const bool keep_alive = request.keep_alive;
  if (config_.status.access == StatusAccess::kOperator &&
      !transport_.peer_roles().has(PeerRole::kOperator)) {
    ++stats_.status_refused;
    respond(error_response(openai::ApiError{403,
                                            "permission_error",
                                            "operator_certificate_required",
                                            "",
                                            "the status page needs a client certificate with "
                                            "the operator role (--http-status operator)"},
                           keep_alive),
            403,
            keep_alive);
    return;
  }
  ++stats_.status_pages;
  if (path == "/debug/events") {
    start_feed(now, source);
    return;
  }
  if (path == "/debug/workers") {
    std::vector<services::StatusWorker> workers = source.workers();
    workers.resize(std::min(workers.size(), limit_of(request.target, workers.size())));
    respond(page_response("application/json", workers_json(workers), keep_alive), 200, keep_alive);
    return;
  }
  if (path == "/debug/gaps") {
    respond(
        page_response("application/json", gaps_json(source.gaps()), keep_alive), 200, keep_alive);
    return;
  }
  StatusPage page;
  page.sort = parse_stream_sort(query_param(request.target, "sort").value_or(""));
  page.streams = source.streams();
  const bool json = path == "/debug/streams";
  page.total_streams = select_streams(
      page.streams,
      page.sort,
      json ? limit_of(request.target, config_.status.max_streams) : config_.status.max_streams);
  if (json) {
    respond(page_response("application/json", streams_json(page), keep_alive), 200, keep_alive);
    return;
  }
  page.workers = source.workers();
  page.gaps = source.gaps();
  respond(page_response("text/html; charset=utf-8", render_status_html(page), keep_alive),
          200,
          keep_alive);
}

// The connection becomes the feed's: no more requests are read; the body runs until the
// connection closes (no chunked coding, so any client reads it as it comes).
void HttpSession::start_feed(Timestamp now, StatusSource& source) {
  transport_.write(http::response_head(200,
                                       {{"Content-Type", "text/event-stream"},
                                        {"Cache-Control", "no-cache"},
                                        {"X-Accel-Buffering", "no"},
                                        {"Connection", "close"}},
                                       http::Framing::kClose));
  transport_.write("retry: 2000\n: connswap status feed\n\n");
  feed_ = &source.feed();
  feed_id_ = feed_->subscribe([this] {
    if (!feed_flush_posted_) {
      feed_flush_posted_ = true;  // published inside the director's turn: written after it
      transport_.defer([this] {
        feed_flush_posted_ = false;
        flush_feed();
      });
    }
  });
  logger().debug("http conn={} peer={}: status feed subscriber", connection_id_, peer_);
  transport_.set_reading(false);
  stall_seen_ = false;
  arm(now);
}

// Writes queued events while the connection takes them; the rest wait in the feed's bounded
// queue (the oldest dropped first), never in the write buffer.
void HttpSession::flush_feed() {
  if (feed_ == nullptr || closing_) {
    return;
  }
  while (transport_.queued() < config_.completion.write_high_water) {
    auto event = feed_->pop(feed_id_);
    if (!event) {
      break;
    }
    transport_.write(**event);
  }
}

// Quiet for feed_keepalive: a comment keeps proxies and the browser from timing out. A
// client that took no byte for two keep-alive periods in a row is closed.
void HttpSession::feed_deadline(Timestamp now) {
  const bool stalled = transport_.queued() > 0;
  if (stalled && stall_seen_) {
    logger().info("http conn={} peer={} status feed not read: closing", connection_id_, peer_);
    on_closed();
    transport_.close();
    return;
  }
  stall_seen_ = stalled;
  if (!stalled) {
    transport_.write(": keep-alive\n\n");
  }
  arm(now);
}

void HttpSession::stop_feed() {
  if (feed_ != nullptr) {
    feed_->unsubscribe(feed_id_);
    feed_ = nullptr;
  }
}

}  // namespace connswap::front
