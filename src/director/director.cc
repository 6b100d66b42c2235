#include "director/director.h"

#include <utility>

namespace connswap::director {

std::string_view to_string(AttemptEnd end) {
  switch (end) {
    case AttemptEnd::kWorkerRefused:
      return "worker_refused";
    case AttemptEnd::kWorkerAborted:
      return "worker_aborted";
    case AttemptEnd::kConnectionLost:
      return "connection_lost";
    case AttemptEnd::kUnreachable:
      return "unreachable";
    case AttemptEnd::kDeadline:
      return "deadline";
    case AttemptEnd::kRequestRejected:
      return "request_rejected";
    case AttemptEnd::kLocalFailure:
      return "local_failure";
  }
  return "unknown";
}

Director::Director(const DirectorConfig& config)
    : config_(config), pool_(config_), router_(config_, pool_) {}

void Director::apply(std::string_view label, WorkerChange change, Timestamp now) {
  switch (change) {
    case WorkerChange::kBecameSelectable:
      router_.on_worker_available(label, now);
      break;
    case WorkerChange::kDraining:
      router_.on_worker_draining(label, now);
      break;
    case WorkerChange::kLost:
      router_.on_worker_lost(label, FailureReason::kHeartbeatLost, now);
      break;
    case WorkerChange::kNone:
      break;
  }
}

void Director::on_register(const WorkerRegistration& reg, Timestamp now) {
  apply(reg.label, pool_.on_register(reg, now), now);
}

Result<void> Director::on_heartbeat(const WorkerHeartbeat& hb, Timestamp now) {
  auto change = pool_.on_heartbeat(hb, now);
  if (!change) {
    return Unexpected(std::move(change).error());
  }
  apply(hb.label, *change, now);
  return {};
}

Result<std::size_t> Director::on_drain(std::string_view label, Timestamp now) {
  if (pool_.find(label) == nullptr) {
    return make_error(Errc::kNotFound, "unknown worker '" + std::string(label) + "'");
  }
  return router_.on_worker_draining(label, now);
}

void Director::on_attempt_token(
    AttemptId attempt, std::uint64_t seq, std::string text, Timestamp now, std::uint64_t emit_ns) {
  router_.on_worker_token(attempt, seq, std::move(text), now, emit_ns);
}

void Director::on_attempt_error(AttemptId attempt, std::string_view message, Timestamp now) {
  router_.on_worker_error(attempt, FailureReason::kWorkerError, message, now);
}

void Director::on_attempt_done(AttemptId attempt, const AttemptDone& done, Timestamp now) {
  router_.on_worker_done(attempt, done, now);
}

void Director::on_attempt_ended(AttemptId attempt,
                                AttemptEnd end,
                                std::string_view detail,
                                Timestamp now) {
  switch (end) {
    case AttemptEnd::kWorkerRefused:
      router_.on_worker_error(attempt, FailureReason::kWorkerError, detail, now);
      return;
    case AttemptEnd::kWorkerAborted:
      router_.on_worker_error(attempt, FailureReason::kStreamReset, detail, now);
      return;
    case AttemptEnd::kDeadline:
      router_.on_worker_error(attempt, FailureReason::kStall, detail, now);
      return;
    case AttemptEnd::kRequestRejected:
      router_.on_attempt_unusable(attempt, StatusCode::kInvalidArgument, detail, now);
      return;
    case AttemptEnd::kLocalFailure:
      router_.on_attempt_unusable(attempt, StatusCode::kInternal, detail, now);
      return;
    case AttemptEnd::kConnectionLost:
    case AttemptEnd::kUnreachable:
      break;
  }
  // The worker's connection is gone: every attempt on it fails now, not one stall deadline
  // at a time, and the worker is lost until it heartbeats again.
  const FailureReason reason = end == AttemptEnd::kUnreachable ? FailureReason::kConnectionRefused
                                                               : FailureReason::kConnectionLost;
  const std::string* worker = router_.worker_of(attempt);
  const std::string label = worker != nullptr ? *worker : std::string();
  router_.on_worker_error(attempt, reason, detail, now);
  if (!label.empty()) {
    router_.on_worker_lost(label, reason, now);
  }
}

Result<StreamKey> Director::open_stream(StreamSpec spec, Timestamp now) {
  return router_.open_stream(std::move(spec), now);
}

Result<bool> Director::move_stream(StreamKey stream, std::string_view to_worker, Timestamp now) {
  return router_.move_stream(stream, to_worker, now);
}

void Director::on_client_cancel(StreamKey stream, Timestamp now) {
  router_.on_client_cancel(stream, now);
}

void Director::on_client_blocked(StreamKey stream, bool blocked, Timestamp now) {
  router_.on_client_blocked(stream, blocked, now);
}

}  // namespace connswap::director
