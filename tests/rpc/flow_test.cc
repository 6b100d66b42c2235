// Backpressure (bounded send queues with a reader that does not read), many concurrent
// calls on one connection, and calls waiting for the peer's stream limit.

#include <gtest/gtest.h>

#include "fixture.h"

namespace connswap::rpc::testing {
namespace {

constexpr std::size_t kWindow = 64 * 1024;
constexpr std::size_t kHighWater = 128 * 1024;
constexpr std::size_t kPayload = 16 * 1024;
constexpr std::size_t kFrameMax = kPayload + 64;  // one response frame, with its envelope

class Backpressure : public RpcTest {
 protected:
  Backpressure()
      : RpcTest(LinkConfig{.stream_window = kWindow, .low_water = 32 * 1024},
                SessionConfig{.send_high_water = kHighWater},
                SessionConfig{.send_high_water = kHighWater}) {}
};

TEST_F(Backpressure, SlowReaderKeepsTheSendersQueueBounded) {
  constexpr std::uint32_t kCount = 500;  // 8 MB in total, far beyond every bound below
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/ServerStream", &call);
  call.raw().pause_reading();  // a reader that does not read
  ASSERT_TRUE(call.write(make_request("s", kCount, kPayload)));
  ASSERT_TRUE(call.half_close());
  pump();
  EXPECT_TRUE(rec->responses.empty());
  EXPECT_FALSE(rec->status);
  // The server's queue stopped at the high-water mark (plus one frame) ...
  EXPECT_LE(link_.max_buffered(kServerSide), kHighWater + kFrameMax);
  EXPECT_GE(link_.max_buffered(kServerSide), kHighWater);
  // ... and the reader holds no more than the flow-control window.
  EXPECT_LE(link_.max_unconsumed(kClientSide), kWindow);

  call.raw().resume_reading();
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(rec->responses[i].index(), i);
  }
  EXPECT_LE(link_.max_buffered(kServerSide), kHighWater + kFrameMax);
  EXPECT_TRUE(link_.credit_balanced());
}

// resume_reading(max_bytes) (issue 14 item 4): one batch of held-back messages, then paused
// again; a budget larger than what is held leaves the call reading freely.
TEST_F(Backpressure, AReadBudgetDeliversOneBatchThenPausesAgain) {
  constexpr std::uint32_t kCount = 20;
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/ServerStream", &call);
  call.raw().pause_reading();
  ASSERT_TRUE(call.write(make_request("b", kCount, kPayload)));
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_TRUE(rec->responses.empty());
  call.raw().resume_reading(2 * kPayload);  // each body is a little over kPayload
  EXPECT_EQ(rec->responses.size(), 2U);
  EXPECT_TRUE(call.raw().reading_paused());
  pump();  // nothing more while paused, though the window refills
  EXPECT_EQ(rec->responses.size(), 2U);
  call.raw().resume_reading(1);  // at least one message
  EXPECT_EQ(rec->responses.size(), 3U);
  EXPECT_TRUE(call.raw().reading_paused());
  call.raw().resume_reading(4 * kWindow);  // more than the window holds: reads on after it
  EXPECT_FALSE(call.raw().reading_paused());
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(rec->responses[i].index(), i);
  }
  EXPECT_TRUE(link_.credit_balanced());
}

TEST_F(Backpressure, WriterIsToldToWaitAndThenWritable) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/ParkPaused", &call);  // the server does not read
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  int accepted = 0;
  Result<void> w;
  while ((w = call.write(make_request("u", 0, kPayload)))) {
    ++accepted;
    pump();
    ASSERT_LT(accepted, 1000) << "never blocked";
  }
  EXPECT_EQ(w.error().code, Errc::kFlowControl);
  EXPECT_GE(call.raw().queued_bytes(), kHighWater);
  EXPECT_LE(call.raw().queued_bytes(), kHighWater + kFrameMax);
  EXPECT_LE(link_.max_unconsumed(kServerSide), kWindow);
  EXPECT_EQ(rec->writable, 0);

  parked_[0]->call.raw().resume_reading();
  pump();
  EXPECT_EQ(rec->writable, 1);  // told once the queue drained below the mark
  EXPECT_LT(call.raw().queued_bytes(), kHighWater);
  EXPECT_TRUE(call.write(make_request("more")));
}

using Scale = RpcTest;

TEST_F(Scale, TenThousandConcurrentCallsOnOneConnection) {
  constexpr int kCalls = 10'000;
  std::vector<std::shared_ptr<ClientRecord>> recs;
  recs.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    recs.push_back(unary("test.Echo/Unary", make_request(std::to_string(i))));
  }
  EXPECT_EQ(client_->open_calls(), static_cast<std::size_t>(kCalls));
  pump();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(recs[i]->status) << i;
    ASSERT_TRUE(recs[i]->status->ok()) << i << " " << recs[i]->status->to_string();
    ASSERT_EQ(recs[i]->responses.at(0).text(), std::to_string(i));
  }
  EXPECT_EQ(client_->open_calls(), 0u);
  EXPECT_EQ(server_->open_calls(), 0u);
  EXPECT_TRUE(link_.credit_balanced());
}

class StreamLimit : public RpcTest {
 protected:
  StreamLimit() : RpcTest(LinkConfig{.max_streams = 16}) {}
};

TEST_F(StreamLimit, CallsWaitForStreamCreditInOrder) {
  constexpr int kCalls = 200;
  std::vector<std::shared_ptr<ClientRecord>> recs;
  for (int i = 0; i < kCalls; ++i) {
    recs.push_back(unary("test.Echo/Unary", make_request(std::to_string(i))));
  }
  EXPECT_EQ(link_.open_streams(), 16u);
  pump();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(recs[i]->status && recs[i]->status->ok()) << i;
    EXPECT_EQ(recs[i]->responses.at(0).text(), std::to_string(i));
  }
}

TEST_F(StreamLimit, WaitingCallsCanBeCancelledAndTimeOut) {
  for (int i = 0; i < 16; ++i) {
    ClientCall<EchoRequest, EchoResponse> call;
    start("test.Echo/Park", &call);
  }
  ClientCall<EchoRequest, EchoResponse> waiting;
  auto cancelled = start("test.Echo/Park", &waiting);
  auto timed_out = unary("test.Echo/Unary", make_request("x"), now_ + 10 * kMillisecond);
  EXPECT_EQ(waiting.raw().queued_bytes(), 0u);
  pump();
  EXPECT_EQ(parked_.size(), 16u);
  waiting.cancel();
  ASSERT_TRUE(cancelled->status);
  EXPECT_EQ(cancelled->status->code, StatusCode::kCancelled);
  advance(10 * kMillisecond);
  ASSERT_TRUE(timed_out->status);
  EXPECT_EQ(timed_out->status->code, StatusCode::kDeadlineExceeded);
  // Freeing streams must not resurrect either call.
  for (auto& p : parked_) {
    p->call.cancel();
  }
  pump();
  EXPECT_EQ(parked_.size(), 16u);
  EXPECT_EQ(client_->open_calls(), 0u);
}

}  // namespace
}  // namespace connswap::rpc::testing
