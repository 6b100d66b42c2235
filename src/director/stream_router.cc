#include "director/stream_router.h"

#include <algorithm>
#include <iterator>
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
    case FailureReason::kMoved:
      return "move";
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
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

migration::MigrationConfig machine_config(const DirectorConfig& config) {
  migration::MigrationConfig m;
  m.select_timeout = config.worker_wait;
  m.start_timeout = 0;  // the router's adaptive first-token deadline (stall) instead
  m.handover_timeout = config.handover_timeout;
  m.migration_limit = config.migration_limit;
  return m;
}

namespace {

std::string machine_label(const StreamRef& ref) {
  return ref.connection_id + "/" + std::to_string(ref.stream_id);
}

}  // namespace

detail::RouterStream::RouterStream(StreamRef r,
                                   GenerateRequest req,
                                   const migration::MigrationConfig& mc,
                                   Timestamp now)
    : ref(std::move(r)), request(std::move(req)), machine(mc, machine_label(ref), now) {}

StreamRouter::StreamRouter(const DirectorConfig& config, WorkerPool& pool)
    : config_(config),
      machine_config_(machine_config(config)),
      pool_(pool),
      standby_window_(config.handover_window) {}

Result<StreamKey> StreamRouter::open_stream(std::string connection_id,
                                            std::uint64_t stream_id,
                                            GenerateRequest request,
                                            Timestamp now) {
  return open_stream(StreamSpec{std::move(connection_id), stream_id, std::move(request), {}}, now);
}

Result<StreamKey> StreamRouter::open_stream(StreamSpec spec, Timestamp now) {
  if (spec.request.start_seq == 0) {
    return make_error(Errc::kInvalidArgument, "start_seq must be >= 1");
  }
  const Settle settle(*this);
  const StreamKey key = next_stream_++;
  Stream& s = streams_
                  .try_emplace(key,
                               StreamRef{key, std::move(spec.connection_id), spec.stream_id},
                               std::move(spec.request),
                               machine_config_,
                               now)
                  .first->second;
  touch(s);
  s.machine.carry_failovers(spec.prior_failovers);
  s.next_seq = s.request.start_seq;
  s.last_token_at = now;
  init_prefix(s, spec.window);
  ++stats_.streams_opened;
  if (past_end(s.request, s.next_seq)) {
    // Nothing left (start_seq past max_tokens; a resumed stream already complete): Assigned
    // first, as on every stream, with no worker, then Done "done" (PROTOCOL.md §7.1).
    actions_.push_back(SendAssigned{key, ""});
    finish(s, StatusCode::kOk, "done", now);
  } else if (!try_assign(s, {}, now)) {
    wait_for_worker(s, now);
  }
  return key;
}

StreamRouter::Stream* StreamRouter::find_by_attempt(AttemptId attempt) {
  auto it = attempts_.find(attempt);
  if (it == attempts_.end()) {
    ++stats_.stale_dropped;
    return nullptr;
  }
  Stream& s = streams_.at(it->second);
  touch(s);
  return &s;
}

StreamRouter::Stream* StreamRouter::find_stream(StreamKey key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    return nullptr;
  }
  touch(it->second);
  return &it->second;
}

void StreamRouter::touch(Stream& s) {
  if (!s.touched) {
    s.touched = true;
    touched_.push_back(s.ref.stream);
  }
}

// After every input: each stream it touched re-arms its deadline unless finished, and
// finished streams are forgotten. Runs from Settle's destructor, so no entry point can
// skip it.
void StreamRouter::settle() {
  for (StreamKey key : touched_) {
    auto it = streams_.find(key);
    if (it == streams_.end()) {
      continue;
    }
    it->second.touched = false;
    if (!finished(it->second)) {
      rearm(it->second);
    }
  }
  touched_.clear();
  reap();
}

void StreamRouter::on_worker_token(
    AttemptId attempt, std::uint64_t seq, std::string text, Timestamp now, std::uint64_t emit_ns) {
  const Settle settle(*this);
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  const bool from_standby = s->standby.id == attempt;
  if (seq <= s->next_seq) {
    (from_standby ? s->standby : s->primary).heard = now;
  }
  if (seq > s->next_seq) {
    ++stats_.gaps;
    fail_attempt(*s,
                 attempt,
                 FailureReason::kGap,
                 "expected seq " + std::to_string(s->next_seq) + ", got " + std::to_string(seq),
                 now);
  } else if (seq < s->next_seq) {
    // Already forwarded (a duplicate, or drain overlap). A standby's duplicate means it
    // lost the race for next_seq and runs behind the primary: restart or take over behind
    // (stream_router_handover.cc).
    ++stats_.duplicates_dropped;
    if (from_standby) {
      on_standby_behind(*s, seq, now);
    }
  } else {
    if (from_standby) {
      on_standby_race(*s, /*took_over=*/true, now);
      switchover(*s, now);
    }
    forward(*s, seq, std::move(text), now, emit_ns);
  }
}

// The stream's prefix at open: the whole of `given` when it is every token before
// start_seq and the stream is bounded (max_tokens != 0), within the prefix bounds; else
// the newest delivered_window tokens.
void StreamRouter::init_prefix(Stream& s, const std::vector<std::string>& given) {
  const bool whole = given.size() == s.next_seq - kFirstSeq;
  const bool keep_all = whole && s.request.max_tokens != 0;
  s.window = keep_all ? TokenWindow(std::min(s.request.max_tokens, config_.prefix_max_tokens),
                                    config_.prefix_max_bytes,
                                    config_.delivered_window)
                      : TokenWindow(config_.delivered_window, config_.prefix_max_bytes);
  s.prefix_whole = true;
  const std::size_t skip =
      keep_all ? 0 : given.size() - std::min<std::size_t>(given.size(), config_.delivered_window);
  if (!whole || skip != 0) {
    truncated(s);
  }
  for (auto it = given.begin() + static_cast<std::ptrdiff_t>(skip); it != given.end(); ++it) {
    keep_token(s, *it);
  }
}

// Adds a delivered token to the stream's prefix. While the prefix is whole, a token the
// bounds make it drop ends that: the stream falls back to the newest delivered_window.
void StreamRouter::keep_token(Stream& s, std::string_view text) {
  const std::size_t before = s.window.capacity_bytes();
  if (s.window.push(text) != 0 && s.prefix_whole) {
    truncated(s);
    s.window.set_limits(config_.delivered_window, config_.prefix_max_bytes);
  }
  stats_.prefix_bytes += s.window.capacity_bytes();
  stats_.prefix_bytes -= before;
}

void StreamRouter::truncated(Stream& s) {
  if (s.prefix_whole) {
    s.prefix_whole = false;
    ++stats_.prefixes_truncated;
  }
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
  keep_token(s, text);
  actions_.push_back(ForwardToken{s.ref.stream, seq, std::move(text), a.worker, emit_ns});
  ++stats_.tokens_forwarded;
  ++s.forwarded;
  ++s.next_seq;
  s.last_token_at = now;
  s.rate_attempt = a.id;
  if (!a.delivered) {
    a.delivered = true;
    if (s.machine.state() == migration::MigrationState::kStarting) {
      transition(s, migration::MigrationEvent::kFirstToken, "first token from " + a.worker, now);
    }
  }
  if (past_end(s.request, s.next_seq)) {
    finish(s, StatusCode::kOk, "done", now);
  } else if (s.handover_after == a.id) {
    start_pending_handover(s, now);  // a whole interval for the standby's first token
  }
}

// Make-before-break completes: the standby delivered next_seq first (or, out of retries,
// came up behind), so it becomes the primary and the old worker's attempt (draining, or
// moved away from) is cancelled.
void StreamRouter::switchover(Stream& s, Timestamp now) {
  const std::string from = s.primary.worker;
  const FailureReason why = s.handover_reason;
  release(s, s.primary, /*cancel=*/true);
  s.primary = std::move(s.standby);
  s.standby = Attempt{};
  s.primary.delivered = true;
  s.handover_losses = 0;
  s.handover_to.clear();
  ++s.migrations;
  ++(why == FailureReason::kMoved ? stats_.moves : stats_.drains);
  const std::string reason(to_string(why));
  actions_.push_back(SendMigrated{s.ref.stream, from, s.primary.worker, reason, s.next_seq});
  events_.push_back(MigratingStream{s.ref, from, s.primary.worker, why, s.next_seq});
  s.failed_worker = from;
  s.gap_pending = true;
  transition(s,
             migration::MigrationEvent::kFirstToken,
             reason + ": standby on " + s.primary.worker + " took over from " + from,
             now);
}

void StreamRouter::on_worker_done(AttemptId attempt, const AttemptDone& done, Timestamp now) {
  const Settle settle(*this);
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  // The worker ended the stream (max_tokens reached, or a real model's end of sequence).
  Attempt& a = s->primary.id == attempt ? s->primary : s->standby;
  release(*s, a, /*cancel=*/false);
  s->prompt_tokens = done.prompt_tokens;
  // "done" is max_tokens reached (the Done item's documented spelling); "stop" and other
  // reasons of a real model pass through.
  const bool length = done.finish_reason.empty() || done.finish_reason == "length";
  finish(*s, StatusCode::kOk, length ? "done" : done.finish_reason, now);
}

void StreamRouter::on_worker_error(AttemptId attempt,
                                   FailureReason reason,
                                   std::string_view detail,
                                   Timestamp now) {
  const Settle settle(*this);
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  fail_attempt(*s, attempt, reason, std::string(detail), now);
}

void StreamRouter::on_attempt_unusable(AttemptId attempt,
                                       StatusCode code,
                                       std::string_view detail,
                                       Timestamp now) {
  const Settle settle(*this);
  Stream* s = find_by_attempt(attempt);
  if (s == nullptr) {
    return;
  }
  // The request itself cannot be sent from here: every worker would get the same, and
  // none is to blame. No failure hold, no migration: the stream ends with `code`.
  finish(*s, code, "request cannot be forwarded: " + std::string(detail), now);
}

void StreamRouter::on_client_cancel(StreamKey stream, Timestamp now) {
  const Settle settle(*this);
  Stream* s = find_stream(stream);
  if (s == nullptr || finished(*s)) {
    return;
  }
  finish(*s, StatusCode::kCancelled, "cancelled by client", now);
}

void StreamRouter::on_client_blocked(StreamKey stream, bool blocked, Timestamp now) {
  const Settle settle(*this);
  Stream* found = find_stream(stream);
  if (found == nullptr || found->client_blocked == blocked) {
    return;
  }
  Stream& s = *found;
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
  }
}

bool StreamRouter::transition(Stream& s,
                              migration::MigrationEvent event,
                              std::string_view reason,
                              Timestamp now) {
  auto next = s.machine.on_event(event, reason, now);
  if (!next) {
    ++stats_.illegal_transitions;  // the machine logged it; the state is unchanged
    return false;
  }
  events_.push_back(StateChanged{s.ref, *next, s.primary.worker});
  return true;
}

// Ends the stream: cancels live attempts, emits FinishStream; the entry is erased by reap()
// at the end of the public call, so callers may still look at `s` until then. The machine
// is already terminal when the stream failed (limit, no worker); else done or cancelled.
void StreamRouter::finish(Stream& s, StatusCode code, std::string message, Timestamp now) {
  release(s, s.primary, /*cancel=*/true);
  release(s, s.standby, /*cancel=*/true);
  waiting_.erase(s.ref.stream);
  if (!finished(s)) {
    transition(s,
               code == StatusCode::kOk ? migration::MigrationEvent::kDone
                                       : migration::MigrationEvent::kCancelled,
               message,
               now);
  }
  FinishStream f;
  f.stream = s.ref.stream;
  f.code = code;
  f.message = std::move(message);
  f.tokens = s.forwarded;
  f.prompt_tokens = s.prompt_tokens;
  switch (code) {
    case StatusCode::kOk:
      ++stats_.streams_ok;
      break;
    case StatusCode::kCancelled:
      ++stats_.streams_cancelled;
      break;
    case StatusCode::kUnavailable:
      ++stats_.streams_unavailable;
      f.next_seq = s.next_seq;
      f.window = s.window.tail_tokens();
      f.migrations = s.migrations;
      f.failovers = s.machine.failovers();
      break;
    case StatusCode::kInvalidArgument:
    case StatusCode::kInternal:
      ++stats_.streams_refused;
      break;
  }
  actions_.push_back(std::move(f));
  finished_.push_back(s.ref.stream);
}

void StreamRouter::reap() {
  for (StreamKey key : finished_) {
    auto it = streams_.find(key);
    if (it != streams_.end()) {
      stats_.prefix_bytes -= it->second.window.capacity_bytes();
      streams_.erase(it);
    }
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
  return StreamStatus{
      s.machine.state(), s.next_seq, s.primary.worker, s.standby.worker, s.migrations};
}

std::optional<ResumePoint> StreamRouter::resume_point(StreamKey stream) const {
  auto it = streams_.find(stream);
  if (it == streams_.end()) {
    return std::nullopt;
  }
  const Stream& s = it->second;
  return ResumePoint{s.next_seq, s.window.tail_tokens(), s.migrations, s.machine.failovers()};
}

const std::string* StreamRouter::worker_of(AttemptId attempt) const {
  auto it = attempts_.find(attempt);
  if (it == attempts_.end()) {
    return nullptr;
  }
  const Stream& s = streams_.at(it->second);
  return s.primary.id == attempt ? &s.primary.worker : &s.standby.worker;
}

const migration::MigrationStateMachine* StreamRouter::machine(StreamKey stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? nullptr : &it->second.machine;
}

}  // namespace connswap::director
