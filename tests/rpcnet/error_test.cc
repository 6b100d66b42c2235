// Deadlines, cancellation from each side and bad input over real QUIC connections.

#include <optional>

#include "fixture.h"
#include "net/client.h"
#include "wire/envelope.h"
#include "wire/frame.h"

namespace connswap::rpcnet::testing {
namespace {

using Errors = RpcNetTest;
using rpc::StatusCode;

TEST_F(Errors, ClientDeadlineExceeded) {
  start();
  const Timestamp deadline = loop_.now() + 100 * kMillisecond;
  auto rec = start_call("test.Echo/Park", nullptr, deadline);
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_EQ(rec->status->code, StatusCode::kDeadlineExceeded);
  EXPECT_GE(net::clock_now(), deadline);
  ASSERT_EQ(parked_.size(), 1u);
  // The server saw the client's reset (CANCELLED) or its own timer fired first.
  ASSERT_TRUE(wait([&] { return parked_[0]->status.has_value(); }));
  EXPECT_TRUE(parked_[0]->status->code == StatusCode::kCancelled ||
              parked_[0]->status->code == StatusCode::kDeadlineExceeded);
  EXPECT_EQ(channel_->session().open_calls(), 0u);
}

// A raw QUIC client that sends a HEADER with a timeout and never enforces it, so only the
// server's deadline timer can end the call; collects what the server sends back.
class RawClient : public net::ConnectionHandler {
 public:
  explicit RawClient(Bytes request) : request_(std::move(request)) {}
  void on_event(net::Conn& conn, quic::Event& event) override {
    if (std::holds_alternative<quic::HandshakeCompleted>(event)) {
      auto id = conn.open_stream();
      ASSERT_TRUE(id);
      ASSERT_TRUE(conn.send(*id, Bytes(request_), false));
    } else if (auto* data = std::get_if<quic::StreamData>(&event)) {
      decoder_.push(data->data);
      conn.consume(data->id, data->data.size());
      fin_ = fin_ || data->fin;
    }
  }
  std::optional<rpc::Status> trailer() {
    while (true) {
      auto f = decoder_.next();
      if (!f || !*f) {
        return status_;
      }
      if ((*f)->kind == wire::FrameKind::kTrailer) {
        auto t = wire::decode_trailer((*f)->body);
        EXPECT_TRUE(t);
        status_ = rpc::Status{rpc::status_code_from_wire(t->code), t->message};
      }
    }
  }
  bool fin() const { return fin_; }

 private:
  Bytes request_;
  wire::FrameDecoder decoder_;
  std::optional<rpc::Status> status_;
  bool fin_ = false;
};

TEST_F(Errors, ServerEnforcesTheDeadlineItWasSent) {
  start();
  RawClient raw(rpc::testing::header_frame("test.Echo/Park", 80));
  net::ClientOptions o;
  o.remote = server_->local_address();
  o.quic.tls = client_tls(pki_);
  o.quic.server_name = "localhost";
  auto client = net::ClientEndpoint::connect(loop_, o, raw);
  ASSERT_TRUE(client) << client.error().message();
  ASSERT_TRUE(wait([&] { return parked_.size() == 1; }));
  const Timestamp deadline = parked_[0]->call.raw().deadline();
  EXPECT_NE(deadline, kNever);
  ASSERT_TRUE(wait([&] { return parked_[0]->status.has_value(); }));
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kDeadlineExceeded);
  EXPECT_GE(net::clock_now(), deadline);
  ASSERT_TRUE(wait([&] { return raw.fin(); }));
  auto trailer = raw.trailer();
  ASSERT_TRUE(trailer);
  EXPECT_EQ(trailer->code, StatusCode::kDeadlineExceeded);
  (*client)->stop();
}

TEST_F(Errors, ClientCancelIsSeenAsCancelledByTheServer) {
  start();
  EchoClientCall call;
  auto rec = start_call("test.Echo/Park", &call);
  ASSERT_TRUE(call.write(make_request("x")));
  ASSERT_TRUE(wait([&] { return parked_.size() == 1; }));
  call.cancel();
  ASSERT_TRUE(rec->status);
  EXPECT_EQ(rec->status->code, StatusCode::kCancelled);
  ASSERT_TRUE(wait([&] { return parked_[0]->status.has_value(); }));
  EXPECT_EQ(parked_[0]->status->code, StatusCode::kCancelled);
}

TEST_F(Errors, ServerCancelIsSeenAsCancelledByTheClient) {
  start();
  auto rec = start_call("test.Echo/Park");
  ASSERT_TRUE(wait([&] { return parked_.size() == 1; }));
  parked_[0]->call.cancel();
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_EQ(rec->status->code, StatusCode::kCancelled);
}

TEST_F(Errors, UnknownMethodIsUnimplemented) {
  start();
  auto rec = unary("test.Echo/Nope", make_request("x"));
  ASSERT_TRUE(wait([&] { return rec->status.has_value(); }));
  EXPECT_EQ(rec->status->code, StatusCode::kUnimplemented);
}

TEST_F(Errors, OversizedFrameIsResourceExhausted) {
  auto server = server_options();
  server.session.max_frame_size = 1024;
  start(std::move(server), channel_options({}));
  auto big = unary("test.Echo/Unary", make_request("x", 0, 4000));
  auto small = unary("test.Echo/Unary", make_request("y", 0, 100));
  ASSERT_TRUE(wait([&] { return big->status && small->status; }));
  EXPECT_EQ(big->status->code, StatusCode::kResourceExhausted) << big->status->to_string();
  EXPECT_TRUE(small->status->ok()) << small->status->to_string();
}

TEST_F(Errors, MalformedProtobufIsInvalidArgumentWhileAnotherCallCompletes) {
  start();
  std::optional<rpc::Status> bad;
  rpc::CallCallbacks callbacks;
  callbacks.on_read = [](std::optional<ByteSpan>) { return true; };
  callbacks.on_done = [&](const rpc::Status& s) { bad = s; };
  auto raw = channel_->session().start_call(options("test.Echo/Unary"), callbacks, loop_.now());
  ASSERT_TRUE(raw);
  EchoClientCall good_call;
  auto good = start_call("test.Echo/Bidi", &good_call);
  ASSERT_TRUE(good_call.write(make_request("before")));
  ASSERT_TRUE(raw->write(Bytes{0xff, 0xff, 0xff}));  // not an EchoRequest
  ASSERT_TRUE(raw->half_close());
  ASSERT_TRUE(wait([&] { return bad.has_value(); }));
  EXPECT_EQ(bad->code, StatusCode::kInvalidArgument) << bad->to_string();
  EXPECT_FALSE(good->status);  // the other call on the connection is unaffected
  ASSERT_TRUE(good_call.write(make_request("after")));
  ASSERT_TRUE(good_call.half_close());
  ASSERT_TRUE(wait([&] { return good->status.has_value(); }));
  EXPECT_TRUE(good->status->ok()) << good->status->to_string();
  ASSERT_EQ(good->responses.size(), 2u);
  EXPECT_EQ(good->responses[1].text(), "after");
}

}  // namespace
}  // namespace connswap::rpcnet::testing
