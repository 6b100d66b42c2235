// Scale and backpressure over a real QUIC connection.

#include "fixture.h"
#include "wire/frame.h"

namespace connswap::rpcnet::testing {
namespace {

using rpc::StatusCode;

using Scale = RpcNetTest;

TEST_F(Scale, TenThousandConcurrentUnaryCallsOnOneConnection) {
  start();
  constexpr int kCalls = 10'000;
  int ok = 0;
  int failed = 0;
  for (int i = 0; i < kCalls; ++i) {
    EchoRequest request;
    request.set_text(std::to_string(i));
    auto call = rpc::call_unary<EchoRequest, EchoResponse>(
        channel_->session(),
        options("test.Echo/Unary"),
        request,
        [&, i](rpc::UnaryResult<EchoResponse> r) {
          if (r && r->text() == std::to_string(i)) {
            ++ok;
          } else {
            ++failed;
          }
        },
        loop_.now());
    ASSERT_TRUE(call);
  }
  EXPECT_EQ(channel_->session().open_calls(), static_cast<std::size_t>(kCalls));
  ASSERT_TRUE(wait([&] { return ok + failed == kCalls; }));
  EXPECT_EQ(ok, kCalls);
  EXPECT_EQ(channel_->session().open_calls(), 0u);
}

// The server streams to a client that stopped reading. Small windows make the bounds tight:
// the client grants 64 KiB of stream credit and the server's Session stops writing at
// 48 KiB queued (and is told to go on below 16 KiB).
class SlowReader : public RpcNetTest {
 protected:
  static constexpr std::size_t kWindow = 64 << 10;
  static constexpr std::size_t kHighWater = 48 << 10;
  static constexpr std::size_t kItemPayload = 200;
  static constexpr std::uint32_t kItems = 5000;  // ~1 MiB: far beyond window + queue

  // Writes kItems responses whenever the queue allows; records what the sender held.
  struct Writer : std::enable_shared_from_this<Writer> {
    EchoCall call;
    std::uint32_t next = 0;
    std::size_t written_bytes = 0;  // stream bytes handed to the Session
    std::size_t max_queued = 0;
    bool blocked = false;

    void pump() {
      blocked = false;
      while (next < kItems) {
        EchoResponse r;
        r.set_index(next);
        r.set_payload(std::string(kItemPayload, 'x'));
        auto sent = call.write(r);
        if (!sent) {
          ASSERT_EQ(sent.error().code, Errc::kFlowControl);
          blocked = true;
          call.on_writable([self = shared_from_this()] { self->pump(); });
          return;
        }
        written_bytes += wire::frame_size(r.ByteSizeLong());
        max_queued = std::max(max_queued, call.raw().queued_bytes());
        ++next;
      }
      (void)call.finish({});
    }
  };

  void SetUp() override {
    ASSERT_TRUE((registry_.add_server_streaming<EchoRequest, EchoResponse>(
        "test.Slow/Stream", [this](EchoCall call, EchoRequest) {
          writer_ = std::make_shared<Writer>();
          writer_->call = call;
          writer_->pump();
        })));
    auto server = server_options();
    server.session.send_high_water = kHighWater;
    server.quic.transport.send_low_water = 16 << 10;
    auto channel = channel_options({});
    channel.quic.transport.stream_window = kWindow;
    channel.quic.transport.max_stream_window = kWindow;  // no auto-tuning
    start(std::move(server), std::move(channel));
  }

  std::shared_ptr<Writer> writer_;
};

TEST_F(SlowReader, SendersQueueStaysBoundedThenEverythingArrivesInOrder) {
  EchoClientCall call;
  auto rec = start_call("test.Slow/Stream", &call);
  call.raw().pause_reading();
  ASSERT_TRUE(call.write(EchoRequest()));
  ASSERT_TRUE(call.half_close());
  // Stalled: the writer is blocked and the client holds a full window it does not read.
  ASSERT_TRUE(wait([&] {
    return writer_ && writer_->blocked &&
           writer_->written_bytes - writer_->call.raw().queued_bytes() >= kWindow;
  }));
  const std::size_t frame = wire::frame_size(kItemPayload + 16);
  const std::size_t queued = writer_->call.raw().queued_bytes();  // == QUIC send buffer
  EXPECT_LE(writer_->max_queued, kHighWater + frame);
  EXPECT_LE(queued, kWindow);  // the QUIC send buffer never outgrows the peer's window
  EXPECT_LE(writer_->written_bytes - queued, kWindow);  // delivered, unread: one window
  EXPECT_LT(writer_->next, kItems / 10);
  EXPECT_TRUE(rec->responses.empty());

  call.raw().resume_reading();
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), kItems);
  for (std::uint32_t i = 0; i < kItems; ++i) {
    ASSERT_EQ(rec->responses[i].index(), i);
  }
  EXPECT_LE(writer_->max_queued, kHighWater + frame);
}

}  // namespace
}  // namespace connswap::rpcnet::testing
