#include "migration/state_machine.h"

#include <array>
#include <map>
#include <sstream>
#include <utility>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "base/log.h"

namespace connswap::migration {
namespace {

using S = MigrationState;
using E = MigrationEvent;

constexpr auto kStates = std::to_array<S>({S::kSelecting,
                                           S::kResuming,
                                           S::kStreaming,
                                           S::kSuspected,
                                           S::kHandover,
                                           S::kCompleted,
                                           S::kFailed,
                                           S::kAborted});
constexpr auto kEvents = std::to_array<E>({E::kWorkerSelected,
                                           E::kResumed,
                                           E::kFailureSuspected,
                                           E::kRecovered,
                                           E::kWorkerFailed,
                                           E::kHandoverStarted,
                                           E::kStandbyFailed,
                                           E::kMoveRequested,
                                           E::kDone,
                                           E::kCancelled,
                                           E::kTimeout});
static_assert(kStates.size() == kStateCount && kEvents.size() == kEventCount);

// The specification, written independently of the implementation's table: every allowed
// (state, event) and where it leads. Every pair not listed must be refused.
const std::map<std::pair<S, E>, S>& allowed() {
  static const std::map<std::pair<S, E>, S> kAllowed = {
      {{S::kSelecting, E::kWorkerSelected}, S::kResuming},
      {{S::kSelecting, E::kDone}, S::kCompleted},
      {{S::kSelecting, E::kCancelled}, S::kAborted},
      {{S::kSelecting, E::kTimeout}, S::kFailed},
      {{S::kResuming, E::kResumed}, S::kStreaming},
      {{S::kResuming, E::kWorkerFailed}, S::kSelecting},
      {{S::kResuming, E::kTimeout}, S::kSelecting},
      {{S::kResuming, E::kHandoverStarted}, S::kHandover},
      {{S::kResuming, E::kMoveRequested}, S::kSelecting},
      {{S::kResuming, E::kDone}, S::kCompleted},
      {{S::kResuming, E::kCancelled}, S::kAborted},
      {{S::kStreaming, E::kFailureSuspected}, S::kSuspected},
      {{S::kStreaming, E::kWorkerFailed}, S::kSelecting},
      {{S::kStreaming, E::kHandoverStarted}, S::kHandover},
      {{S::kStreaming, E::kMoveRequested}, S::kSelecting},
      {{S::kStreaming, E::kDone}, S::kCompleted},
      {{S::kStreaming, E::kCancelled}, S::kAborted},
      {{S::kSuspected, E::kRecovered}, S::kStreaming},
      {{S::kSuspected, E::kWorkerFailed}, S::kSelecting},
      {{S::kSuspected, E::kTimeout}, S::kSelecting},
      {{S::kSuspected, E::kHandoverStarted}, S::kHandover},
      {{S::kSuspected, E::kMoveRequested}, S::kSelecting},
      {{S::kSuspected, E::kDone}, S::kCompleted},
      {{S::kSuspected, E::kCancelled}, S::kAborted},
      {{S::kHandover, E::kResumed}, S::kStreaming},
      {{S::kHandover, E::kStandbyFailed}, S::kStreaming},
      {{S::kHandover, E::kTimeout}, S::kStreaming},
      {{S::kHandover, E::kWorkerFailed}, S::kResuming},
      {{S::kHandover, E::kDone}, S::kCompleted},
      {{S::kHandover, E::kCancelled}, S::kAborted},
  };
  return kAllowed;
}

// Events that take a fresh machine to `target`.
std::vector<E> path_to(S target) {
  switch (target) {
    case S::kSelecting:
      return {};
    case S::kResuming:
      return {E::kWorkerSelected};
    case S::kStreaming:
      return {E::kWorkerSelected, E::kResumed};
    case S::kSuspected:
      return {E::kWorkerSelected, E::kResumed, E::kFailureSuspected};
    case S::kHandover:
      return {E::kWorkerSelected, E::kResumed, E::kHandoverStarted};
    case S::kCompleted:
      return {E::kWorkerSelected, E::kResumed, E::kDone};
    case S::kFailed:
      return {E::kTimeout};
    case S::kAborted:
      return {E::kCancelled};
  }
  return {};
}

MigrationStateMachine machine_in(S target, const MigrationConfig& config = {}) {
  MigrationStateMachine m(config, "conn-1/1", 0);
  for (E e : path_to(target)) {
    EXPECT_TRUE(m.on_event(e, "setup", 0));
  }
  EXPECT_EQ(m.state(), target);
  return m;
}

std::string name(S s, E e) {
  return std::string(to_string(s)) + " + " + std::string(to_string(e));
}

TEST(MigrationStateMachine, EveryStateTimesEveryEvent) {
  std::size_t legal = 0;
  for (S s : kStates) {
    for (E e : kEvents) {
      SCOPED_TRACE(name(s, e));
      auto it = allowed().find({s, e});
      const std::optional<S> want =
          it == allowed().end() ? std::nullopt : std::optional(it->second);
      EXPECT_EQ(next_state(s, e), want);

      MigrationStateMachine m = machine_in(s);
      const std::size_t history = m.history().size();
      auto r = m.on_event(e, "table", 1 * kSecond);
      if (want) {
        ++legal;
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(*r, *want);
        EXPECT_EQ(m.state(), *want);
        ASSERT_EQ(m.history().size(), history + 1);
        EXPECT_EQ(m.history().back().from, s);
        EXPECT_EQ(m.history().back().event, e);
        EXPECT_EQ(m.history().back().to, *want);
        EXPECT_EQ(m.entered_at(), 1 * kSecond);
      } else {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, MigrationErrc::kIllegalTransition);
        EXPECT_NE(r.error().detail.find(std::string(to_string(e))), std::string::npos);
        EXPECT_EQ(m.state(), s);
        EXPECT_EQ(m.history().size(), history);
      }
    }
  }
  EXPECT_EQ(legal, allowed().size());
}

TEST(MigrationStateMachine, TerminalStatesAcceptNothing) {
  for (S s : kStates) {
    if (!is_terminal(s)) {
      continue;
    }
    for (E e : kEvents) {
      EXPECT_FALSE(next_state(s, e)) << name(s, e);
    }
  }
}

TEST(MigrationStateMachine, FailuresCountAgainstTheLimit) {
  // Exactly the hard failures and failure timeouts are counted.
  for (S s : kStates) {
    for (E e : kEvents) {
      const bool want = (e == E::kWorkerFailed &&
                         (s == S::kResuming || s == S::kStreaming || s == S::kSuspected)) ||
                        (e == E::kTimeout && (s == S::kResuming || s == S::kSuspected));
      EXPECT_EQ(counts_failover(s, e), want) << name(s, e);
    }
  }
}

TEST(MigrationStateMachine, MigrationLimitEndsInFailed) {
  MigrationConfig config;
  config.migration_limit = 2;
  MigrationStateMachine m(config, "conn-1/1", 0);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(m.on_event(E::kWorkerSelected, "pick", 0));
    ASSERT_TRUE(m.on_event(E::kResumed, "", 0));
    auto r = m.on_event(E::kWorkerFailed, "error", 0);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, S::kSelecting);
  }
  EXPECT_EQ(m.failovers(), 2U);
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "pick", 0));
  auto r = m.on_event(E::kWorkerFailed, "stall", 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, S::kFailed);
  EXPECT_TRUE(m.terminal());
  EXPECT_EQ(m.history().back().reason, "stall; migration limit 2 reached");
  EXPECT_EQ(m.failovers(), 2U);
}

TEST(MigrationStateMachine, PlannedMovesDoNotCountAgainstTheLimit) {
  MigrationConfig config;
  config.migration_limit = 0;
  MigrationStateMachine m(config, "conn-1/1", 0);
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "", 0));
  ASSERT_TRUE(m.on_event(E::kResumed, "", 0));
  ASSERT_TRUE(m.on_event(E::kHandoverStarted, "drain", 0));
  ASSERT_TRUE(m.on_event(E::kWorkerFailed, "old attempt died", 0));  // standby promoted
  EXPECT_EQ(m.state(), S::kResuming);
  ASSERT_TRUE(m.on_event(E::kResumed, "", 0));
  ASSERT_TRUE(m.on_event(E::kMoveRequested, "admin", 0));
  EXPECT_EQ(m.state(), S::kSelecting);
  EXPECT_EQ(m.failovers(), 0U);
  // With a limit of 0 the first counted failure ends the stream.
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "", 0));
  EXPECT_EQ(*m.on_event(E::kWorkerFailed, "error", 0), S::kFailed);
}

TEST(MigrationStateMachine, CountsCompletedMigrations) {
  MigrationStateMachine m({}, "conn-1/1", 0);
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "", 0));
  ASSERT_TRUE(m.on_event(E::kResumed, "", 0));
  EXPECT_EQ(m.migrations(), 0U);  // the first worker is not a migration
  ASSERT_TRUE(m.on_event(E::kWorkerFailed, "error", 0));
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "", 0));
  EXPECT_EQ(m.migrations(), 0U);  // not until the new attempt delivers
  ASSERT_TRUE(m.on_event(E::kResumed, "", 0));
  EXPECT_EQ(m.migrations(), 1U);
  ASSERT_TRUE(m.on_event(E::kHandoverStarted, "drain", 0));
  ASSERT_TRUE(m.on_event(E::kStandbyFailed, "refused", 0));
  EXPECT_EQ(m.migrations(), 1U);  // stayed on the old worker
  ASSERT_TRUE(m.on_event(E::kHandoverStarted, "drain", 0));
  ASSERT_TRUE(m.on_event(E::kResumed, "standby won", 0));
  EXPECT_EQ(m.migrations(), 2U);
}

struct TimeoutCase {
  S state;
  Duration timeout;  // the configured value for that state
  S after;
};

TEST(MigrationStateMachine, PerStateTimeouts) {
  MigrationConfig config;
  config.select_timeout = 5 * kSecond;
  config.resume_timeout = 3 * kSecond;
  config.suspect_timeout = 2 * kSecond;
  config.handover_timeout = 7 * kSecond;
  const auto cases = std::to_array<TimeoutCase>({
      {S::kSelecting, 5 * kSecond, S::kFailed},
      {S::kResuming, 3 * kSecond, S::kSelecting},
      {S::kSuspected, 2 * kSecond, S::kSelecting},
      {S::kHandover, 7 * kSecond, S::kStreaming},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(to_string(c.state));
    MigrationStateMachine m = machine_in(c.state, config);
    // machine_in entered the state at 0.
    EXPECT_EQ(m.deadline(), c.timeout);
    EXPECT_FALSE(m.on_timeout(c.timeout - 1));
    EXPECT_EQ(m.state(), c.state);
    auto t = m.on_timeout(c.timeout);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->from, c.state);
    EXPECT_EQ(t->event, E::kTimeout);
    EXPECT_EQ(t->to, c.after);
    EXPECT_EQ(t->at, c.timeout);
    EXPECT_NE(t->reason.find("timeout"), std::string::npos);
    EXPECT_EQ(m.state(), c.after);
  }
}

TEST(MigrationStateMachine, NoDeadlineWhileStreamingOrFinished) {
  for (S s : {S::kStreaming, S::kCompleted, S::kFailed, S::kAborted}) {
    MigrationStateMachine m = machine_in(s);
    EXPECT_EQ(m.deadline(), kNever) << to_string(s);
    EXPECT_FALSE(m.on_timeout(kNever - 1));
    EXPECT_EQ(m.state(), s);
  }
}

TEST(MigrationStateMachine, ZeroTimeoutDisablesIt) {
  MigrationConfig config;
  config.select_timeout = 0;
  MigrationStateMachine m(config, "conn-1/1", 0);
  EXPECT_EQ(m.deadline(), kNever);
  EXPECT_FALSE(m.on_timeout(1000 * kSecond));
}

TEST(MigrationStateMachine, DeadlineRestartsOnEachTransition) {
  MigrationConfig config;
  config.resume_timeout = 3 * kSecond;
  MigrationStateMachine m(config, "conn-1/1", 0);
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "", 10 * kSecond));
  EXPECT_EQ(m.deadline(), 13 * kSecond);
  auto t = m.on_timeout(14 * kSecond);  // late is fine: the timer may fire late
  ASSERT_TRUE(t);
  EXPECT_EQ(m.state(), S::kSelecting);
  EXPECT_EQ(m.failovers(), 1U);
  EXPECT_EQ(m.deadline(), 14 * kSecond + config.select_timeout);
}

TEST(MigrationStateMachine, HistoryIsBoundedAndTimestamped) {
  MigrationConfig config;
  config.history_limit = 3;
  MigrationStateMachine m(config, "conn-1/1", 0);
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "w-a", 1));
  ASSERT_TRUE(m.on_event(E::kResumed, "", 2));
  ASSERT_TRUE(m.on_event(E::kFailureSuspected, "late heartbeat", 3));
  ASSERT_TRUE(m.on_event(E::kRecovered, "token", 4));
  ASSERT_TRUE(m.on_event(E::kDone, "done", 5));
  EXPECT_EQ(m.transitions(), 5U);
  ASSERT_EQ(m.history().size(), 3U);
  EXPECT_EQ(m.history()[0].event, E::kFailureSuspected);
  EXPECT_EQ(m.history()[0].reason, "late heartbeat");
  EXPECT_EQ(m.history()[0].at, 3U);
  EXPECT_EQ(m.history()[2].to, S::kCompleted);
  EXPECT_EQ(m.history()[2].at, 5U);

  config.history_limit = 0;  // nothing kept, nothing breaks
  MigrationStateMachine quiet(config, "conn-1/2", 0);
  ASSERT_TRUE(quiet.on_event(E::kWorkerSelected, "", 0));
  EXPECT_TRUE(quiet.history().empty());
  config.resume_timeout = 1;
  MigrationStateMachine timed(config, "conn-1/3", 0);
  ASSERT_TRUE(timed.on_event(E::kWorkerSelected, "", 0));
  EXPECT_TRUE(timed.on_timeout(1));
}

TEST(MigrationStateMachine, IllegalTransitionIsLogged) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger& logger = log::get("migration");
  logger.sinks().push_back(sink);
  MigrationStateMachine m({}, "conn-9/4", 0);
  auto r = m.on_event(E::kResumed, "early token", 0);
  logger.flush();
  logger.sinks().pop_back();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kIllegalTransition);
  const std::string text = out.str();
  EXPECT_NE(text.find("illegal transition"), std::string::npos) << text;
  EXPECT_NE(text.find("stream=conn-9/4"), std::string::npos) << text;
  EXPECT_NE(text.find("event=resumed"), std::string::npos) << text;
  // The project-wide error keeps the code name.
  const Error e = r.error();
  EXPECT_EQ(e.code, Errc::kInternal);
  EXPECT_NE(e.detail.find("illegal_transition"), std::string::npos);
}

TEST(MigrationStateMachine, Names) {
  for (S s : kStates) {
    EXPECT_NE(to_string(s), "unknown");
  }
  for (E e : kEvents) {
    EXPECT_NE(to_string(e), "unknown");
  }
  EXPECT_EQ(to_string(S::kHandover), "handover");
  EXPECT_EQ(to_string(E::kWorkerFailed), "worker_failed");
}

}  // namespace
}  // namespace connswap::migration
