#include "common/limit_options.h"

#include <fmt/format.h>

#include "common/cli.h"

namespace connswap::app {

void add_limit_options(CLI::App& app, LimitArgs& a) {
  constexpr Role kRole = Role::kDirector;
  add_env_option(app,
                 kRole,
                 "--max-connections",
                 a.max_connections,
                 "USER connections at once; more are refused (CONNECTION_REFUSED)");
  add_env_option(app,
                 kRole,
                 "--max-connections-per-address",
                 a.max_connections_per_address,
                 "USER connections at once from one source IP");
  add_env_option(app,
                 kRole,
                 "--max-streams-per-connection",
                 a.max_streams_per_connection,
                 "open streams per client connection (QUIC stream credit and the session "
                 "book; over it RESOURCE_EXHAUSTED)");
  add_env_option(app,
                 kRole,
                 "--max-sessions",
                 a.max_sessions,
                 "connection ids the session book holds; a new one past it is refused");
  add_ms_option(app,
                kRole,
                "--blocked-stream-timeout-ms",
                a.blocked_stream_timeout,
                "a client not reading this long (its worker paused) has the stream ended "
                "RESOURCE_EXHAUSTED");
  add_env_option(app,
                 kRole,
                 "--retry-above-handshakes-per-s",
                 a.retry_above_per_second,
                 "new USER handshakes per second before clients must answer a QUIC Retry "
                 "(0 = always Retry)");
  add_env_option(app,
                 kRole,
                 "--drain-batch-bytes",
                 a.drain_batch_bytes,
                 "when a blocked client reads again, worker bytes read for it per loop turn "
                 "(bounds its outbox; 1024..67108864)");
  add_env_option(app,
                 kRole,
                 "--max-buffered-bytes",
                 a.max_buffered_bytes,
                 "bytes held toward all clients at once; above it streams are paused like slow "
                 "clients until the total falls to 3/4 of it (>= 1048576)");
  add_env_option(app,
                 kRole,
                 "--replace-batch",
                 a.replace_batch,
                 "worker calls started per loop turn: a failover re-placing many streams sends "
                 "their requests in batches of this many, one batch per turn (0 = all at once)");
  add_env_option(app,
                 kRole,
                 "--worker-connections",
                 a.worker_connections,
                 "QUIC connections to each worker, calls spread over them (each has its own "
                 "congestion window; 1..16)");
}

Result<void> validate_limits(const LimitArgs& a) {
  auto bad = [](const char* what) { return make_error(Errc::kInvalidArgument, what); };
  if (a.max_connections == 0) {
    return bad("--max-connections: must be >= 1");
  }
  if (a.max_connections_per_address == 0 || a.max_connections_per_address > a.max_connections) {
    return bad("--max-connections-per-address: must be >= 1 and <= --max-connections");
  }
  if (a.max_streams_per_connection == 0) {
    return bad("--max-streams-per-connection: must be >= 1");
  }
  if (a.max_sessions == 0) {
    return bad("--max-sessions: must be >= 1");
  }
  if (a.blocked_stream_timeout == 0) {
    return bad("--blocked-stream-timeout-ms: must be > 0");
  }
  if (a.drain_batch_bytes < kMinDrainBatchBytes || a.drain_batch_bytes > kMaxDrainBatchBytes) {
    return bad("--drain-batch-bytes: must be within 1024..67108864");
  }
  if (a.max_buffered_bytes < kMinBufferedBytes) {
    return bad("--max-buffered-bytes: must be >= 1048576");
  }
  if (a.worker_connections == 0 || a.worker_connections > kMaxWorkerConnections) {
    return bad("--worker-connections: must be within 1..16");
  }
  return {};
}

std::string describe_limits(const LimitArgs& a) {
  return fmt::format(
      "max_connections={} max_connections_per_address={} max_streams_per_connection={} "
      "max_sessions={} blocked_stream_timeout_ms={} retry_above_handshakes_per_s={} "
      "drain_batch_bytes={} max_buffered_bytes={} replace_batch={} worker_connections={}",
      a.max_connections,
      a.max_connections_per_address,
      a.max_streams_per_connection,
      a.max_sessions,
      a.blocked_stream_timeout / kMillisecond,
      a.retry_above_per_second,
      a.drain_batch_bytes,
      a.max_buffered_bytes,
      a.replace_batch,
      a.worker_connections);
}

ServeLimits user_port_limits(const LimitArgs& a) {
  ServeLimits limits;
  limits.admission.max_connections = a.max_connections;
  limits.admission.max_connections_per_address = a.max_connections_per_address;
  limits.admission.retry_above_per_second = a.retry_above_per_second;
  limits.max_streams_per_connection = a.max_streams_per_connection;
  return limits;
}

services::StreamLimits stream_limits(const LimitArgs& a) {
  services::StreamLimits limits;
  limits.max_streams_per_connection = a.max_streams_per_connection;
  limits.max_sessions = a.max_sessions;
  limits.blocked_lifetime = a.blocked_stream_timeout;
  limits.drain_batch_bytes = a.drain_batch_bytes;
  limits.max_buffered_bytes = a.max_buffered_bytes;
  limits.replace_batch = a.replace_batch;
  return limits;
}

}  // namespace connswap::app
