// Every call shape end to end over the in-memory link, plus metadata, deferred answers,
// several registries, and a director-style proxy answering from another connection.

#include <gtest/gtest.h>

#include "fixture.h"

namespace connswap::rpc::testing {
namespace {

using CallShapes = RpcTest;

TEST_F(CallShapes, Unary) {
  auto rec = unary("test.Echo/Unary", make_request("hello"));
  pump();
  ASSERT_TRUE(rec->status);
  EXPECT_TRUE(rec->status->ok()) << rec->status->to_string();
  ASSERT_EQ(rec->responses.size(), 1u);
  EXPECT_EQ(rec->responses[0].text(), "hello");
  EXPECT_EQ(client_->open_calls(), 0u);
  EXPECT_EQ(server_->open_calls(), 0u);
  EXPECT_TRUE(link_.credit_balanced());
  EXPECT_EQ(link_.open_streams(), 0u);
}

TEST_F(CallShapes, ServerStreaming) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/ServerStream", &call);
  ASSERT_TRUE(call.write(make_request("tok", 5)));
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_TRUE(rec->status && rec->status->ok());
  ASSERT_EQ(rec->responses.size(), 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(rec->responses[i].index(), i);
  }
  EXPECT_TRUE(link_.credit_balanced());
}

TEST_F(CallShapes, ClientStreaming) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/ClientStream", &call);
  for (const char* part : {"a", "b", "c"}) {
    ASSERT_TRUE(call.write(make_request(part)));
    pump();  // requests arrive one by one
  }
  EXPECT_FALSE(rec->status);
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_TRUE(rec->status && rec->status->ok());
  ASSERT_EQ(rec->responses.size(), 1u);
  EXPECT_EQ(rec->responses[0].text(), "abc");
  EXPECT_EQ(rec->responses[0].index(), 3u);
}

TEST_F(CallShapes, BidiInterleaves) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Bidi", &call);
  for (std::uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(call.write(make_request("m" + std::to_string(i))));
    pump();
    ASSERT_EQ(rec->responses.size(), i + 1);  // each echo arrives before the next request
    EXPECT_EQ(rec->responses[i].text(), "m" + std::to_string(i));
  }
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_TRUE(rec->status && rec->status->ok());
  EXPECT_TRUE(link_.credit_balanced());
}

TEST_F(CallShapes, EmptyMessagesAndEmptyStreams) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/ClientStream", &call);
  ASSERT_TRUE(call.write(EchoRequest()));  // encodes to zero bytes
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_TRUE(rec->status && rec->status->ok());
  EXPECT_EQ(rec->responses.at(0).index(), 1u);

  auto bidi = start("test.Echo/Bidi", &call);
  ASSERT_TRUE(call.half_close());  // no requests at all
  pump();
  ASSERT_TRUE(bidi->status && bidi->status->ok());
  EXPECT_TRUE(bidi->responses.empty());
}

TEST_F(CallShapes, ServerSeesMetadataAndDeadline) {
  CallOptions o = options("test.Echo/Park", now_ + 1500 * kMillisecond + 1);
  o.metadata["authorization"] = "Bearer secret";
  ASSERT_TRUE(client_->start_call(std::move(o), {}, now_));
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  EXPECT_EQ(parked_[0]->header.method, "test.Echo/Park");
  EXPECT_EQ(parked_[0]->header.metadata.at("authorization"), "Bearer secret");
  EXPECT_EQ(parked_[0]->header.timeout_ms, 1501u);  // rounded up, never shortened
  EXPECT_EQ(parked_[0]->call.raw().deadline(), now_ + 1501 * kMillisecond);
}

TEST_F(CallShapes, HandlerSeesThePeerTheBindingSet) {
  ASSERT_TRUE(client_->start_call(options("test.Echo/Park"), {}, now_));
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  EXPECT_EQ(parked_[0]->call.raw().peer().address, "");  // unknown until the binding says
  EXPECT_FALSE(parked_[0]->call.raw().peer().authenticated);
  server_->set_peer({"192.0.2.7:4433", true});
  EXPECT_EQ(server_->peer().address, "192.0.2.7:4433");
  EXPECT_EQ(parked_[0]->call.raw().peer().address, "192.0.2.7:4433");
  EXPECT_TRUE(parked_[0]->call.raw().peer().authenticated);
  EXPECT_FALSE(Call().peer().authenticated);  // a handle to no call
}

TEST_F(CallShapes, HandlerAnswersLater) {
  ClientCall<EchoRequest, EchoResponse> call;
  auto rec = start("test.Echo/Park", &call);
  ASSERT_TRUE(call.write(make_request("q")));
  ASSERT_TRUE(call.half_close());
  pump();
  ASSERT_EQ(parked_.size(), 1u);
  EXPECT_FALSE(rec->status);
  // Later, from outside any event of this session (as the director does):
  EchoResponse r;
  r.set_text("late");
  ASSERT_TRUE(parked_[0]->call.reply(r));
  EXPECT_TRUE(parked_[0]->status && parked_[0]->status->ok());
  EXPECT_FALSE(parked_[0]->call.write(r));  // the call has ended
  pump();
  ASSERT_TRUE(rec->status && rec->status->ok());
  EXPECT_EQ(rec->responses.at(0).text(), "late");
}

TEST_F(CallShapes, SeveralRegistriesOneProcess) {
  // A MGMT listener with its own registry next to the USER one (the fixture's).
  Registry mgmt;
  ASSERT_TRUE((mgmt.add_unary<EchoRequest, EchoResponse>(
      "test.Admin/Drain", [](EchoCall call, EchoRequest) { (void)call.reply({}); })));
  EXPECT_FALSE((mgmt.add_unary<EchoRequest, EchoResponse>(
      "test.Admin/Drain", [](EchoCall, EchoRequest) {})));  // duplicate
  EXPECT_FALSE(mgmt.add("no-slash", CallShape::kUnary, [](Call) {}));

  FakeLink mgmt_link;
  Session mgmt_client(mgmt_link.transport(kClientSide), nullptr);
  Session mgmt_server(mgmt_link.transport(kServerSide), &mgmt);
  mgmt_link.attach(kClientSide, &mgmt_client);
  mgmt_link.attach(kServerSide, &mgmt_server);

  std::optional<Status> on_mgmt, on_user;
  auto record = [](std::optional<Status>& out) {
    return [&out](UnaryResult<EchoResponse> r) { out = r ? Status{} : r.error(); };
  };
  ASSERT_TRUE((call_unary<EchoRequest, EchoResponse>(
      mgmt_client, options("test.Admin/Drain"), {}, record(on_mgmt), now_)));
  ASSERT_TRUE((call_unary<EchoRequest, EchoResponse>(
      *client_, options("test.Admin/Drain"), {}, record(on_user), now_)));
  mgmt_link.pump(now_);
  pump();
  ASSERT_TRUE(on_mgmt && on_user);
  EXPECT_TRUE(on_mgmt->ok());
  EXPECT_EQ(on_user->code, StatusCode::kUnimplemented);
}

// client --link A--> director --link B--> worker. The director answers each client call
// from the events of its worker call, on another connection, without blocking.
TEST(Proxy, DirectorForwardsBetweenConnections) {
  std::vector<std::shared_ptr<Parked>> unused;
  Registry worker_registry;
  add_echo_service(worker_registry, unused);
  FakeLink link_a, link_b;
  Session worker(link_b.transport(kServerSide), &worker_registry);
  Session director_out(link_b.transport(kClientSide), nullptr);
  Timestamp now = kSecond;

  Registry director_registry;
  ASSERT_TRUE((director_registry.add_server_streaming<EchoRequest, EchoResponse>(
      "test.Director/Generate", [&](EchoCall client_call, EchoRequest req) {
        ClientCallbacks<EchoResponse> cb;
        cb.on_message = [client_call](EchoResponse&& r) mutable {
          r.set_text("via director: " + r.text());
          (void)client_call.write(r);
        };
        cb.on_done = [client_call](const Status& s) mutable { (void)client_call.finish(s); };
        auto upstream = start_call<EchoRequest, EchoResponse>(
            director_out, CallOptions{"test.Echo/ServerStream", kNever, {}}, std::move(cb), now);
        ASSERT_TRUE(upstream);
        ASSERT_TRUE(upstream->write(req));
        ASSERT_TRUE(upstream->half_close());
        // A client that gives up cancels the worker call too.
        client_call.on_done([up = *upstream](const Status&) mutable { up.cancel(); });
      })));
  Session director_in(link_a.transport(kServerSide), &director_registry);
  Session client(link_a.transport(kClientSide), nullptr);
  link_a.attach(kClientSide, &client);
  link_a.attach(kServerSide, &director_in);
  link_b.attach(kClientSide, &director_out);
  link_b.attach(kServerSide, &worker);

  std::vector<std::string> got;
  std::optional<Status> status;
  ClientCallbacks<EchoResponse> cb;
  cb.on_message = [&](EchoResponse&& r) { got.push_back(r.text()); };
  cb.on_done = [&](const Status& s) { status = s; };
  auto call = start_call<EchoRequest, EchoResponse>(
      client, CallOptions{"test.Director/Generate", kNever, {}}, std::move(cb), now);
  ASSERT_TRUE(call);
  ASSERT_TRUE(call->write(make_request("t", 3)));
  ASSERT_TRUE(call->half_close());
  while (link_a.pump(now) + link_b.pump(now) > 0) {
  }
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ok()) << status->to_string();
  EXPECT_EQ(got,
            (std::vector<std::string>{"via director: t", "via director: t", "via director: t"}));
  EXPECT_TRUE(link_a.credit_balanced());
  EXPECT_TRUE(link_b.credit_balanced());
}

}  // namespace
}  // namespace connswap::rpc::testing
