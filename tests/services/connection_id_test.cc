// Client-chosen connection ids (issue 14 item 6): the director accepts 1-128 bytes of
// [A-Za-z0-9._:-] and refuses anything else INVALID_ARGUMENT before the id reaches a log
// line, the session book or a ticket. Two connections presenting one id share its session
// entry: that behaviour is pinned here until ids are bound to connections.

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "base/log.h"
#include "migration/keys.h"
#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

migration::Keyring keyring(const std::string& id) {
  auto key = migration::generate_cluster_key(id);
  EXPECT_TRUE(key);
  auto ring = migration::Keyring::create(std::span(&*key, 1));
  EXPECT_TRUE(ring);
  return std::move(*ring);
}

TEST(ConnectionIdCheck, AcceptsTheAllowedCharsetUpTo128Bytes) {
  EXPECT_TRUE(check_connection_id("conn-1234"));
  EXPECT_TRUE(check_connection_id("http-0a1b2c3d-17"));
  EXPECT_TRUE(check_connection_id("AZaz09._:-"));
  EXPECT_TRUE(check_connection_id(std::string(kMaxConnectionIdBytes, 'x')));
  EXPECT_FALSE(check_connection_id(""));
  EXPECT_FALSE(check_connection_id(std::string(kMaxConnectionIdBytes + 1, 'x')));
  EXPECT_FALSE(check_connection_id("a\nb"));
  EXPECT_FALSE(check_connection_id("a b"));
  EXPECT_FALSE(check_connection_id("a=b"));
  EXPECT_FALSE(check_connection_id("caf\xc3\xa9"));
  EXPECT_FALSE(check_connection_id(std::string("a\0b", 3)));
}

// The attacks as they were tried: a newline forging a log line, a 300-byte id. Both end
// INVALID_ARGUMENT at once; the forged text is in no log line; nothing reaches the router.
TEST(ConnectionIdCheck, BadIdsAreRefusedAndNeverLogged) {
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  spdlog::logger& director_log = log::get("director");
  director_log.sinks().push_back(ring);
  const auto level = director_log.level();
  director_log.set_level(spdlog::level::trace);

  World world;
  world.add_worker(worker_config("worker-a"));
  world.run_for(1 * kSecond);
  auto& forged = world.add_client(client_config(1, 20, "x\n[error] FORGED director line"));
  auto& long_id = world.add_client(client_config(1, 20, std::string(300, 'a')));
  auto& honest = world.add_client(client_config(1, 20, "conn-honest"));
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));

  for (ClientNode* node : {&forged, &long_id}) {
    const auto r = node->client->results();
    ASSERT_TRUE(r[0].status);
    EXPECT_EQ(r[0].status->code, rpc::StatusCode::kInvalidArgument) << r[0].status->to_string();
    EXPECT_NE(r[0].status->message.find("connection-id"), std::string::npos);
    EXPECT_EQ(r[0].tally.tokens, 0U);
  }
  const auto good = honest.client->results();
  ASSERT_TRUE(good[0].status);
  EXPECT_TRUE(good[0].status->ok()) << good[0].status->to_string();
  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.bad_connection_ids, 2U);
  EXPECT_EQ(stats.router.streams_opened, 1U);

  const std::vector<std::string> lines = ring->last_formatted();
  director_log.sinks().pop_back();
  director_log.set_level(level);
  EXPECT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("FORGED"), std::string::npos) << line;
    EXPECT_EQ(line.find(std::string(200, 'a')), std::string::npos) << line;
  }
}

// The longest id allowed streams and is handed resume tickets (a 300-byte id once got none,
// silently: tickets carry at most 255 bytes of id).
TEST(ConnectionIdCheck, TheLongestAllowedIdGetsTickets) {
  World world;
  const migration::Keyring ring = keyring("k1");
  world.director->enable_resume(
      ring,
      ResumeConfig{.every_tokens = 5, .every = 0, .ttl_seconds = 300, .policy = {}},
      [&world] { return world.wall_now(); });
  world.add_worker(worker_config("worker-a"));
  world.run_for(1 * kSecond);
  std::string id = "AZaz09._:-";
  id.resize(kMaxConnectionIdBytes, 'k');
  auto& node = world.add_client(client_config(1, 20, id));
  ASSERT_TRUE(world.run_until_clients_done(60 * kSecond));
  const auto r = node.client->results();
  ASSERT_TRUE(r[0].status);
  EXPECT_TRUE(r[0].status->ok()) << r[0].status->to_string();
  EXPECT_TRUE(r[0].tally.verified);
  EXPECT_GE(world.director->stats().tickets_issued, 2U);
  EXPECT_EQ(world.director->stats().bad_connection_ids, 0U);
}

// Known, not yet fixed: two live connections presenting one id share one session entry;
// when one connection is lost the entry goes, while the other still streams. Pinned so a
// fix (binding ids to connections) changes this test on purpose.
TEST(ConnectionIdCheck, TwoConnectionsWithOneIdShareASessionEntry) {
  World world;
  world.add_worker(worker_config("worker-a"));
  world.run_for(1 * kSecond);
  auto& first = world.add_client(client_config(1, 200, "conn-same"));
  auto& second = world.add_client(client_config(1, 200, "conn-same"));
  world.run_for(5 * kSecond);
  const migration::SessionInfo* shared = world.director->sessions().find("conn-same");
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->streams.size(), 2U);
  EXPECT_EQ(world.director->sessions().size(), 1U);

  first.conn->lose("test: first connection lost");
  world.run_for(2 * kSecond);
  EXPECT_FALSE(second.client->finished());  // the second connection still streams...
  const migration::SessionInfo* after = world.director->sessions().find("conn-same");
  ASSERT_NE(after, nullptr);
  EXPECT_FALSE(after->connection_open);  // ...but the shared entry says its connection closed
  EXPECT_TRUE(after->streams.empty()) << "and lists none of its streams";
}

}  // namespace
}  // namespace connswap::services::testing
