// DirectorService's probe tracker (services/detail/probes.h) on a scripted connector: the
// PING schedule, what counts as an answer, the verdict, and the guard against judging late.
// The real PING over QUIC is tested in tests/quic/ping_test.cc and tests/e2e/probe_test.cc.

#include "services/detail/probes.h"

#include <gtest/gtest.h>

#include "services/director_service.h"

namespace connswap::services {
namespace {

// One worker connection whose liveness the test sets; counts the PINGs it is asked for.
class ScriptedConnector final : public WorkerConnector {
 public:
  Result<rpc::Session*> connect(std::string_view /*addr*/, Timestamp /*now*/) override {
    return make_error(Errc::kUnavailable, "not used");
  }
  bool probe(std::string_view /*addr*/, Timestamp /*now*/) override {
    pings += connected ? 1 : 0;
    return connected;
  }
  Timestamp last_heard(std::string_view /*addr*/) override { return heard; }
  Duration pto(std::string_view /*addr*/) override { return path_pto; }

  bool connected = true;
  Duration path_pto = 0;
  Timestamp heard = 1;
  int pings = 0;
};

constexpr Timestamp kStart = 1000 * kMillisecond;
constexpr Duration kTimeout = 90 * kMillisecond;

// Runs the tracker's timers up to `until`; the outcomes it reported.
std::vector<detail::ProbeOutcome> run(detail::Probes& probes, Timestamp until) {
  std::vector<detail::ProbeOutcome> out;
  for (Timestamp t = probes.deadline(); t <= until; t = probes.deadline()) {
    for (auto& o : probes.on_timeout(t)) {
      out.push_back(std::move(o));
    }
  }
  return out;
}

TEST(Probes, SilenceForTheWholeTimeoutIsAVerdictAfterEveryPing) {
  ScriptedConnector conn;
  detail::Probes probes(conn, kTimeout, 3);
  ASSERT_TRUE(probes.start("worker-a", "addr", kStart));
  EXPECT_EQ(probes.deadline(), kStart + 30 * kMillisecond);
  auto out = run(probes, kStart + kTimeout - 1);
  EXPECT_TRUE(out.empty());
  out = run(probes, kStart + kTimeout);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].worker, "worker-a");
  EXPECT_FALSE(out[0].answered);
  EXPECT_EQ(conn.pings, 3);
  EXPECT_EQ(probes.deadline(), kNever);
}

TEST(Probes, AnyPacketAfterTheStartIsAnAnswer) {
  ScriptedConnector conn;
  detail::Probes probes(conn, kTimeout, 3);
  ASSERT_TRUE(probes.start("worker-a", "addr", kStart));
  conn.heard = kStart + 5 * kMillisecond;
  auto out = run(probes, kStart + kTimeout);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_TRUE(out[0].answered);
  EXPECT_EQ(out[0].heard, kStart + 5 * kMillisecond);
  EXPECT_EQ(conn.pings, 1) << "answered at the first check: no more PINGs";
}

TEST(Probes, AJudgementRunLateGivesTheWorkerAnotherPeriod) {
  ScriptedConnector conn;
  detail::Probes probes(conn, kTimeout, 3);
  ASSERT_TRUE(probes.start("worker-a", "addr", kStart));
  // This director's loop did not run for 200 ms: the answer may sit unread in the socket.
  auto out = probes.on_timeout(kStart + 200 * kMillisecond);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(probes.extended(), 1U);
  conn.heard = kStart + 201 * kMillisecond;  // read on this turn
  out = run(probes, kStart + 300 * kMillisecond);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_TRUE(out[0].answered);
}

TEST(Probes, ASlowPathIsGivenThreeOfItsPtos) {
  ScriptedConnector conn;
  conn.path_pto = 50 * kMillisecond;  // a loaded worker or path: late ACKs, a large PTO
  detail::Probes probes(conn, kTimeout, 3);
  ASSERT_TRUE(probes.start("worker-a", "addr", kStart));
  EXPECT_TRUE(run(probes, kStart + 150 * kMillisecond - 1).empty());
  auto out = run(probes, kStart + 150 * kMillisecond);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_FALSE(out[0].answered);
  EXPECT_EQ(conn.pings, 3);
}

TEST(Probes, NoConnectionNothingToProbe) {
  ScriptedConnector conn;
  conn.connected = false;
  detail::Probes probes(conn, kTimeout, 3);
  EXPECT_FALSE(probes.start("worker-a", "addr", kStart));
  EXPECT_EQ(probes.deadline(), kNever);
}

TEST(Probes, AConnectionLostMidProbeEndsItWithoutAVerdict) {
  ScriptedConnector conn;
  detail::Probes probes(conn, kTimeout, 3);
  ASSERT_TRUE(probes.start("worker-a", "addr", kStart));
  conn.connected = false;  // ICMP: the connection went, its calls end on their own
  auto out = run(probes, kStart + kTimeout);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_TRUE(out[0].answered);
}

}  // namespace
}  // namespace connswap::services
