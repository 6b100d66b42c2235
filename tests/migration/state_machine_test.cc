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
                                           S::kStarting,
                                           S::kStreaming,
                                           S::kHandover,
                                           S::kCompleted,
                                           S::kFailed,
                                           S::kAborted});
constexpr auto kEvents = std::to_array<E>({E::kWorkerSelected,
                                           E::kFirstToken,
                                           E::kWorkerFailed,
                                           E::kHandoverStarted,
                                           E::kStandbyFailed,
                                           E::kDone,
                                           E::kCancelled,
                                           E::kTimeout});
static_assert(kStates.size() == kStateCount && kEvents.size() == kEventCount);

// The specification, written independently of the implementation's table: every allowed
// (state, event) and where it leads. Every pair not listed must be refused.
const std::map<std::pair<S, E>, S>& allowed() {
  static const std::map<std::pair<S, E>, S> kAllowed = {
      {{S::kSelecting, E::kWorkerSelected}, S::kStarting},
      {{S::kSelecting, E::kDone}, S::kCompleted},
      {{S::kSelecting, E::kCancelled}, S::kAborted},
      {{S::kSelecting, E::kTimeout}, S::kFailed},
      {{S::kStarting, E::kFirstToken}, S::kStreaming},
      {{S::kStarting, E::kWorkerFailed}, S::kSelecting},
      {{S::kStarting, E::kTimeout}, S::kSelecting},
      {{S::kStarting, E::kHandoverStarted}, S::kHandover},
      {{S::kStarting, E::kDone}, S::kCompleted},
      {{S::kStarting, E::kCancelled}, S::kAborted},
      {{S::kStreaming, E::kWorkerFailed}, S::kSelecting},
      {{S::kStreaming, E::kHandoverStarted}, S::kHandover},
      {{S::kStreaming, E::kDone}, S::kCompleted},
      {{S::kStreaming, E::kCancelled}, S::kAborted},
      {{S::kHandover, E::kFirstToken}, S::kStreaming},
      {{S::kHandover, E::kStandbyFailed}, S::kStreaming},
      {{S::kHandover, E::kTimeout}, S::kStreaming},
      {{S::kHandover, E::kWorkerFailed}, S::kStarting},
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
    case S::kStarting:
      return {E::kWorkerSelected};
    case S::kStreaming:
      return {E::kWorkerSelected, E::kFirstToken};
    case S::kHandover:
      return {E::kWorkerSelected, E::kFirstToken, E::kHandoverStarted};
    case S::kCompleted:
      return {E::kWorkerSelected, E::kFirstToken, E::kDone};
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
      const bool want = (e == E::kWorkerFailed && (s == S::kStarting || s == S::kStreaming)) ||
                        (e == E::kTimeout && s == S::kStarting);
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
    ASSERT_TRUE(m.on_event(E::kFirstToken, "", 0));
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
  ASSERT_TRUE(m.on_event(E::kFirstToken, "", 0));
  ASSERT_TRUE(m.on_event(E::kHandoverStarted, "drain", 0));
  ASSERT_TRUE(m.on_event(E::kWorkerFailed, "old attempt died", 0));  // standby promoted
  EXPECT_EQ(m.state(), S::kStarting);
  ASSERT_TRUE(m.on_event(E::kFirstToken, "", 0));
  ASSERT_TRUE(m.on_event(E::kHandoverStarted, "move", 0));
  ASSERT_TRUE(m.on_event(E::kStandbyFailed, "standby refused", 0));
  EXPECT_EQ(m.state(), S::kStreaming);
  EXPECT_EQ(m.failovers(), 0U);
  ASSERT_TRUE(m.on_event(E::kCancelled, "client went away", 0));
  m = MigrationStateMachine(config, "conn-1/2", 0);
  // With a limit of 0 the first counted failure ends the stream.
  ASSERT_TRUE(m.on_event(E::kWorkerSelected, "", 0));
  EXPECT_EQ(*m.on_event(E::kWorkerFailed, "error", 0), S::kFailed);
}

struct TimeoutCase {
  S state;
  Duration timeout;  // the configured value for that state
  S after;
};

TEST(MigrationStateMachine, PerStateTimeouts) {
  MigrationConfig config;
  config.select_timeout = 5 * kSecond;
  config.start_timeout = 3 * kSecond;
  config.handover_timeout = 7 * kSecond;
  const auto cases = std::to_array<TimeoutCase>({
      {S::kSelecting, 5 * kSecond, S::kFailed},
      {S::kStarting, 3 * kSecond, S::kSelecting},
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
  config.start_timeout = 3 * kSecond;
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
  ASSERT_TRUE(m.on_event(E::kFirstToken, "", 2));
  ASSERT_TRUE(m.on_event(E::kHandoverStarted, "drain", 3));
  ASSERT_TRUE(m.on_event(E::kStandbyFailed, "standby refused", 4));
  ASSERT_TRUE(m.on_event(E::kDone, "done", 5));
  EXPECT_EQ(m.transitions(), 5U);
  ASSERT_EQ(m.history().size(), 3U);
  EXPECT_EQ(m.history()[0].event, E::kHandoverStarted);
  EXPECT_EQ(m.history()[0].reason, "drain");
  EXPECT_EQ(m.history()[0].at, 3U);
  EXPECT_EQ(m.history()[2].to, S::kCompleted);
  EXPECT_EQ(m.history()[2].at, 5U);

  config.history_limit = 0;  // nothing kept, nothing breaks
  MigrationStateMachine quiet(config, "conn-1/2", 0);
  ASSERT_TRUE(quiet.on_event(E::kWorkerSelected, "", 0));
  EXPECT_TRUE(quiet.history().empty());
  config.start_timeout = 1;
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
  auto r = m.on_event(E::kFirstToken, "early token", 0);
  logger.flush();
  logger.sinks().pop_back();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kIllegalTransition);
  const std::string text = out.str();
  EXPECT_NE(text.find("illegal transition"), std::string::npos) << text;
  EXPECT_NE(text.find("stream=conn-9/4"), std::string::npos) << text;
  EXPECT_NE(text.find("event=first_token"), std::string::npos) << text;
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
