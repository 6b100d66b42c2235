// Every call shape over a real QUIC connection.

#include "fixture.h"

namespace connswap::rpcnet::testing {
namespace {

using CallShapes = RpcNetTest;

TEST_F(CallShapes, UnaryStartedBeforeTheHandshake) {
  start();
  EXPECT_FALSE(channel_->connected());
  auto rec = unary("test.Echo/Unary", make_request("hello"));
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), 1u);
  EXPECT_EQ(rec->responses[0].text(), "hello");
  EXPECT_TRUE(channel_->connected());
  EXPECT_FALSE(channel_->connection_id().empty());
}

TEST_F(CallShapes, ServerStreaming) {
  start();
  EchoClientCall call;
  auto rec = start_call("test.Echo/ServerStream", &call);
  ASSERT_TRUE(call.write(make_request("s", 500, 16)));
  ASSERT_TRUE(call.half_close());
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), 500u);
  for (std::uint32_t i = 0; i < 500; ++i) {
    EXPECT_EQ(rec->responses[i].index(), i);
  }
}

TEST_F(CallShapes, ClientStreaming) {
  start();
  EchoClientCall call;
  auto rec = start_call("test.Echo/ClientStream", &call);
  for (const char* part : {"a", "b", "c"}) {
    ASSERT_TRUE(call.write(make_request(part)));
  }
  ASSERT_TRUE(call.half_close());
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), 1u);
  EXPECT_EQ(rec->responses[0].text(), "abc");
  EXPECT_EQ(rec->responses[0].index(), 3u);
}

TEST_F(CallShapes, BidiPingPong) {
  start();
  EchoClientCall call;
  auto rec = start_call("test.Echo/Bidi", &call);
  for (std::size_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(call.write(make_request("m" + std::to_string(i))));
    ASSERT_TRUE(wait([&] { return rec->responses.size() == i + 1; }));  // one round trip each
    EXPECT_EQ(rec->responses[i].text(), "m" + std::to_string(i));
  }
  ASSERT_TRUE(call.half_close());
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
}

TEST_F(CallShapes, ServerSeesMetadataAndDeadline) {
  start();
  EchoClientCall call;
  auto opts = options("test.Echo/Park", loop_.now() + 5 * kSecond);
  opts.metadata["tenant"] = "blue";
  auto rec = std::make_shared<ClientRecord>();
  rpc::ClientCallbacks<EchoResponse> callbacks;
  callbacks.on_done = [rec](const rpc::Status& s) { rec->status = s; };
  auto started = rpc::start_call<EchoRequest, EchoResponse>(
      channel_->session(), opts, std::move(callbacks), loop_.now());
  ASSERT_TRUE(started);
  ASSERT_TRUE(wait([&] { return parked_.size() == 1; }));
  const auto& header = parked_[0]->header;
  EXPECT_EQ(header.method, "test.Echo/Park");
  ASSERT_EQ(header.metadata.size(), 1u);
  EXPECT_EQ(header.metadata.at("tenant"), "blue");
  EXPECT_GT(header.timeout_ms, 4000u);
  EXPECT_LE(header.timeout_ms, 5000u);
  EXPECT_NE(parked_[0]->call.raw().deadline(), kNever);
  (void)parked_[0]->call.finish({});
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok());
}

}  // namespace
}  // namespace connswap::rpcnet::testing
