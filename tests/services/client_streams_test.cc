// ClientStreams' index (connection id, stream id) -> key: found while open, forgotten when
// the stream finishes, and a resumed call that replaces one still finishing keeps it.

#include "services/detail/client_streams.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace connswap::services::detail {
namespace {

// Takes every item; records the finish.
class NullSink final : public ClientSink {
 public:
  Result<void> write(const v1::GenerateItem& /*item*/) override { return {}; }
  void finish(const rpc::Status& /*status*/) override {}
  void set_callbacks(SinkCallbacks /*callbacks*/) override {}
  std::string peer() const override { return ""; }
};

ClientStream stream(const std::string& connection_id, std::uint64_t stream_id) {
  ClientStream c;
  c.sink = std::make_unique<NullSink>();
  c.connection_id = connection_id;
  c.stream_id = stream_id;
  return c;
}

// Finishes `key` (nothing queued: it is forgotten at once).
void finish(ClientStreams& streams, director::StreamKey key) {
  streams.find(key)->finish = rpc::Status{};
  EXPECT_EQ(streams.flush(key), Flow::kFinished);
}

TEST(ClientStreams, KeyOfFindsOpenStreamsOnly) {
  ClientStreams streams;
  streams.add(1, stream("conn-a", 7));
  streams.add(2, stream("conn-a", 8));
  streams.add(3, stream("7 conn-a", 0));  // ids that would collide if joined carelessly
  EXPECT_EQ(streams.key_of("conn-a", 7), 1U);
  EXPECT_EQ(streams.key_of("conn-a", 8), 2U);
  EXPECT_EQ(streams.key_of("7 conn-a", 0), 3U);
  EXPECT_FALSE(streams.key_of("conn-b", 7));
  EXPECT_FALSE(streams.key_of("conn-a", 9));
  finish(streams, 1);
  EXPECT_FALSE(streams.key_of("conn-a", 7));
  EXPECT_EQ(streams.key_of("conn-a", 8), 2U);
  streams.finish_all(rpc::Status{});
  EXPECT_FALSE(streams.key_of("conn-a", 8));
}

TEST(ClientStreams, AReplacingStreamKeepsTheIdsWhenTheOldOneFinishes) {
  ClientStreams streams;
  streams.add(1, stream("conn-a", 7));
  streams.add(2, stream("conn-a", 7));  // a resumed call while the old one finishes
  EXPECT_EQ(streams.key_of("conn-a", 7), 2U);
  finish(streams, 1);
  EXPECT_EQ(streams.key_of("conn-a", 7), 2U);
  finish(streams, 2);
  EXPECT_FALSE(streams.key_of("conn-a", 7));
}

}  // namespace
}  // namespace connswap::services::detail
