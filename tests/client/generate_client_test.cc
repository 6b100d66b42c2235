// The client library (services::GenerateClient) against a scripted server over the
// in-memory link: what it does with items it cannot decode and with unbounded streams
// (issue 14 item 9).

#include "services/generate_client.h"

#include <functional>
#include <string>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>

#include "rpc/registry.h"
#include "rpc/session.h"
#include "services/common.h"
#include "support/fake_link.h"
#include "worker/generator.h"

namespace connswap::services {
namespace {

using rpc::testing::FakeLink;
using rpc::testing::kClientSide;
using rpc::testing::kServerSide;
using Items = std::vector<v1::GenerateItem>;
using GenerateCall = rpc::ServerCall<v1::GenerateRequest, v1::GenerateItem>;

v1::GenerateItem assigned() {
  v1::GenerateItem item;
  item.mutable_assigned()->set_connection_id("conn-1");
  item.mutable_assigned()->set_stream_id(1);
  item.mutable_assigned()->set_worker("worker-a");
  return item;
}

v1::GenerateItem token(const std::string& prompt, std::uint64_t seq) {
  v1::GenerateItem item;
  item.mutable_token()->set_seq(seq);
  item.mutable_token()->set_text(worker::demo_token(prompt, seq));
  item.mutable_token()->set_worker("worker-a");
  return item;
}

v1::GenerateItem done(std::uint64_t tokens) {
  v1::GenerateItem item;
  item.mutable_done()->set_tokens(tokens);
  item.mutable_done()->set_finish_reason("length");
  return item;
}

// A client and a server Session over a FakeLink; the server's Generate sends `items_`
// and, if `finish_`, ends OK.
class GenerateClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE((registry_.add_server_streaming<v1::GenerateRequest, v1::GenerateItem>(
        std::string(kDirectorGenerate), [this](GenerateCall call, const v1::GenerateRequest&) {
          for (const auto& item : items_) {
            ASSERT_TRUE(call.write(item));
          }
          if (finish_) {
            ASSERT_TRUE(call.finish(finish_status_));
          }
        })));
    link_.attach(kClientSide, &client_session_);
    link_.attach(kServerSide, &server_session_);
  }

  GenerateClient make_client(std::uint32_t max_tokens, Duration timeout = 0) {
    GenerateClientConfig config;
    config.request = {.prompt = "hello", .max_tokens = max_tokens};
    config.timeout = timeout;
    config.resume = false;
    return GenerateClient(config, client_session_);
  }

  void pump() { link_.pump(now_); }

  rpc::Registry registry_;
  FakeLink link_;
  rpc::Session client_session_{link_.transport(kClientSide), nullptr};
  rpc::Session server_session_{link_.transport(kServerSide), &registry_};
  Timestamp now_ = 1'000 * kSecond;
  Items items_;
  bool finish_ = true;
  rpc::Status finish_status_;  // OK
};

// An item of a kind this client does not know (a newer server's, or garbage that parses)
// used to vanish: the stream below then verified. It must end the call with a clear error.
TEST_F(GenerateClientTest, UndecodableItemEndsTheStreamWithAnError) {
  items_ = {assigned(), token("hello", 1), v1::GenerateItem(), token("hello", 2), done(2)};
  GenerateClient client = make_client(2);
  ASSERT_TRUE(client.start(now_));
  pump();
  ASSERT_TRUE(client.finished());
  const auto results = client.results();
  ASSERT_EQ(results.size(), 1U);
  ASSERT_TRUE(results[0].status);
  EXPECT_EQ(results[0].status->code, rpc::StatusCode::kInternal);
  EXPECT_NE(results[0].status->message.find("undecodable"), std::string::npos)
      << results[0].status->to_string();
  EXPECT_EQ(results[0].tally.protocol_errors, 1U);
  EXPECT_EQ(results[0].tally.tokens, 1U);  // nothing after the bad item is taken
  EXPECT_FALSE(client.summary().verified);
}

// The control: the same stream without the bad item verifies.
TEST_F(GenerateClientTest, BoundedStreamVerifies) {
  items_ = {assigned(), token("hello", 1), token("hello", 2), done(2)};
  GenerateClient client = make_client(2);
  ASSERT_TRUE(client.start(now_));
  pump();
  ASSERT_TRUE(client.finished());
  EXPECT_TRUE(client.summary().verified);
  EXPECT_EQ(client.summary().tokens, 2U);
}

// --max-tokens 0: the stream never ends by itself, the client ends it (a signal: cancel,
// or its own deadline). Every token received is still checked and, if all were right, the
// summary says verified=true; it used to be false whatever was received.
TEST_F(GenerateClientTest, UnboundedStreamEndedByTheClientVerifies) {
  finish_ = false;
  items_ = {assigned()};
  for (std::uint64_t seq = 1; seq <= 50; ++seq) {
    items_.push_back(token("hello", seq));
  }
  GenerateClient client = make_client(0);
  ASSERT_TRUE(client.start(now_));
  pump();
  EXPECT_FALSE(client.finished());
  client.cancel();
  pump();
  ASSERT_TRUE(client.finished());
  const client::ClientSummary summary = client.summary();
  EXPECT_EQ(summary.tokens, 50U);
  EXPECT_EQ(summary.lost, 0U);
  EXPECT_TRUE(summary.verified);
}

TEST_F(GenerateClientTest, UnboundedStreamEndedByItsDeadlineVerifies) {
  finish_ = false;
  items_ = {assigned(), token("hello", 1), token("hello", 2), token("hello", 3)};
  GenerateClient client = make_client(0, 2 * kSecond);
  ASSERT_TRUE(client.start(now_));
  pump();
  EXPECT_FALSE(client.finished());
  now_ += 2 * kSecond;
  client_session_.on_timeout(now_);
  pump();
  ASSERT_TRUE(client.finished());
  ASSERT_TRUE(client.results()[0].status);
  EXPECT_EQ(client.results()[0].status->code, rpc::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client.summary().tokens, 3U);
  EXPECT_TRUE(client.summary().verified);
}

// ...and verified stays honest: a wrong token, a gap, or no token at all is not verified.
TEST_F(GenerateClientTest, UnboundedStreamWithABadTokenDoesNotVerify) {
  finish_ = false;
  v1::GenerateItem wrong = token("hello", 2);
  wrong.mutable_token()->set_text("not the demo text");
  for (const Items& items : {Items{assigned(), token("hello", 1), wrong, token("hello", 3)},
                             Items{assigned(), token("hello", 1), token("hello", 3)},
                             Items{assigned()}}) {
    items_ = items;
    GenerateClient client = make_client(0);
    ASSERT_TRUE(client.start(now_));
    pump();
    client.cancel();
    pump();
    ASSERT_TRUE(client.finished());
    EXPECT_FALSE(client.summary().verified) << items.size() << " items";
  }
}

// A server that fails an unbounded stream is not the client ending it.
TEST_F(GenerateClientTest, UnboundedStreamFailedByTheServerDoesNotVerify) {
  items_ = {assigned(), token("hello", 1)};
  finish_status_ = {rpc::StatusCode::kCancelled, "worker gone"};
  GenerateClient client = make_client(0);
  ASSERT_TRUE(client.start(now_));
  pump();
  ASSERT_TRUE(client.finished());
  EXPECT_FALSE(client.summary().verified);
}

}  // namespace
}  // namespace connswap::services
