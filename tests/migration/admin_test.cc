#include "migration/admin.h"

#include <gtest/gtest.h>

namespace connswap::migration {
namespace {

TEST(MigrationAdmin, DrainWorkerRequest) {
  v1::DrainWorkerRequest req;
  EXPECT_EQ(from_proto(req).error().code, MigrationErrc::kInvalidArgument);
  req.set_worker("worker-a");
  auto cmd = from_proto(req);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->worker, "worker-a");
}

TEST(MigrationAdmin, MoveStreamRequest) {
  v1::MoveStreamRequest req;
  EXPECT_EQ(from_proto(req).error().code, MigrationErrc::kInvalidArgument);  // no target
  req.set_connection_id("");
  EXPECT_EQ(from_proto(req).error().code, MigrationErrc::kInvalidArgument);
  req.set_connection_id("conn-1");
  req.set_to_worker("worker-b");
  auto cmd = from_proto(req);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->connection_id, "conn-1");
  EXPECT_FALSE(cmd->stream_id);
  EXPECT_EQ(cmd->to_worker, "worker-b");
  req.mutable_stream()->set_connection_id("conn-2");
  req.mutable_stream()->set_stream_id(4);
  cmd = from_proto(req);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->connection_id, "conn-2");
  EXPECT_EQ(cmd->stream_id, 4U);
}

TEST(MigrationAdmin, ResolvesTargets) {
  ConnectionSessionManager sessions({});
  ASSERT_TRUE(sessions.open_stream("conn-1", 4, 0));
  ASSERT_TRUE(sessions.open_stream("conn-1", 8, 0));
  ASSERT_TRUE(sessions.open_stream("conn-2", 1, 0));
  ASSERT_TRUE(sessions.close_stream({"conn-2", 1}, MigrationState::kCompleted, 0));

  auto all = resolve({"conn-1", std::nullopt, ""}, sessions);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, (std::vector<StreamLocator>{{"conn-1", 4}, {"conn-1", 8}}));
  auto one = resolve({"conn-1", 8, "w"}, sessions);
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, (std::vector<StreamLocator>{{"conn-1", 8}}));
  EXPECT_EQ(resolve({"conn-1", 5, ""}, sessions).error().code, MigrationErrc::kNotFound);
  EXPECT_EQ(resolve({"conn-9", std::nullopt, ""}, sessions).error().code, MigrationErrc::kNotFound);
  EXPECT_EQ(resolve({"conn-2", std::nullopt, ""}, sessions).error().code,
            MigrationErrc::kNotFound);  // no open stream

  const v1::MoveStreamResponse resp = to_proto(*all);
  ASSERT_EQ(resp.moving_size(), 2);
  EXPECT_EQ(resp.moving(1).connection_id(), "conn-1");
  EXPECT_EQ(resp.moving(1).stream_id(), 8U);
}

TEST(MigrationAdmin, ListSessions) {
  ConnectionSessionManager sessions({});
  ASSERT_TRUE(sessions.open_stream("conn-b", 1, 0));
  ASSERT_TRUE(sessions.open_stream("conn-a", 2, 1 * kSecond));
  ASSERT_TRUE(sessions.on_stream_state(
      {"conn-a", 2}, MigrationState::kStreaming, "worker-a", true, 2 * kSecond));
  ASSERT_TRUE(sessions.on_tokens("conn-a", 2, 12, 3 * kSecond));

  v1::ListSessionsRequest req;
  auto resp = list_sessions(sessions, from_proto(req), 5 * kSecond);
  EXPECT_EQ(resp.total(), 2U);
  ASSERT_EQ(resp.sessions_size(), 2);
  const v1::SessionInfo& a = resp.sessions(0);
  EXPECT_EQ(a.connection_id(), "conn-a");
  EXPECT_TRUE(a.connection_open());
  EXPECT_EQ(a.age_ms(), 4000U);
  EXPECT_EQ(a.idle_ms(), 2000U);
  EXPECT_EQ(a.tokens(), 12U);
  EXPECT_EQ(a.migrations(), 1U);
  ASSERT_EQ(a.streams_size(), 1);
  EXPECT_EQ(a.streams(0).stream_id(), 2U);
  EXPECT_EQ(a.streams(0).worker(), "worker-a");
  EXPECT_EQ(a.streams(0).state(), "streaming");
  EXPECT_EQ(a.streams(0).tokens(), 12U);

  req.set_limit(1);
  EXPECT_EQ(list_sessions(sessions, from_proto(req), 0).sessions_size(), 1);
  req.set_connection_id("conn-b");
  resp = list_sessions(sessions, from_proto(req), 0);
  ASSERT_EQ(resp.sessions_size(), 1);
  EXPECT_EQ(resp.sessions(0).connection_id(), "conn-b");
  req.set_connection_id("nope");
  EXPECT_EQ(list_sessions(sessions, from_proto(req), 0).sessions_size(), 0);
}

}  // namespace
}  // namespace connswap::migration
