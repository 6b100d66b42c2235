#include "common/http_metrics.h"

#include <string>

#include "common/metrics.h"

namespace connswap::app {
namespace {

prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

HttpMetrics::HttpMetrics(prometheus::Registry& r)
    : open_(prometheus::BuildGauge()
                .Name("connswap_http_connections")
                .Help("open HTTP connections")
                .Register(r)
                .Add({})),
      accepted_(counter(r, "connswap_http_connections_total", "HTTP connections accepted")),
      refused_(counter(r,
                       "connswap_http_connections_refused_total",
                       "HTTP connections closed at once: over --http-max-connections")),
      status_subscribers_(prometheus::BuildGauge()
                              .Name("connswap_http_status_subscribers")
                              .Help("open /debug/events (status live feed) connections")
                              .Register(r)
                              .Add({})),
      status_events_(counter(r,
                             "connswap_http_status_events_total",
                             "status events (migrations, gaps, worker changes) published")),
      status_dropped_(counter(r,
                              "connswap_http_status_events_dropped_total",
                              "status events a slow /debug/events subscriber lost: over "
                              "--status-feed-queue")) {
  using S = front::HttpFrontStats;
  const struct {
    const char* name;
    const char* help;
    std::uint64_t S::*field;
  } fields[] = {
      {"connswap_http_requests_total", "HTTP requests parsed", &S::requests},
      {"connswap_http_bad_requests_total",
       "HTTP requests refused unparsed (malformed, limits)",
       &S::bad_requests},
      {"connswap_http_timeouts_total",
       "connections closed by --http-request-timeout-ms",
       &S::timeouts},
      {"connswap_http_completions_total",
       "completion requests streamed through the director",
       &S::completions},
      {"connswap_http_completions_ok_total",
       "completions that ended with a finish_reason",
       &S::completions_ok},
      {"connswap_http_client_gone_total",
       "completions whose client left before the end",
       &S::client_gone},
      {"connswap_http_responses_4xx_total", "responses with a 4xx status", &S::responses_4xx},
      {"connswap_http_responses_5xx_total", "responses with a 5xx status", &S::responses_5xx},
      {"connswap_http_tokens_total", "completion tokens sent over HTTP", &S::tokens},
      {"connswap_http_migrations_total", "migrations seen by HTTP streams", &S::migrations},
      {"connswap_http_resumes_total",
       "completion requests with a Last-Event-ID handed to the director",
       &S::resumes},
      {"connswap_http_event_ids_too_long_total",
       "SSE events sent without their id: longer than --http-max-event-id-bytes",
       &S::event_ids_too_long},
      {"connswap_http_tls_failures_total",
       "--http-tls connections closed on a failed handshake or a bad record",
       &S::tls_failures},
      {"connswap_http_status_pages_total",
       "status page and /debug/* JSON answers",
       &S::status_pages},
      {"connswap_http_status_refused_total",
       "status routes refused 403: no client certificate with the operator role "
       "(--http-status operator)",
       &S::status_refused},
  };
  for (const auto& f : fields) {
    counters_.push_back({&counter(r, f.name, f.help), f.field});
  }
}

void HttpMetrics::update(const front::HttpFrontStats& stats,
                         const HttpConnectionCounts& connections) {
  open_.Set(static_cast<double>(connections.open));
  advance_to(accepted_, static_cast<double>(connections.accepted));
  advance_to(refused_, static_cast<double>(connections.refused));
  status_subscribers_.Set(static_cast<double>(stats.status_feed.subscribers));
  advance_to(status_events_, static_cast<double>(stats.status_feed.events));
  advance_to(status_dropped_, static_cast<double>(stats.status_feed.dropped));
  for (const Entry& e : counters_) {
    advance_to(*e.counter, static_cast<double>(stats.*e.field));
  }
}

}  // namespace connswap::app
