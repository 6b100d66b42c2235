// Metrics: the endpoint binds (port 0 -> a real port), refuses bad or busy addresses, and
// the role metrics carry the documented names.

#include "common/metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "common/role_metrics.h"

namespace connswap::app::testing {
namespace {

std::vector<std::string> family_names(prometheus::Registry& registry) {
  std::vector<std::string> names;
  for (const auto& family : registry.Collect()) {
    names.push_back(family.name);
  }
  return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(Metrics, BindsPortZeroAndReportsTheRealPort) {
  auto server = MetricsServer::start("127.0.0.1:0");
  ASSERT_TRUE(server) << server.error().message();
  const std::string& addr = (*server)->address();
  EXPECT_EQ(addr.rfind("127.0.0.1:", 0), 0U);
  EXPECT_NE(addr, "127.0.0.1:0");

  auto busy = MetricsServer::start(addr);  // the same port again
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, Errc::kIo);

  auto bad = MetricsServer::start("metrics-host");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

TEST(Metrics, DirectorNames) {
  prometheus::Registry registry;
  DirectorMetrics metrics(registry);
  services::DirectorStats stats;
  stats.active_streams = 3;
  stats.router.tokens_forwarded = 42;
  stats.migrations_by_reason[0] = 2;
  stats.workers.active = 2;
  stats.router.prefix_bytes = 4096;
  stats.router.prefixes_truncated = 1;
  stats.requests_refused = 4;
  stats.bad_connection_ids = 5;
  stats.resume_refusals = {
      .replay_full = 14, .per_connection = 15, .per_stream = 16, .position = 17, .evictions = 18};
  stats.refused_streams_per_connection = 8;
  stats.refused_sessions = 9;
  stats.blocked_too_long = 10;
  stats.drain_batches = 19;
  stats.max_turn_bytes = 20;
  stats.buffered_bytes = 21;
  stats.streams_paused_by_budget = 22;
  metrics.update(stats);
  net::ServerEndpoint::Stats listener;
  listener.refused_connections = 6;
  listener.refused_per_address = 7;
  listener.retries = 11;
  listener.invalid_tokens = 12;
  metrics.update_listener(listener, 13);
  metrics.observe_gap(250 * kMillisecond);
  stats.router.tokens_forwarded = 50;
  metrics.update(stats);  // counters follow the cumulative stats
  const auto names = family_names(registry);
  for (const char* name : {"connswap_active_streams",
                           "connswap_tokens_forwarded_total",
                           "connswap_migrations_total",
                           "connswap_failover_gap_seconds",
                           "connswap_workers",
                           "connswap_prefix_bytes",
                           "connswap_prefixes_truncated_total",
                           "connswap_requests_refused_total",
                           "connswap_resume_replay_evictions_total",
                           "connswap_quic_retries_total",
                           "connswap_quic_invalid_tokens_total",
                           "connswap_user_connections",
                           "connswap_drain_batches_total",
                           "connswap_max_turn_bytes",
                           "connswap_worker_call_starts_deferred_total",
                           "connswap_max_turn_starts",
                           "connswap_buffered_bytes",
                           "connswap_streams_paused_by_budget_total"}) {
    EXPECT_TRUE(has(names, name)) << name;
  }
  for (const auto& family : registry.Collect()) {
    if (family.name == "connswap_tokens_forwarded_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 50.0);
    } else if (family.name == "connswap_failover_gap_seconds") {
      EXPECT_EQ(family.metric.at(0).histogram.sample_count, 1U);
      EXPECT_DOUBLE_EQ(family.metric.at(0).histogram.sample_sum, 0.25);
    } else if (family.name == "connswap_prefix_bytes") {
      EXPECT_EQ(family.metric.at(0).gauge.value, 4096.0);
    } else if (family.name == "connswap_prefixes_truncated_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 1.0);
    } else if (family.name == "connswap_migrations_total") {
      EXPECT_EQ(family.metric.size(), services::kFailureReasonCount);
    } else if (family.name == "connswap_requests_refused_total") {
      // too_large, bad_connection_id, the limits (issue 14 item 3), then resume refusals.
      const std::map<std::string, double> want = {{"too_large", 4.0},
                                                  {"bad_connection_id", 5.0},
                                                  {"max_connections", 6.0},
                                                  {"max_connections_per_address", 7.0},
                                                  {"max_streams_per_connection", 8.0},
                                                  {"max_sessions", 9.0},
                                                  {"blocked_stream_timeout", 10.0},
                                                  {"resume_replay_full", 14.0},
                                                  {"resume_per_connection", 15.0},
                                                  {"resume_per_stream", 16.0},
                                                  {"resume_position", 17.0}};
      ASSERT_EQ(family.metric.size(), want.size());
      for (const auto& m : family.metric) {
        EXPECT_EQ(m.counter.value, want.at(m.label.at(0).value)) << m.label.at(0).value;
      }
    } else if (family.name == "connswap_resume_replay_evictions_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 18.0);
    } else if (family.name == "connswap_quic_retries_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 11.0);
    } else if (family.name == "connswap_quic_invalid_tokens_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 12.0);
    } else if (family.name == "connswap_user_connections") {
      EXPECT_EQ(family.metric.at(0).gauge.value, 13.0);
    } else if (family.name == "connswap_drain_batches_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 19.0);
    } else if (family.name == "connswap_max_turn_bytes") {
      EXPECT_EQ(family.metric.at(0).gauge.value, 20.0);
    } else if (family.name == "connswap_buffered_bytes") {
      EXPECT_EQ(family.metric.at(0).gauge.value, 21.0);
    } else if (family.name == "connswap_streams_paused_by_budget_total") {
      EXPECT_EQ(family.metric.at(0).counter.value, 22.0);
    }
  }
}

TEST(Metrics, BackendNames) {
  prometheus::Registry registry;
  BackendMetrics metrics(registry);
  metrics.on_first_token(5 * kMillisecond);
  metrics.on_token_gap(kMillisecond);
  metrics.on_token_gap(2 * kMillisecond);
  worker::BackendStats stats;
  stats.healthy = true;
  stats.continuations = 2;
  stats.errors.at(static_cast<std::size_t>(worker::BackendError::kStall)) = 3;
  metrics.update(stats);
  const auto names = family_names(registry);
  for (const char* name : {"connswap_backend_first_token_seconds",
                           "connswap_backend_token_gap_seconds",
                           "connswap_backend_errors_total",
                           "connswap_backend_healthy",
                           "connswap_backend_continuations_total",
                           "connswap_backend_probes_failed_total"}) {
    EXPECT_TRUE(has(names, name)) << name;
  }
  for (const auto& family : registry.Collect()) {
    if (family.name == "connswap_backend_token_gap_seconds") {
      EXPECT_EQ(family.metric.at(0).histogram.sample_count, 2U);
      EXPECT_DOUBLE_EQ(family.metric.at(0).histogram.sample_sum, 0.003);
    } else if (family.name == "connswap_backend_errors_total") {
      ASSERT_EQ(family.metric.size(), worker::kBackendErrorKinds);
      for (const auto& m : family.metric) {
        EXPECT_EQ(m.counter.value, m.label.at(0).value == "stall" ? 3.0 : 0.0);
      }
    } else if (family.name == "connswap_backend_healthy") {
      EXPECT_EQ(family.metric.at(0).gauge.value, 1.0);
    }
  }
}

TEST(Metrics, WorkerNames) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  services::WorkerServiceStats stats;
  stats.tokens = 7;
  services::WorkerStatus status;
  status.load = 1;
  metrics.update(stats, status, {});
  metrics.count_failure();
  const auto names = family_names(registry);
  for (const char* name : {"connswap_worker_streams",
                           "connswap_worker_tokens_total",
                           "connswap_worker_streams_total",
                           "connswap_worker_failures_total"}) {
    EXPECT_TRUE(has(names, name)) << name;
  }
}

}  // namespace
}  // namespace connswap::app::testing
