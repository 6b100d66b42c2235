#include "migration/state_machine.h"

#include <array>

#include "base/log.h"

namespace connswap::migration {
namespace {

using S = MigrationState;
using E = MigrationEvent;

struct Row {
  S from;
  E event;
  S to;
  bool failover = false;  // a failure counted against migration_limit (past it: kFailed)
};

// The whole table; every pair not listed is refused. Terminal states accept nothing.
constexpr auto kTable = std::to_array<Row>({
    {S::kSelecting, E::kWorkerSelected, S::kStarting},
    {S::kSelecting, E::kDone, S::kCompleted},  // a request already past its end
    {S::kSelecting, E::kCancelled, S::kAborted},
    {S::kSelecting, E::kTimeout, S::kFailed},  // no worker within select_timeout

    {S::kStarting, E::kFirstToken, S::kStreaming},
    {S::kStarting, E::kWorkerFailed, S::kSelecting, true},
    {S::kStarting, E::kTimeout, S::kSelecting, true},   // no first token in time
    {S::kStarting, E::kHandoverStarted, S::kHandover},  // drain/move before the first token
    {S::kStarting, E::kDone, S::kCompleted},
    {S::kStarting, E::kCancelled, S::kAborted},

    {S::kStreaming, E::kWorkerFailed, S::kSelecting, true},
    {S::kStreaming, E::kHandoverStarted, S::kHandover},
    {S::kStreaming, E::kDone, S::kCompleted},
    {S::kStreaming, E::kCancelled, S::kAborted},

    // Handover: whichever attempt delivers next_seq first wins (kFirstToken = the standby).
    // The old attempt failing promotes the standby, which has not delivered yet.
    {S::kHandover, E::kFirstToken, S::kStreaming},
    {S::kHandover, E::kStandbyFailed, S::kStreaming},
    {S::kHandover, E::kTimeout, S::kStreaming},  // standby too slow: the caller cancels it
    {S::kHandover, E::kWorkerFailed, S::kStarting},
    {S::kHandover, E::kDone, S::kCompleted},
    {S::kHandover, E::kCancelled, S::kAborted},
});

const Row* find_row(S from, E event) {
  for (const Row& row : kTable) {
    if (row.from == from && row.event == event) {
      return &row;
    }
  }
  return nullptr;
}

spdlog::logger& logger() {
  return log::get("migration");
}

}  // namespace

std::string_view to_string(MigrationState state) {
  constexpr std::array<std::string_view, kStateCount> kNames = {
      "selecting", "starting", "streaming", "handover", "completed", "failed", "aborted"};
  const auto i = static_cast<std::size_t>(state);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::string_view to_string(MigrationEvent event) {
  constexpr std::array<std::string_view, kEventCount> kNames = {"worker_selected",
                                                                "first_token",
                                                                "worker_failed",
                                                                "handover_started",
                                                                "standby_failed",
                                                                "done",
                                                                "cancelled",
                                                                "timeout"};
  const auto i = static_cast<std::size_t>(event);
  return i < kNames.size() ? kNames[i] : "unknown";
}

bool is_terminal(MigrationState state) {
  return state == S::kCompleted || state == S::kFailed || state == S::kAborted;
}

std::optional<MigrationState> next_state(MigrationState from, MigrationEvent event) {
  const Row* row = find_row(from, event);
  return row == nullptr ? std::nullopt : std::optional(row->to);
}

bool counts_failover(MigrationState from, MigrationEvent event) {
  const Row* row = find_row(from, event);
  return row != nullptr && row->failover;
}

MigrationStateMachine::MigrationStateMachine(const MigrationConfig& config,
                                             std::string label,
                                             Timestamp now)
    : config_(config), label_(std::move(label)), entered_at_(now) {}

MResult<MigrationState> MigrationStateMachine::on_event(MigrationEvent event,
                                                        std::string_view reason,
                                                        Timestamp now) {
  auto t = apply(event, reason, now);
  if (!t) {
    return Unexpected(std::move(t).error());
  }
  return state_;
}

std::optional<Transition> MigrationStateMachine::on_timeout(Timestamp now) {
  const Timestamp due = deadline();
  if (due == kNever || now < due) {
    return std::nullopt;
  }
  const Duration limit = timeout_of(state_);
  const std::string reason =
      std::string(to_string(state_)) + " timeout (" + std::to_string(limit / kMillisecond) + " ms)";
  auto t = apply(E::kTimeout, reason, now);
  if (!t) {
    return std::nullopt;  // not reached: deadline() is kNever without a kTimeout row
  }
  return std::move(*t);
}

MResult<Transition> MigrationStateMachine::apply(MigrationEvent event,
                                                 std::string_view reason,
                                                 Timestamp now) {
  const Row* row = find_row(state_, event);
  if (row == nullptr) {
    std::string detail = "stream " + label_ + ": " + std::string(to_string(event)) +
                         " is not allowed in state " + std::string(to_string(state_));
    logger().warn("stream={} state={} event={} reason={}: illegal transition refused",
                  label_,
                  to_string(state_),
                  to_string(event),
                  reason);
    return make_migration_error(MigrationErrc::kIllegalTransition, std::move(detail));
  }
  Transition t{state_, event, row->to, std::string(reason), now};
  if (row->failover) {
    if (failovers_ >= config_.migration_limit) {
      t.to = S::kFailed;
      t.reason += "; migration limit " + std::to_string(config_.migration_limit) + " reached";
    } else {
      ++failovers_;
    }
  }
  // Per-stream detail is debug (STYLE 2.7); a stream given up on is worth an info line.
  logger().log(t.to == S::kFailed ? spdlog::level::info : spdlog::level::debug,
               "stream={} from={} to={} event={} reason={}: migration state",
               label_,
               to_string(t.from),
               to_string(t.to),
               to_string(event),
               t.reason);
  state_ = t.to;
  entered_at_ = now;
  ++transitions_;
  history_.push_back(t);
  if (history_.size() > config_.history_limit) {  // drop the oldest
    history_.erase(history_.begin(),
                   history_.end() - static_cast<std::ptrdiff_t>(config_.history_limit));
  }
  return t;
}

Timestamp MigrationStateMachine::deadline() const {
  const Duration limit = timeout_of(state_);
  if (limit == 0 || !next_state(state_, E::kTimeout)) {
    return kNever;
  }
  return entered_at_ > kNever - limit ? kNever : entered_at_ + limit;
}

Duration MigrationStateMachine::timeout_of(MigrationState state) const {
  switch (state) {
    case S::kSelecting:
      return config_.select_timeout;
    case S::kStarting:
      return config_.start_timeout;
    case S::kHandover:
      return config_.handover_timeout;
    default:
      return 0;
  }
}

}  // namespace connswap::migration
