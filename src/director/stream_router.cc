#include "director/stream_router.h"

#include <utility>

#include "base/check.h"

namespace connswap::director {

std::string_view to_string(FailureReason reason) {
  switch (reason) {
    case FailureReason::kWorkerError:
      return "error";
    case FailureReason::kStreamReset:
      return "reset";
    case FailureReason::kConnectionLost:
      return "connection_lost";
    case FailureReason::kConnectionRefused:
      return "refused";
    case FailureReason::kStall:
      return "stall";
    case FailureReason::kGap:
      return "gap";
    case FailureReason::kHeartbeatLost:
      return "heartbeat_lost";
    case FailureReason::kDrain:
      return "drain";
  }
  return "unknown";
}

std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

StreamRouter::StreamRouter(const DirectorConfig& config, WorkerPool& pool)
    : config_(config), pool_(pool) {}

Result<StreamKey> StreamRouter::open_stream(std::string connection_id,
                                            std::uint64_t stream_id,
                                            GenerateRequest request,
                                            Timestamp now) {
  if (request.start_seq == 0) {
    return make_error(Errc::kInvalidArgument, "start_seq must be >= 1");
  }
  const StreamKey key = next_stream_++;
  Stream& s = streams_[key];
  s.ref = StreamRef{key, std::move(connection_id), stream_id};
  s.request = std::move(request);
  s.next_seq = s.request.start_seq;
  s.last_token_at = now;
  ++stats_.streams_opened;
  if (past_end(s.request, s.next_seq)) {
    finish(s, StatusCode::kOk, "nothing to generate");
  } else if (!try_assign(s, {}, now)) {
    wait_for_worker(s, now);
  }
  if (s.phase != StreamPhase::kFinished) {
    rearm(s);
  }
  reap();
  return key;
}

StreamRouter::Stream* StreamRouter::find_by_attempt(AttemptId attempt) {
  auto it = attempts_.find(attempt);
  if (it == attempts_.end()) {
    ++stats_.stale_dropped;
    return nullptr;
  }
  return &streams_.at(it->second);
}

void StreamRouter::on_worker_token(
    AttemptId attempt, std::uint64_t seq, std::string text, Timestamp now, std::uint64_t emit_ns) {
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  const bool from_standby = s->standby.id == attempt;
  if (seq > s->next_seq) {
    ++stats_.gaps;
    fail_attempt(*s,
                 attempt,
                 FailureReason::kGap,
                 "expected seq " + std::to_string(s->next_seq) + ", got " + std::to_string(seq),
                 now);
  } else if (seq < s->next_seq) {
    // Already forwarded (a duplicate, or drain overlap). A standby proves itself alive with
    // any in-order token, even an old one: take over so the two attempts stop racing.
    ++stats_.duplicates_dropped;
    if (from_standby) {
      switchover(*s, now);
    }
  } else {
    if (from_standby) {
      switchover(*s, now);
    }
    forward(*s, seq, std::move(text), now, emit_ns);
  }
  if (s->phase != StreamPhase::kFinished) {
    rearm(*s);
  }
  reap();
}

// Forwards the token at next_seq from the primary attempt and updates progress tracking.
void StreamRouter::forward(
    Stream& s, std::uint64_t seq, std::string text, Timestamp now, std::uint64_t emit_ns) {
  Attempt& a = s.primary;
  CONNSWAP_ASSERT(seq == s.next_seq && a.id != 0);
  if (s.rate_attempt == a.id) {
    // EWMA with gain 1/8 (as TCP's SRTT), only between tokens of one attempt.
    const Duration gap = now - s.last_token_at;
    s.ewma_gap = s.ewma_gap == 0 ? gap : (7 * s.ewma_gap + gap) / 8;
  }
  if (s.gap_pending) {
    s.gap_pending = false;
    events_.push_back(FailoverGap{s.ref, s.failed_worker, a.worker, now - s.last_token_at});
    s.failed_worker.clear();
  }
  s.window.push(text, config_.delivered_window);
  actions_.push_back(ForwardToken{s.ref.stream, seq, std::move(text), a.worker, emit_ns});
  ++stats_.tokens_forwarded;
  ++s.forwarded;
  ++s.next_seq;
  s.last_token_at = now;
  s.rate_attempt = a.id;
  if (!a.delivered) {
    a.delivered = true;
    if (s.phase == StreamPhase::kStarting) {
      advance(s, StreamInput::kFirstToken);
    }
  }
  if (past_end(s.request, s.next_seq)) {
    finish(s, StatusCode::kOk, "done");
  }
}

// Make-before-break completes: the standby delivered, so it becomes the primary and the
// draining worker's attempt is cancelled.
void StreamRouter::switchover(Stream& s, Timestamp /*now*/) {
  const std::string from = s.primary.worker;
  release(s, s.primary, /*cancel=*/true);
  s.primary = std::move(s.standby);
  s.standby = Attempt{};
  s.primary.delivered = true;
  ++s.migrations;
  ++stats_.drains;
  const std::string reason(to_string(FailureReason::kDrain));
  actions_.push_back(SendMigrated{s.ref.stream, from, s.primary.worker, reason, s.next_seq});
  events_.push_back(
      MigratingStream{s.ref, from, s.primary.worker, FailureReason::kDrain, s.next_seq});
  s.failed_worker = from;
  s.gap_pending = true;
  advance(s, StreamInput::kFirstToken);
}

void StreamRouter::on_worker_done(AttemptId attempt, Timestamp /*now*/) {
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  // The worker ended the stream (max_tokens reached, or a real model's end of sequence).
  Attempt& a = s->primary.id == attempt ? s->primary : s->standby;
  release(*s, a, /*cancel=*/false);
  finish(*s, StatusCode::kOk, "done");
  reap();
}

void StreamRouter::on_worker_error(AttemptId attempt,
                                   FailureReason reason,
                                   std::string_view detail,
                                   Timestamp now) {
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  fail_attempt(*s, attempt, reason, std::string(detail), now);
  if (s->phase != StreamPhase::kFinished) {
    rearm(*s);
  }
  reap();
}

void StreamRouter::on_client_cancel(StreamKey stream, Timestamp /*now*/) {
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.phase == StreamPhase::kFinished) {
    return;
  }
  finish(it->second, StatusCode::kCancelled, "cancelled by client");
  reap();
}

void StreamRouter::on_client_blocked(StreamKey stream, bool blocked, Timestamp now) {
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.client_blocked == blocked) {
    return;
  }
  Stream& s = it->second;
  s.client_blocked = blocked;
  if (!blocked) {
    // The attempts were held back by us, not slow: measure progress afresh from now, and
    // keep the blocked interval out of the token-rate estimate.
    s.last_token_at = now;
    s.rate_attempt = 0;
    for (Attempt* a : {&s.primary, &s.standby}) {
      if (a->id != 0 && !a->delivered) {
        a->started = now;
      }
    }
    rearm(s);
  }
}

void StreamRouter::advance(Stream& s, StreamInput input) {
  auto next = next_phase(s.phase, input);
  CONNSWAP_CHECK(next.has_value(), "invalid stream phase transition");
  s.phase = *next;
}

// Ends the stream: cancels live attempts, emits FinishStream; the entry is erased by reap()
// at the end of the public call, so callers may still look at `s` until then.
void StreamRouter::finish(Stream& s, StatusCode code, std::string message) {
  release(s, s.primary, /*cancel=*/true);
  release(s, s.standby, /*cancel=*/true);
  waiting_.erase(s.ref.stream);
  advance(s, StreamInput::kFinished);
  switch (code) {
    case StatusCode::kOk:
      ++stats_.streams_ok;
      break;
    case StatusCode::kCancelled:
      ++stats_.streams_cancelled;
      break;
    default:
      ++stats_.streams_unavailable;
      break;
  }
  actions_.push_back(FinishStream{s.ref.stream, code, std::move(message), s.forwarded});
  finished_.push_back(s.ref.stream);
}

void StreamRouter::reap() {
  for (StreamKey key : finished_) {
    streams_.erase(key);
  }
  finished_.clear();
}

std::optional<Action> StreamRouter::poll_action() {
  if (actions_.empty()) {
    return std::nullopt;
  }
  Action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

std::optional<Event> StreamRouter::poll_event() {
  if (events_.empty()) {
    return std::nullopt;
  }
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::optional<StreamStatus> StreamRouter::status(StreamKey stream) const {
  auto it = streams_.find(stream);
  if (it == streams_.end()) {
    return std::nullopt;
  }
  const Stream& s = it->second;
  return StreamStatus{s.phase, s.next_seq, s.primary.worker, s.standby.worker, s.migrations};
}

}  // namespace connswap::director
