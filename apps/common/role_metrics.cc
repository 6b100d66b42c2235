#include "common/role_metrics.h"

#include "common/metrics.h"
#include "director/actions.h"

namespace connswap::app {
namespace {

prometheus::Gauge& gauge(prometheus::Registry& r,
                         const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Counter& counter(prometheus::Registry& r,
                             const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

// Failover gaps are a few ms (drain) to seconds (heartbeat loss).
const prometheus::Histogram::BucketBoundaries kGapBuckets = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30};

}  // namespace

DirectorMetrics::DirectorMetrics(prometheus::Registry& r)
    : active_streams_(gauge(r, "connswap_active_streams", "client Generate streams in progress")),
      streams_opened_(counter(r, "connswap_streams_total", "client Generate streams opened")),
      tokens_forwarded_(
          counter(r, "connswap_tokens_forwarded_total", "tokens forwarded to clients")),
      gap_(prometheus::BuildHistogram()
               .Name("connswap_failover_gap_seconds")
               .Help("time from the last token of a failed worker to the first of the next")
               .Register(r)
               .Add({}, kGapBuckets)),
      registrations_(counter(r, "connswap_registrations_total", "worker Register calls accepted")),
      tickets_(counter(r, "connswap_resume_tickets_total", "resume tickets sent to clients")),
      resumes_(counter(r, "connswap_resumes_total", "streams continued from a resume ticket")),
      resumes_refused_(
          counter(r, "connswap_resumes_refused_total", "resume requests refused (bad tickets)")),
      illegal_transitions_(counter(r,
                                   "connswap_illegal_transitions_total",
                                   "stream state machine transitions refused (router bugs)")),
      prefix_bytes_(gauge(
          r, "connswap_prefix_bytes", "heap bytes held by the open streams' delivered prefixes")),
      prefixes_truncated_(counter(r,
                                  "connswap_prefixes_truncated_total",
                                  "streams whose kept prefix stopped being the whole answer "
                                  "(a model server cannot continue them)")) {
  auto& migrations = prometheus::BuildCounter()
                         .Name("connswap_migrations_total")
                         .Help("streams moved to another worker, by reason")
                         .Register(r);
  for (std::size_t i = 0; i < migrations_.size(); ++i) {
    const auto reason = director::to_string(static_cast<director::FailureReason>(i));
    migrations_[i] = &migrations.Add({{"reason", std::string(reason)}});
  }
  auto& refused = prometheus::BuildCounter()
                      .Name("connswap_requests_refused_total")
                      .Help(
                          "Generate requests refused at open (and streams ended, connections "
                          "refused by a limit), by reason (docs/RELIABILITY.md)")
                      .Register(r);
  refused_too_large_ = &refused.Add({{"reason", "too_large"}});
  refused_bad_id_ = &refused.Add({{"reason", "bad_connection_id"}});
  // Resume refusals by limit (issue 14 items 2 and 7).
  const char* resume_reasons[] = {
      "resume_replay_full", "resume_per_connection", "resume_per_stream", "resume_position"};
  for (std::size_t i = 0; i < refused_resume_.size(); ++i) {
    refused_resume_[i] = &refused.Add({{"reason", resume_reasons[i]}});
  }
  replay_evictions_ = &prometheus::BuildCounter()
                           .Name("connswap_resume_replay_evictions_total")
                           .Help(
                               "connection ids whose redeemed tokens were collapsed into a "
                               "tombstone because the replay cache was full")
                           .Register(r)
                           .Add({});
  refused_connections_ = &refused.Add({{"reason", "max_connections"}});
  refused_per_address_ = &refused.Add({{"reason", "max_connections_per_address"}});
  refused_streams_ = &refused.Add({{"reason", "max_streams_per_connection"}});
  refused_sessions_ = &refused.Add({{"reason", "max_sessions"}});
  refused_blocked_ = &refused.Add({{"reason", "blocked_stream_timeout"}});
  retries_ = &counter(r, "connswap_quic_retries_total", "QUIC Retry packets sent (handshake rate)");
  user_connections_ = &gauge(r,
                             "connswap_user_connections",
                             "USER connections held (closing ones included; what the caps count)");
  invalid_tokens_ = &counter(
      r, "connswap_quic_invalid_tokens_total", "client Initials dropped: bad or expired token");
  drain_batches_ = &counter(r,
                            "connswap_drain_batches_total",
                            "worker read batches for clients reading again after blocking "
                            "(--drain-batch-bytes each)");
  max_turn_bytes_ = &gauge(r,
                           "connswap_max_turn_bytes",
                           "most token bytes forwarded to clients in one loop turn since start");
  starts_deferred_ = &counter(r,
                              "connswap_worker_call_starts_deferred_total",
                              "worker calls started on a later loop turn (--replace-batch)");
  max_turn_starts_ = &gauge(
      r, "connswap_max_turn_starts", "most worker calls started in one loop turn since start");
  buffered_bytes_ = &gauge(r,
                           "connswap_buffered_bytes",
                           "bytes held toward clients now (all streams; --max-buffered-bytes)");
  paused_by_budget_ = &counter(r,
                               "connswap_streams_paused_by_budget_total",
                               "times a stream's worker calls were paused because the bytes "
                               "held toward clients were over --max-buffered-bytes");
  send_queue_full_ = &counter(r,
                              "connswap_send_queue_full_total",
                              "times a client stream's queue filled (QUIC: --send-queue-bytes, "
                              "HTTP: --http-write-buffer-bytes): its worker calls paused until "
                              "the client reads");
  blocked_streams_ =
      &gauge(r, "connswap_blocked_streams", "client streams paused now: their send queue is full");
  probes_ = &counter(r,
                     "connswap_worker_probes_total",
                     "liveness probes of a worker's connection (a stream silent past "
                     "--probe-factor x its token gap, at least --min-probe-ms)");
  probes_unanswered_ = &counter(r,
                                "connswap_worker_probes_unanswered_total",
                                "probed workers that sent no packet within --probe-timeout-ms: "
                                "found unresponsive, their streams moved");
  probe_pings_ = &counter(r, "connswap_worker_probe_pings_total", "PINGs sent for probes");
  probes_extended_ = &counter(r,
                              "connswap_worker_probes_extended_total",
                              "probes judged late because this director's loop ran late: "
                              "given another ping period instead of a verdict");
  probes_no_alternative_ = &counter(r,
                                    "connswap_worker_probes_no_alternative_total",
                                    "unanswered probes of a worker left alone because no other "
                                    "worker could take its streams (stall deadlines decide)");
  auto& workers =
      prometheus::BuildGauge().Name("connswap_workers").Help("workers by state").Register(r);
  const char* states[] = {"active", "unavailable", "draining", "failed", "lost"};
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i] = &workers.Add({{"state", states[i]}});
  }
}

void DirectorMetrics::update(const services::DirectorStats& s) {
  active_streams_.Set(static_cast<double>(s.active_streams));
  advance_to(streams_opened_, static_cast<double>(s.router.streams_opened));
  advance_to(tokens_forwarded_, static_cast<double>(s.router.tokens_forwarded));
  for (std::size_t i = 0; i < migrations_.size(); ++i) {
    advance_to(*migrations_[i], static_cast<double>(s.migrations_by_reason[i]));
  }
  const std::uint32_t counts[] = {s.workers.active,
                                  s.workers.unavailable,
                                  s.workers.draining,
                                  s.workers.failed,
                                  s.workers.lost};
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->Set(counts[i]);
  }
  advance_to(registrations_, static_cast<double>(s.registrations));
  advance_to(tickets_, static_cast<double>(s.tickets_issued));
  advance_to(resumes_, static_cast<double>(s.resumes));
  advance_to(resumes_refused_, static_cast<double>(s.resumes_refused));
  advance_to(illegal_transitions_, static_cast<double>(s.router.illegal_transitions));
  prefix_bytes_.Set(static_cast<double>(s.router.prefix_bytes));
  advance_to(prefixes_truncated_, static_cast<double>(s.router.prefixes_truncated));
  advance_to(*refused_too_large_, static_cast<double>(s.requests_refused));
  advance_to(*refused_bad_id_, static_cast<double>(s.bad_connection_ids));
  const services::ResumeRefusals& rr = s.resume_refusals;
  const std::uint64_t resume_counts[] = {
      rr.replay_full, rr.per_connection, rr.per_stream, rr.position};
  for (std::size_t i = 0; i < refused_resume_.size(); ++i) {
    advance_to(*refused_resume_[i], static_cast<double>(resume_counts[i]));
  }
  advance_to(*replay_evictions_, static_cast<double>(rr.evictions));
  advance_to(*refused_streams_, static_cast<double>(s.refused_streams_per_connection));
  advance_to(*refused_sessions_, static_cast<double>(s.refused_sessions));
  advance_to(*refused_blocked_, static_cast<double>(s.blocked_too_long));
  advance_to(*drain_batches_, static_cast<double>(s.drain_batches));
  max_turn_bytes_->Set(static_cast<double>(s.max_turn_bytes));
  advance_to(*starts_deferred_, static_cast<double>(s.starts_deferred));
  max_turn_starts_->Set(static_cast<double>(s.max_turn_starts));
  buffered_bytes_->Set(static_cast<double>(s.buffered_bytes));
  advance_to(*paused_by_budget_, static_cast<double>(s.streams_paused_by_budget));
  advance_to(*send_queue_full_, static_cast<double>(s.client_blocks));
  blocked_streams_->Set(static_cast<double>(s.blocked_streams));
  advance_to(*probes_, static_cast<double>(s.router.probes));
  advance_to(*probes_unanswered_, static_cast<double>(s.router.probes_unanswered));
  advance_to(*probe_pings_, static_cast<double>(s.probe_pings));
  advance_to(*probes_extended_, static_cast<double>(s.probes_extended));
  advance_to(*probes_no_alternative_, static_cast<double>(s.router.probes_no_alternative));
}

void DirectorMetrics::update_listener(const net::ServerEndpoint::Stats& s,
                                      std::size_t connections) {
  user_connections_->Set(static_cast<double>(connections));
  advance_to(*refused_connections_, static_cast<double>(s.refused_connections));
  advance_to(*refused_per_address_, static_cast<double>(s.refused_per_address));
  advance_to(*retries_, static_cast<double>(s.retries));
  advance_to(*invalid_tokens_, static_cast<double>(s.invalid_tokens));
}

void DirectorMetrics::observe_gap(Duration gap) {
  gap_.Observe(static_cast<double>(gap) / static_cast<double>(kSecond));
}

AuthMetrics::AuthMetrics(prometheus::Registry& r) {
  auto& refused = prometheus::BuildCounter()
                      .Name("connswap_auth_refused_total")
                      .Help(
                          "calls refused: no certificate, a certificate without the method's "
                          "role, a worker label owned by another certificate")
                      .Register(r);
  no_certificate_ = &refused.Add({{"reason", "no_certificate"}});
  missing_role_ = &refused.Add({{"reason", "missing_role"}});
  label_taken_ = &refused.Add({{"reason", "label_taken"}});
}

void AuthMetrics::update(const AuthRefusals& refusals, std::uint64_t labels_refused) {
  advance_to(*no_certificate_, static_cast<double>(refusals.no_certificate));
  advance_to(*missing_role_, static_cast<double>(refusals.missing_role));
  advance_to(*label_taken_, static_cast<double>(labels_refused));
}

WorkerMetrics::WorkerMetrics(prometheus::Registry& r)
    : streams_(gauge(r, "connswap_worker_streams", "Generate streams being served")),
      available_(gauge(r, "connswap_worker_available", "1 if accepting new streams")),
      tokens_(counter(r, "connswap_worker_tokens_total", "tokens sent")),
      failures_(counter(r, "connswap_worker_failures_total", "simulated failures started")),
      heartbeats_(counter(r, "connswap_worker_heartbeats_total", "heartbeats acknowledged")),
      registrations_(
          counter(r, "connswap_worker_registrations_total", "registrations acknowledged")),
      send_queue_full_(counter(r,
                               "connswap_send_queue_full_total",
                               "token writes that found --send-queue-bytes queued toward the "
                               "director (the stream waits until it drains)")) {
  auto& outcomes = prometheus::BuildCounter()
                       .Name("connswap_worker_streams_total")
                       .Help("Generate streams by outcome")
                       .Register(r);
  const char* names[] = {"accepted", "refused", "done", "failed", "cancelled"};
  for (std::size_t i = 0; i < outcomes_.size(); ++i) {
    outcomes_[i] = &outcomes.Add({{"outcome", names[i]}});
  }
}

void WorkerMetrics::update(const services::WorkerServiceStats& s,
                           const services::WorkerStatus& status,
                           const services::RegistrationStats& reg) {
  streams_.Set(status.load);
  available_.Set(status.available ? 1 : 0);
  advance_to(tokens_, static_cast<double>(s.tokens));
  const std::uint64_t outcomes[] = {
      s.streams_accepted, s.streams_refused, s.streams_done, s.streams_failed, s.streams_cancelled};
  for (std::size_t i = 0; i < outcomes_.size(); ++i) {
    advance_to(*outcomes_[i], static_cast<double>(outcomes[i]));
  }
  advance_to(heartbeats_, static_cast<double>(reg.heartbeats));
  advance_to(registrations_, static_cast<double>(reg.registrations));
  advance_to(send_queue_full_, static_cast<double>(s.write_blocks));
}

namespace {

// Model servers: first tokens in ms (small models, warm caches) to tens of seconds (long
// prompts, queueing); token gaps from sub-ms to seconds.
const prometheus::Histogram::BucketBoundaries kTtftBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const prometheus::Histogram::BucketBoundaries kItlBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

double seconds_of(Duration d) {
  return static_cast<double>(d) / static_cast<double>(kSecond);
}

}  // namespace

BackendMetrics::BackendMetrics(prometheus::Registry& r)
    : ttft_(prometheus::BuildHistogram()
                .Name("connswap_backend_first_token_seconds")
                .Help("model server: request sent -> first token")
                .Register(r)
                .Add({}, kTtftBuckets)),
      itl_(prometheus::BuildHistogram()
               .Name("connswap_backend_token_gap_seconds")
               .Help("model server: time between consecutive tokens of a stream")
               .Register(r)
               .Add({}, kItlBuckets)),
      healthy_(gauge(r, "connswap_backend_healthy", "1 if the last health probe passed")),
      continuations_(counter(
          r, "connswap_backend_continuations_total", "streams continued mid-answer (seq > 1)")),
      probes_failed_(counter(r, "connswap_backend_probes_failed_total", "failed health probes")) {
  auto& errors = prometheus::BuildCounter()
                     .Name("connswap_backend_errors_total")
                     .Help("model server failures by kind")
                     .Register(r);
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    errors_[i] = &errors.Add(
        {{"kind", std::string(worker::to_string(static_cast<worker::BackendError>(i)))}});
  }
}

void BackendMetrics::on_first_token(Duration since_request) {
  ttft_.Observe(seconds_of(since_request));
}

void BackendMetrics::on_token_gap(Duration since_previous) {
  itl_.Observe(seconds_of(since_previous));
}

void BackendMetrics::update(const worker::BackendStats& s) {
  healthy_.Set(s.healthy ? 1 : 0);
  advance_to(continuations_, static_cast<double>(s.continuations));
  advance_to(probes_failed_, static_cast<double>(s.probes_failed));
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    advance_to(*errors_[i], static_cast<double>(s.errors.at(i)));
  }
}

void WorkerMetrics::count_failure() {
  failures_.Increment();
}

}  // namespace connswap::app
