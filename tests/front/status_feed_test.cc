// front::StatusFeed: events encoded once as SSE, each subscriber's queue bounded (oldest
// dropped, counted), wake only when a queue turns non-empty.

#include "front/status_feed.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace connswap::front {
namespace {

using services::StatusEvent;

StatusEvent migration(std::uint64_t stream) {
  StatusEvent e;
  e.kind = StatusEvent::Kind::kMigration;
  e.connection_id = "c<1>";
  e.stream_id = stream;
  e.from = "worker-a";
  e.to = "worker-b";
  e.reason = "connection_lost";
  return e;
}

TEST(StatusFeed, EventsAreSseWithJsonData) {
  const std::string text = encode_status_event(migration(7));
  ASSERT_EQ(text.rfind("event: migration\ndata: ", 0), 0U);
  ASSERT_EQ(text.substr(text.size() - 2), "\n\n");
  const auto j = nlohmann::json::parse(text.substr(23, text.size() - 25));
  EXPECT_EQ(j["connection_id"], "c<1>");
  EXPECT_EQ(j["stream_id"], 7);
  EXPECT_EQ(j["reason"], "connection_lost");
  StatusEvent gap = migration(7);
  gap.kind = StatusEvent::Kind::kFailoverGap;
  gap.gap = 1500 * kMicrosecond;
  EXPECT_NE(encode_status_event(gap).find("\"gap_ms\":1.5"), std::string::npos);
  StatusEvent worker;
  worker.kind = StatusEvent::Kind::kWorkerState;
  worker.worker = "w\n1";  // a newline would end the SSE event: JSON escapes it
  worker.from = "healthy";
  worker.to = "lost";
  const std::string w = encode_status_event(worker);
  EXPECT_EQ(w,
            "event: worker\ndata: {\"from\":\"healthy\",\"to\":\"lost\",\"worker\":\"w\\n1\"}\n\n");
}

TEST(StatusFeed, EachSubscriberKeepsItsNewestEventsAndCountsTheRest) {
  StatusFeedStats stats;
  StatusFeed feed(3, stats);
  int wakes_a = 0, wakes_b = 0;
  const auto a = feed.subscribe([&] { ++wakes_a; });
  const auto b = feed.subscribe([&] { ++wakes_b; });
  EXPECT_EQ(stats.subscribers, 2U);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    feed.publish(migration(i));
  }
  EXPECT_EQ(wakes_a, 1);  // only when the queue turned non-empty
  EXPECT_EQ(stats.events, 5U);
  EXPECT_EQ(stats.dropped, 4U);  // 2 per subscriber
  for (std::uint64_t want = 3; want <= 5; ++want) {
    auto e = feed.pop(a);
    ASSERT_TRUE(e);
    EXPECT_NE((*e)->find("\"stream_id\":" + std::to_string(want)), std::string::npos);
  }
  EXPECT_FALSE(feed.pop(a));
  feed.publish(migration(6));
  EXPECT_EQ(wakes_a, 2);
  EXPECT_EQ(wakes_b, 1);  // b never drained
  feed.unsubscribe(b);
  EXPECT_EQ(stats.subscribers, 1U);
  EXPECT_FALSE(feed.pop(b));
  feed.unsubscribe(a);
  feed.publish(migration(7));  // nobody listens: counted, not queued
  EXPECT_EQ(stats.events, 7U);
  EXPECT_EQ(stats.dropped, 5U);
}

}  // namespace
}  // namespace connswap::front
