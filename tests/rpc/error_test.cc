// Bad input, unknown methods, deadlines, cancellation and connection loss.

#include <array>

#include <connswap/v1/rpc.pb.h>
#include <gtest/gtest.h>

#include "fixture.h"
#include "wire/varint.h"

namespace connswap::rpc::testing {
namespace {

using Errors = RpcTest;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// A header frame that skips the encoder's validation.
Bytes unchecked_header_frame(const std::string& method) {
  v1::CallHeader pb;
  pb.set_method(method);
  const std::string body = pb.SerializeAsString();
  Bytes out;
  wire::append_frame(out, wire::FrameKind::kHeader, as_bytes(body));
  return out;
}

TEST_F(Errors, UnknownMethodIsUnimplementedAtOnce) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Nope/Missing", &call);  // no request, no half-close
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kUnimplemented);
  EXPECT_EQ(server_->open_calls(), 0u);
  EXPECT_EQ(link_.open_streams(), 0u);  // the server's STOP_SENDING closed our side too
  EXPECT_TRUE(link_.credit_balanced());
}

struct BadStreamCase {
  const char* name;
  Bytes bytes;
  bool fin;
  StatusCode expected;
};

// Each case runs on its own stream next to a healthy call on the same connection, which
// must not notice.
TEST_F(Errors, BadStreamsFailAloneWithTheRightStatus) {
  Bytes huge_prefix;
  wire::append_varint(huge_prefix, std::uint64_t{1} << 40);
  const Bytes unary = header_frame("test.Echo/Unary");
  const Bytes req = message_frame(make_request("x"));
  const auto cases = std::to_array<BadStreamCase>({
      {"fin without header", {}, true, StatusCode::kInvalidArgument},
      {"message before header", req, false, StatusCode::kInvalidArgument},
      {"undecodable header", message_frame(Bytes{0xff}), false, StatusCode::kInvalidArgument},
      {"garbage header body", {0x03, 0x01, 0xff, 0xff}, false, StatusCode::kInvalidArgument},
      {"bad method name", unchecked_header_frame("nope"), false, StatusCode::kInvalidArgument},
      {"unknown method, stream left open",
       header_frame("test.X/Y"),
       false,
       StatusCode::kUnimplemented},
      {"oversized prefix, body never sent",
       cat({unary, huge_prefix}),
       false,
       StatusCode::kResourceExhausted},
      {"undecodable request",
       cat({unary, message_frame(Bytes{0xff, 0xff})}),
       true,
       StatusCode::kInvalidArgument},
      {"two unary requests", cat({unary, req, req}), true, StatusCode::kInvalidArgument},
      {"no unary request", unary, true, StatusCode::kInvalidArgument},
      {"trailer from client", cat({unary, Bytes{0x01, 0x03}}), false, StatusCode::kInvalidArgument},
      {"second header", cat({unary, unary}), false, StatusCode::kInvalidArgument},
      {"unknown frame kind",
       cat({unary, Bytes{0x02, 0x09, 0x00}}),
       false,
       StatusCode::kInvalidArgument},
      {"empty frame", cat({unary, Bytes{0x00}}), false, StatusCode::kInvalidArgument},
      {"truncated at fin",
       cat({unary, Bytes{0x05, 0x02, 0x0a}}),
       true,
       StatusCode::kInvalidArgument},
      {"truncated varint at fin",
       cat({unary, Bytes{0x80, 0x00}}),
       true,
       StatusCode::kInvalidArgument},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ClientCall<EchoRequest, EchoResponse> healthy;
    auto rec = start("test.Echo/Bidi", &healthy);
    ASSERT_TRUE(healthy.write(make_request("before")));
    const StreamId bad = raw_stream(c.bytes, c.fin);
    pump();
    auto trailer = raw_trailer(bad);
    ASSERT_TRUE(trailer);
    EXPECT_EQ(trailer->code, c.expected) << trailer->to_string();
    ASSERT_TRUE(healthy.write(make_request("after")));
    ASSERT_TRUE(healthy.half_close());
    pump();
    ASSERT_TRUE(rec->status);
    EXPECT_TRUE(rec->status->ok());
    EXPECT_EQ(rec->responses.size(), 2u);
  }
  EXPECT_EQ(server_->open_calls(), 0u);
  EXPECT_TRUE(link_.credit_balanced());
}

class SmallFrames : public RpcTest {
 protected:
  SmallFrames() : RpcTest({}, SessionConfig{.max_frame_size = 1024}, {}) {}
};

TEST_F(SmallFrames, OversizedRequestIsResourceExhausted) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Bidi", &call);
  ASSERT_TRUE(call.write(make_request("small")));
  ASSERT_TRUE(call.write(make_request("big", 0, 2000)));  // fits the client's 4 MiB limit
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kResourceExhausted);
  EXPECT_EQ(rec->responses.size(), 1u);
  EXPECT_TRUE(link_.credit_balanced());
}

class SmallClientFrames : public RpcTest {
 protected:
  SmallClientFrames() : RpcTest({}, {}, SessionConfig{.max_frame_size = 1024}) {}
};

TEST_F(SmallClientFrames, OversizedWriteFailsLocallyAndOversizedResponseEndsTheCall) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Bidi", &call);
  auto too_big = call.write(make_request("big", 0, 2000));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::kResourceExhausted);
  EXPECT_FALSE(rec->status);  // nothing was sent; the call goes on

  auto stream = start("test.Echo/ServerStream", &call);
  ASSERT_TRUE(call.write(make_request("big:r", 1)));  // asks for a 2000-byte response
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_TRUE(stream->status);
  EXPECT_EQ(stream->status->code, StatusCode::kResourceExhausted);
}

TEST_F(Errors, UndecodableResponseIsInternal) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Raw", &call);
  ASSERT_TRUE(call.write(make_request("x")));
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kInternal);
  EXPECT_EQ(server_->open_calls(), 0u);  // the server saw the cancellation
  EXPECT_TRUE(link_.credit_balanced());
}

TEST_F(Errors, GarbageFromServerIsInternal) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call);
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  // Bytes the server's rpc layer would never write, injected on the call's stream (id 0).
  ASSERT_TRUE(link_.transport(kServerSide).send(0, Bytes{0x00}, false));
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kInternal);
  ASSERT_TRUE(parked_[0]->status);
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kCancelled);
}

TEST_F(Errors, ClientDeadlineEndsBothSides) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call, now_ + 100 * kMillisecond);
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  EXPECT_EQ(client_->deadline(), now_ + 100 * kMillisecond);
  advance(99 * kMillisecond);
  EXPECT_FALSE(rec->status);
  advance(1 * kMillisecond);
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(parked_[0]->status);  // reset by the client, or its own timer
  EXPECT_TRUE(parked_[0]->status->code == StatusCode::kCancelled ||
              parked_[0]->status->code == StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client_->deadline(), kNever);
  EXPECT_EQ(server_->deadline(), kNever);
  EXPECT_TRUE(link_.credit_balanced());
}

TEST_F(Errors, ServerEnforcesTheDeadlineItWasSent) {
  // A client that does not enforce its own deadline (a raw stream).
  const StreamId id = raw_stream(header_frame("test.Echo/Park", 50), false);
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  EXPECT_EQ(server_->deadline(), now_ + 50 * kMillisecond);
  advance(50 * kMillisecond);
  ASSERT_TRUE(parked_[0]->status);
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kDeadlineExceeded);
  auto trailer = raw_trailer(id);
  ASSERT_TRUE(trailer);
  EXPECT_EQ(trailer->code, StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(link_.direction(id, kServerSide)->fin_delivered);
}

TEST_F(Errors, DeadlineAlreadyPassedFailsOnTheNextTimeout) {
  auto rec = unary("test.Echo/Unary", make_request("x"), now_);
  EXPECT_FALSE(rec->status);  // never synchronously from start
  EXPECT_LE(client_->deadline(), now_);
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kDeadlineExceeded);
}

TEST_F(Errors, ClientCancelIsSeenAsCancelled) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call);
  ASSERT_TRUE(call.write(make_request("x")));
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  call.cancel();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kCancelled);
  EXPECT_FALSE(call.write(make_request("y")));
  pump();
  ASSERT_TRUE(parked_[0]->status);
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kCancelled);
  EXPECT_EQ(*link_.direction(0, kClientSide)->reset, kStreamCancelled);
  EXPECT_EQ(*link_.direction(0, kServerSide)->stop, kStreamCancelled);
  EXPECT_EQ(link_.open_streams(), 0u);
  EXPECT_TRUE(link_.credit_balanced());
}

TEST_F(Errors, ServerCancelIsSeenAsCancelled) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call);
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  parked_[0]->call.cancel();
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kCancelled);
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kCancelled);
  EXPECT_EQ(link_.open_streams(), 0u);
}

TEST_F(Errors, PeerResetCodesMapToStatuses) {
  struct Case {
    std::uint64_t code;
    StatusCode expected;
  };
  for (const Case& c : std::to_array<Case>({{kStreamCancelled, StatusCode::kCancelled},
                                            {kStreamInternal, StatusCode::kInternal},
                                            {kStreamShuttingDown, StatusCode::kUnavailable},
                                            {0x1234, StatusCode::kCancelled}})) {
    ClientCall<EchoRequest, EchoResponse> call;
    auto rec = start("test.Echo/Park", &call);
    pump();
    const StreamId id = static_cast<StreamId>(4 * (parked_.size() - 1));
    link_.transport(kServerSide).reset_stream(id, c.code);
    pump();
    ASSERT_TRUE(rec->status);
    EXPECT_EQ(rec->status->code, c.expected) << c.code;
  }
}

TEST_F(Errors, ConnectionLossEndsEveryCallUnavailable) {
  std::vector<std::shared_ptr<ClientRecord>> recs;
  for (int i = 0; i < 3; ++i) {
    ClientCall<EchoRequest, EchoResponse> call;
    recs.push_back(start("test.Echo/Park", &call));
  }
  pump();
  ASSERT_EQ(parked_.size(), 3u);
  client_->on_connection_lost("idle timeout");
  server_->on_connection_lost("idle timeout");
  for (auto& rec : recs) {
    ASSERT_TRUE(rec->status);
    EXPECT_EQ(rec->status->code, StatusCode::kUnavailable);
  }
  for (auto& p : parked_) {
    ASSERT_TRUE(p->status);
    EXPECT_EQ(p->status->code, StatusCode::kUnavailable);
    EXPECT_FALSE(p->call.write({}));
  }
  auto again = client_->start_call(options("test.Echo/Unary"), {}, now_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kUnavailable);
}

TEST_F(Errors, LocalCloseIsUnavailableForThePeer) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call);
  pump();
  server_->close({StatusCode::kUnavailable, "draining"});
  EXPECT_EQ(parked_.at(0)->status->code, StatusCode::kUnavailable);
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kUnavailable);
}

TEST_F(Errors, HandlesOutliveTheirSession) {
  pump();
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call);
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  link_.attach(kServerSide, nullptr);
  server_.reset();
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kUnavailable);
  EXPECT_TRUE(parked_[0]->call.raw().done());
  auto w = parked_[0]->call.write({});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kClosed);
  parked_[0]->call.cancel();  // no-op
  link_.attach(kClientSide, nullptr);
  client_.reset();
  EXPECT_EQ(rec->status->code, StatusCode::kUnavailable);
  EXPECT_FALSE(call.write({}));
}

TEST(Status, Names) {
  EXPECT_EQ(to_string(StatusCode::kOk), "OK");
  EXPECT_EQ(to_string(StatusCode::kUnauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(status_code_from_wire(12), StatusCode::kUnimplemented);
  EXPECT_EQ(status_code_from_wire(17), StatusCode::kUnknown);
  EXPECT_EQ((Status{StatusCode::kNotFound, "x"}).to_string(), "NOT_FOUND: x");
}

}  // namespace
}  // namespace connswap::rpc::testing
