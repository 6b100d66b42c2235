#include "migration/session_manager.h"

#include <gtest/gtest.h>

namespace connswap::migration {
namespace {

using S = MigrationState;

SessionConfig config() {
  SessionConfig c;
  c.retention = 10 * kSecond;
  c.max_sessions = 3;
  c.max_streams_per_session = 2;
  return c;
}

TEST(ConnectionSessionManager, TracksFigures) {
  ConnectionSessionManager m(config());
  ASSERT_TRUE(m.open_stream("conn-1", 4, 1 * kSecond));
  ASSERT_TRUE(m.open_stream("conn-1", 8, 2 * kSecond));
  ASSERT_TRUE(m.on_stream_state({"conn-1", 4}, S::kStreaming, "worker-a", false, 3 * kSecond));
  ASSERT_TRUE(m.on_tokens("conn-1", 4, 10, 4 * kSecond));
  ASSERT_TRUE(m.on_tokens("conn-1", 8, 5, 4 * kSecond));
  ASSERT_TRUE(m.on_stream_state({"conn-1", 4}, S::kStreaming, "worker-b", true, 5 * kSecond));
  ASSERT_TRUE(m.on_resume_token("conn-1", 6 * kSecond));

  const SessionInfo* s = m.find("conn-1");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->connection_open);
  EXPECT_EQ(s->created_at, 1 * kSecond);
  EXPECT_EQ(s->last_activity, 6 * kSecond);
  EXPECT_EQ(s->idle_since, kNever);
  EXPECT_EQ(s->streams_opened, 2U);
  EXPECT_EQ(s->tokens, 15U);
  EXPECT_EQ(s->migrations, 1U);
  EXPECT_EQ(s->resume_tokens, 1U);
  ASSERT_EQ(s->streams.size(), 2U);
  const StreamInfo& st = s->streams.at(4);
  EXPECT_EQ(st.worker, "worker-b");
  EXPECT_EQ(st.state, S::kStreaming);
  EXPECT_EQ(st.tokens, 10U);
  EXPECT_EQ(st.migrations, 1U);
  EXPECT_EQ(st.opened_at, 1 * kSecond);
  EXPECT_EQ(st.last_activity, 5 * kSecond);
  EXPECT_EQ(s->streams.at(8).worker, "");
  EXPECT_EQ(m.deadline(), kNever);  // nothing idle

  ASSERT_TRUE(m.close_stream({"conn-1", 4}, S::kCompleted, 7 * kSecond));
  ASSERT_TRUE(m.close_stream({"conn-1", 8}, S::kFailed, 8 * kSecond));
  s = m.find("conn-1");
  EXPECT_EQ(s->streams_completed, 1U);
  EXPECT_EQ(s->streams_failed, 1U);
  EXPECT_TRUE(s->streams.empty());
  EXPECT_EQ(s->idle_since, 8 * kSecond);
  EXPECT_EQ(s->tokens, 15U);  // figures outlive the streams
}

TEST(ConnectionSessionManager, ForgetsIdleSessionsAfterRetention) {
  ConnectionSessionManager m(config());
  ASSERT_TRUE(m.open_stream("conn-1", 1, 0));
  ASSERT_TRUE(m.open_stream("conn-2", 1, 0));
  ASSERT_TRUE(m.close_stream({"conn-1", 1}, S::kCompleted, 2 * kSecond));
  ASSERT_TRUE(m.on_connection_closed("conn-2", 5 * kSecond));
  EXPECT_EQ(m.find("conn-2")->streams_aborted, 1U);
  EXPECT_FALSE(m.find("conn-2")->connection_open);
  EXPECT_EQ(m.deadline(), 12 * kSecond);
  EXPECT_EQ(m.on_timeout(12 * kSecond - 1), 0U);
  EXPECT_EQ(m.size(), 2U);
  EXPECT_EQ(m.on_timeout(12 * kSecond), 1U);
  EXPECT_EQ(m.find("conn-1"), nullptr);
  EXPECT_EQ(m.deadline(), 15 * kSecond);
  EXPECT_EQ(m.on_timeout(100 * kSecond), 1U);
  EXPECT_EQ(m.size(), 0U);
  EXPECT_EQ(m.deadline(), kNever);
}

TEST(ConnectionSessionManager, ANewStreamRevivesAnIdleSession) {
  ConnectionSessionManager m(config());
  ASSERT_TRUE(m.open_stream("conn-1", 1, 0));
  ASSERT_TRUE(m.close_stream({"conn-1", 1}, S::kAborted, 1 * kSecond));
  ASSERT_TRUE(m.on_connection_closed("conn-1", 2 * kSecond));
  ASSERT_TRUE(m.open_stream("conn-1", 2, 5 * kSecond));  // e.g. resumed on a new connection
  EXPECT_EQ(m.deadline(), kNever);
  EXPECT_EQ(m.on_timeout(100 * kSecond), 0U);
  const SessionInfo* s = m.find("conn-1");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->connection_open);
  EXPECT_EQ(s->streams_opened, 2U);
  EXPECT_EQ(s->streams_aborted, 1U);
}

TEST(ConnectionSessionManager, Limits) {
  ConnectionSessionManager m(config());
  ASSERT_TRUE(m.open_stream("a", 1, 0));
  ASSERT_TRUE(m.open_stream("a", 2, 0));
  auto r = m.open_stream("a", 3, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kResourceExhausted);
  r = m.open_stream("a", 2, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kInvalidArgument);  // already open
  ASSERT_TRUE(m.open_stream("b", 1, 0));
  ASSERT_TRUE(m.open_stream("c", 1, 0));
  r = m.open_stream("d", 1, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kResourceExhausted);
  r = m.open_stream("", 1, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kInvalidArgument);
}

TEST(ConnectionSessionManager, UnknownIdsAreNotFound) {
  ConnectionSessionManager m(config());
  ASSERT_TRUE(m.open_stream("a", 1, 0));
  EXPECT_EQ(m.on_tokens("a", 2, 1, 0).error().code, MigrationErrc::kNotFound);
  EXPECT_EQ(m.on_tokens("b", 1, 1, 0).error().code, MigrationErrc::kNotFound);
  EXPECT_EQ(m.on_stream_state({"b", 1}, S::kStreaming, "w", false, 0).error().code,
            MigrationErrc::kNotFound);
  EXPECT_EQ(m.close_stream({"a", 2}, S::kCompleted, 0).error().code, MigrationErrc::kNotFound);
  EXPECT_EQ(m.on_resume_token("b", 0).error().code, MigrationErrc::kNotFound);
  EXPECT_EQ(m.on_connection_closed("b", 0).error().code, MigrationErrc::kNotFound);
  // Closing needs a terminal state.
  EXPECT_EQ(m.close_stream({"a", 1}, S::kStreaming, 0).error().code,
            MigrationErrc::kInvalidArgument);
}

TEST(ConnectionSessionManager, ListsAndFindsStreamsByWorker) {
  ConnectionSessionManager m(config());
  ASSERT_TRUE(m.open_stream("conn-b", 1, 0));
  ASSERT_TRUE(m.open_stream("conn-a", 1, 0));
  ASSERT_TRUE(m.open_stream("conn-a", 2, 0));
  ASSERT_TRUE(m.on_stream_state({"conn-a", 2}, S::kStreaming, "w1", false, 0));
  ASSERT_TRUE(m.on_stream_state({"conn-b", 1}, S::kStreaming, "w1", false, 0));
  ASSERT_TRUE(m.on_stream_state({"conn-a", 1}, S::kStreaming, "w2", false, 0));
  const auto all = m.list();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].connection_id, "conn-a");  // by id
  EXPECT_EQ(m.list(1).size(), 1U);
  const auto on_w1 = m.streams_on_worker("w1");
  ASSERT_EQ(on_w1.size(), 2U);
  EXPECT_EQ(on_w1[0], (StreamLocator{"conn-a", 2}));
  EXPECT_EQ(on_w1[1], (StreamLocator{"conn-b", 1}));
  EXPECT_TRUE(m.streams_on_worker("").empty());
  EXPECT_TRUE(m.streams_on_worker("w9").empty());
}

}  // namespace
}  // namespace connswap::migration
