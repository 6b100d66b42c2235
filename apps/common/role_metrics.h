#pragma once
// The metrics each role exports (names in docs/ARCHITECTURE.md, "Metrics"), refreshed from
// the services' stats() on the loop thread. Prometheus metrics are thread-safe, so the
// Exposer's threads may read them at any time.

#include <array>
#include <cstdint>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "base/time.h"
#include "common/mgmt_auth.h"
#include "net/server.h"
#include "services/director_service.h"
#include "services/registration_client.h"
#include "services/worker_service.h"
#include "worker/openai_source.h"

namespace connswap::app {

class DirectorMetrics {
 public:
  explicit DirectorMetrics(prometheus::Registry& registry);
  void update(const services::DirectorStats& stats);
  // The USER listener's admission counters: refused connections, Retries, bad tokens.
  void update_listener(const net::ServerEndpoint::Stats& stats, std::size_t connections);
  // One failover: last token of the old worker -> first token of the new one.
  void observe_gap(Duration gap);

 private:
  prometheus::Gauge& active_streams_;
  prometheus::Counter& streams_opened_;
  prometheus::Counter& tokens_forwarded_;
  std::array<prometheus::Counter*, services::kFailureReasonCount> migrations_{};
  prometheus::Histogram& gap_;
  std::array<prometheus::Gauge*, 5> workers_{};  // active, unavailable, draining, failed, lost
  prometheus::Counter& registrations_;
  prometheus::Counter& tickets_;
  prometheus::Counter& resumes_;
  prometheus::Counter& resumes_refused_;
  prometheus::Counter& illegal_transitions_;
  prometheus::Gauge& prefix_bytes_;
  prometheus::Counter& prefixes_truncated_;
  prometheus::Counter* refused_too_large_ = nullptr;  // connswap_requests_refused_total{...}
  prometheus::Counter* refused_bad_id_ = nullptr;
  std::array<prometheus::Counter*, 4> refused_resume_{};  // resume refusals by limit
  prometheus::Counter* replay_evictions_ = nullptr;
  // Limits (issue 14 item 3), by reason label; then Retry.
  prometheus::Counter* refused_connections_ = nullptr;
  prometheus::Counter* refused_per_address_ = nullptr;
  prometheus::Counter* refused_streams_ = nullptr;
  prometheus::Counter* refused_sessions_ = nullptr;
  prometheus::Counter* refused_blocked_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Gauge* user_connections_ = nullptr;
  prometheus::Counter* invalid_tokens_ = nullptr;
  prometheus::Counter* drain_batches_ = nullptr;  // issue 14 item 4
  prometheus::Gauge* max_turn_bytes_ = nullptr;
  // Issue 18: worker calls started in batches (--replace-batch).
  prometheus::Counter* starts_deferred_ = nullptr;
  prometheus::Gauge* max_turn_starts_ = nullptr;
  prometheus::Gauge* buffered_bytes_ = nullptr;  // issue 14 item 3: the buffer budget
  prometheus::Counter* paused_by_budget_ = nullptr;
  // Bounded queues (issue 15, --send-queue-bytes): client streams whose send queue is full.
  prometheus::Counter* send_queue_full_ = nullptr;
  prometheus::Gauge* blocked_streams_ = nullptr;
  // Liveness probes (issue 18, --probe-timeout-ms).
  prometheus::Counter* probes_ = nullptr;
  prometheus::Counter* probes_unanswered_ = nullptr;
  prometheus::Counter* probe_pings_ = nullptr;
  prometheus::Counter* probes_extended_ = nullptr;
  prometheus::Counter* probes_no_alternative_ = nullptr;
};

// Calls refused for want of a certificate, a role or a label's ownership, by reason:
// connswap_auth_refused_total{reason="no_certificate"|"missing_role"|"label_taken"}
// (docs/RELIABILITY.md §5). Directors and workers export it.
class AuthMetrics {
 public:
  explicit AuthMetrics(prometheus::Registry& registry);
  // `labels_refused`: DirectorStats::labels_refused (0 for a worker).
  void update(const AuthRefusals& refusals, std::uint64_t labels_refused);

 private:
  prometheus::Counter* no_certificate_ = nullptr;
  prometheus::Counter* missing_role_ = nullptr;
  prometheus::Counter* label_taken_ = nullptr;
};

// The model-server backend's metrics (connswap-worker --backend openai): time to first
// token and inter-token gaps as histograms (observed as tokens are polled), errors by
// kind, health.
class BackendMetrics final : public worker::BackendObserver {
 public:
  explicit BackendMetrics(prometheus::Registry& registry);
  void on_first_token(Duration since_request) override;
  void on_token_gap(Duration since_previous) override;
  void update(const worker::BackendStats& stats);

 private:
  prometheus::Histogram& ttft_;
  prometheus::Histogram& itl_;
  prometheus::Gauge& healthy_;
  prometheus::Counter& continuations_;
  prometheus::Counter& probes_failed_;
  std::array<prometheus::Counter*, worker::kBackendErrorKinds> errors_{};
};

class WorkerMetrics {
 public:
  explicit WorkerMetrics(prometheus::Registry& registry);
  void update(const services::WorkerServiceStats& stats,
              const services::WorkerStatus& status,
              const services::RegistrationStats& registration);
  void count_failure();  // the failure plan left kServe

 private:
  prometheus::Gauge& streams_;
  prometheus::Gauge& available_;
  prometheus::Counter& tokens_;
  std::array<prometheus::Counter*, 5> outcomes_{};  // accepted, refused, done, failed, cancelled
  prometheus::Counter& failures_;
  prometheus::Counter& heartbeats_;
  prometheus::Counter& registrations_;
  prometheus::Counter& send_queue_full_;  // writes that found --send-queue-bytes queued
};

}  // namespace connswap::app
