// director::Director: the one owner of worker lifecycle. How a worker call ended decides
// who is blamed: a lost connection fails every attempt on the worker, a fault of the
// request or of this director ends only that stream and holds no worker.

#include "director/director.h"

#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace connswap::director {
namespace {

class DirectorTest : public ::testing::Test {
 protected:
  void add_worker(const std::string& label) {
    core.on_register({label, "addr-" + label, "mgmt-" + label, 0, true, false}, now);
    collect();
  }
  StreamKey open(std::uint32_t max_tokens = 10) {
    auto key =
        core.open_stream({"conn-1", next_id++, {.prompt = "p", .max_tokens = max_tokens}, {}}, now);
    EXPECT_TRUE(key);
    collect();
    return *key;
  }
  void collect() {
    while (auto a = core.poll_action()) {
      if (auto* s = std::get_if<StartAttempt>(&*a)) {
        starts[s->stream].push_back(*s);
      } else if (auto* f = std::get_if<FinishStream>(&*a)) {
        finishes[f->stream] = *f;
      } else if (auto* m = std::get_if<SendMigrated>(&*a)) {
        migrated[m->stream].push_back(*m);
      }
    }
    while (core.poll_event()) {
    }
  }
  WorkerState state(const std::string& label) const { return core.pool().find(label)->state; }

  Director core{DirectorConfig{}};
  Timestamp now = 100 * kSecond;
  std::uint64_t next_id = 1;
  std::map<StreamKey, std::vector<StartAttempt>> starts;
  std::map<StreamKey, FinishStream> finishes;
  std::map<StreamKey, std::vector<SendMigrated>> migrated;
};

TEST_F(DirectorTest, HeartbeatFromUnknownWorkerIsNotFound) {
  auto hb = core.on_heartbeat({"worker-x", 0, true, false}, now);
  ASSERT_FALSE(hb);
  EXPECT_EQ(hb.error().code, Errc::kNotFound);
  EXPECT_EQ(core.on_drain("worker-x", now).error().code, Errc::kNotFound);
}

TEST_F(DirectorTest, LostConnectionFailsEveryAttemptOnThatWorker) {
  add_worker("worker-a");
  const StreamKey s1 = open(), s2 = open(), s3 = open();
  add_worker("worker-b");
  core.on_attempt_ended(starts[s1].back().attempt, AttemptEnd::kConnectionLost, "gone", now);
  collect();
  for (StreamKey s : {s1, s2, s3}) {
    ASSERT_EQ(migrated[s].size(), 1U) << "stream " << s;
    EXPECT_EQ(migrated[s][0].from, "worker-a");
    EXPECT_EQ(migrated[s][0].to, "worker-b");
    EXPECT_EQ(migrated[s][0].reason, "connection_lost");
  }
  EXPECT_EQ(state("worker-a"), WorkerState::kLost);
}

TEST_F(DirectorTest, UnreachableWorkerIsLostAndItsStreamsMove) {
  add_worker("worker-a");
  add_worker("worker-b");
  const StreamKey s = open();
  const std::string first = starts[s].back().worker;
  core.on_attempt_ended(starts[s].back().attempt, AttemptEnd::kUnreachable, "refused", now);
  collect();
  ASSERT_EQ(migrated[s].size(), 1U);
  EXPECT_EQ(migrated[s][0].reason, "refused");
  EXPECT_EQ(state(first), WorkerState::kLost);
}

// A request this director cannot send (it does not fit a frame, say) would fail on every
// worker: only that stream ends, and no worker is held, lost or migrated away from.
struct LocalFault {
  AttemptEnd end;
  StatusCode code;
};

class DirectorLocalFault : public DirectorTest, public ::testing::WithParamInterface<LocalFault> {};

TEST_P(DirectorLocalFault, EndsOnlyTheStreamAndBlamesNoWorker) {
  add_worker("worker-a");
  add_worker("worker-b");
  const StreamKey bad = open();
  const StreamKey good = open();
  core.on_attempt_ended(starts[bad].back().attempt, GetParam().end, "frame too large", now);
  collect();
  ASSERT_TRUE(finishes.contains(bad));
  EXPECT_EQ(finishes[bad].code, GetParam().code);
  EXPECT_TRUE(migrated[bad].empty());
  EXPECT_EQ(starts[bad].size(), 1U);  // no second attempt anywhere
  EXPECT_EQ(state("worker-a"), WorkerState::kActive);
  EXPECT_EQ(state("worker-b"), WorkerState::kActive);
  EXPECT_FALSE(finishes.contains(good));
  EXPECT_EQ(core.router().stats().failovers, 0U);
  EXPECT_EQ(core.router().stats().streams_refused, 1U);
  // Both workers still take new streams at once.
  const StreamKey next1 = open(), next2 = open();
  EXPECT_NE(starts[next1].back().worker, starts[next2].back().worker);
}

INSTANTIATE_TEST_SUITE_P(
    Faults,
    DirectorLocalFault,
    ::testing::Values(LocalFault{AttemptEnd::kRequestRejected, StatusCode::kInvalidArgument},
                      LocalFault{AttemptEnd::kLocalFailure, StatusCode::kInternal}));

TEST_F(DirectorTest, RefusingWorkerIsHeldAndTheStreamMoves) {
  add_worker("worker-a");
  add_worker("worker-b");
  const StreamKey s = open();
  const std::string first = starts[s].back().worker;
  core.on_attempt_ended(starts[s].back().attempt, AttemptEnd::kWorkerRefused, "draining", now);
  collect();
  ASSERT_EQ(migrated[s].size(), 1U);
  EXPECT_EQ(migrated[s][0].reason, "error");
  EXPECT_EQ(state(first), WorkerState::kFailed);
}

TEST_F(DirectorTest, HeartbeatIntervalIsAThirdOfTheTimeoutUnlessSet) {
  EXPECT_EQ(core.heartbeat_interval(), 5 * kSecond);
  DirectorConfig c;
  c.heartbeat_interval = 2 * kSecond;
  EXPECT_EQ(effective_heartbeat_interval(c), 2 * kSecond);
  c.heartbeat_interval = c.heartbeat_timeout;
  EXPECT_FALSE(validate(c));
}

}  // namespace
}  // namespace connswap::director
