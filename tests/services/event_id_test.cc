// SSE event ids (src/front/event_id.h): what a director writes parses back into the same
// resume point; the tokens since the ticket ride along; anything else is a clear error.

#include "front/event_id.h"

#include <gtest/gtest.h>

namespace connswap::front {
namespace {

v1::ResumeTicket ticket(std::uint64_t next_seq) {
  v1::ResumeTicket t;
  t.set_token(std::string("tok\0en", 6));
  t.set_snapshot(std::string(300, '\xab'));
  t.set_next_seq(next_seq);
  return t;
}

openai::StreamContext chat_context() {
  openai::StreamContext c;
  c.endpoint = openai::Endpoint::kCompletions;
  c.created = 1'700'000'000;
  c.model = "m1";
  c.include_usage = true;
  return c;
}

TEST(EventIds, NoIdBeforeTheFirstTicket) {
  EventIds ids("http-1", chat_context(), 8192);
  ids.on_token(1, "a");
  EXPECT_FALSE(ids.current().has_value());
}

TEST(EventIds, AnIdParsesBackIntoTheResumeWithTheTokensSinceTheTicket) {
  EventIds ids("http-ab-7", chat_context(), 8192);
  ids.on_ticket(ticket(5));
  ids.on_token(5, "five ");
  ids.on_token(6, "six ");
  auto id = ids.current();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->find_first_of("\r\n"), std::string::npos);
  auto point = parse_event_id(*id);
  ASSERT_TRUE(point.has_value()) << point.error().detail;
  EXPECT_EQ(point->connection_id, "http-ab-7");
  EXPECT_EQ(point->resume.token(), std::string("tok\0en", 6));
  EXPECT_EQ(point->resume.snapshot(), std::string(300, '\xab'));
  EXPECT_EQ(point->resume.last_seq(), 6U);
  ASSERT_EQ(point->resume.recent_size(), 2);
  EXPECT_EQ(point->resume.recent(0), "five ");
  EXPECT_EQ(point->resume.recent(1), "six ");
  EXPECT_EQ(point->context.endpoint, openai::Endpoint::kCompletions);
  EXPECT_EQ(point->context.created, 1'700'000'000);
  EXPECT_EQ(point->context.model, "m1");
  EXPECT_TRUE(point->context.include_usage);
}

TEST(EventIds, ANewTicketStartsTheRecentTokensAgain) {
  EventIds ids("c", chat_context(), 8192);
  ids.on_ticket(ticket(1));
  ids.on_token(1, "x");
  ids.on_token(2, "y");
  ids.on_ticket(ticket(3));
  ids.on_token(3, "z");
  auto point = parse_event_id(*ids.current());
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->resume.last_seq(), 3U);
  ASSERT_EQ(point->resume.recent_size(), 1);
  EXPECT_EQ(point->resume.recent(0), "z");
}

TEST(EventIds, TokensThatDoNotFollowTheTicketAreLeftOut) {
  EventIds ids("c", chat_context(), 8192);
  ids.on_ticket(ticket(10));  // a ticket that says the next token is 10...
  ids.on_token(12, "late");   // ...then 12: recent would not line up, so none is sent
  auto point = parse_event_id(*ids.current());
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->resume.last_seq(), 12U);
  EXPECT_EQ(point->resume.recent_size(), 0);
}

TEST(EventIds, AnIdOverTheLimitIsNotSentAndCounted) {
  EventIds ids("c", chat_context(), 200);  // the snapshot alone is 300 bytes
  ids.on_ticket(ticket(1));
  ids.on_token(1, "x");
  EXPECT_FALSE(ids.current().has_value());
  EXPECT_EQ(ids.too_long(), 1U);
  EventIds off("c", chat_context(), 0);
  off.on_ticket(ticket(1));
  off.on_token(1, "x");
  EXPECT_FALSE(off.current().has_value());
}

TEST(EventIds, MalformedIdsAreInvalidArgument) {
  v1::HttpResumeId wrong_endpoint;
  wrong_endpoint.set_token("t");
  wrong_endpoint.set_snapshot("s");
  wrong_endpoint.set_connection_id("c");
  wrong_endpoint.set_endpoint(7);
  v1::Resume moving;
  moving.set_last_seq(3);
  v1::HttpResumeId no_token = wrong_endpoint;
  no_token.set_endpoint(0);
  no_token.clear_token();
  for (const std::string& id : {std::string(),
                                std::string("no-dot"),
                                std::string("!!!.!!!"),
                                std::string("AAAA.AAAA"),
                                std::string("."),
                                base64_encode(wrong_endpoint.SerializeAsString()) + "." +
                                    base64_encode(moving.SerializeAsString()),
                                base64_encode(no_token.SerializeAsString()) + "." +
                                    base64_encode(moving.SerializeAsString())}) {
    SCOPED_TRACE(id);
    auto point = parse_event_id(id);
    ASSERT_FALSE(point.has_value());
    EXPECT_EQ(point.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(point.error().detail.rfind("Last-Event-ID: ", 0), 0U);
  }
}

TEST(EventIds, Base64RoundTrips) {
  for (const std::string& s : {std::string("a"), std::string("ab"), std::string(1000, '\0')}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(base64_decode("@@@@").has_value());
}

}  // namespace
}  // namespace connswap::front
