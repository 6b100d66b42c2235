#include "http/request_parser.h"

#include <string>

#include <gtest/gtest.h>

#include "http/parse_all.h"

namespace connswap::http {
namespace {

using test::Outcome;
using test::parse_all;
using test::parse_split;

constexpr std::string_view kGet =
    "GET /v1/models?x=1 HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "X-Multi: one\r\n"
    "Accept:  text/event-stream \t\r\n"
    "x-multi: two\r\n"
    "\r\n";

constexpr std::string_view kPost =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "{\"stream\":1}\n";

constexpr std::string_view kChunked =
    "POST /v1/completions HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value\r\n"
    "hello\r\n"
    "6;a;b=\"q s\"\r\n"
    " world\r\n"
    "0\r\n"
    "X-Checksum: abc\r\n"
    "\r\n";

Request only(std::string_view bytes) {
  Outcome out = parse_all(bytes);
  EXPECT_FALSE(out.error) << to_string(*out.error);
  EXPECT_EQ(out.requests.size(), 1u);
  return out.requests.empty() ? Request{} : out.requests.front();
}

TEST(RequestParser, GetWithRepeatedHeaders) {
  const Request r = only(kGet);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/v1/models?x=1");
  EXPECT_EQ(r.path(), "/v1/models");
  EXPECT_EQ(r.minor_version, 1);
  const std::vector<Header> expected = {{"host", "localhost:8080"},
                                        {"x-multi", "one"},
                                        {"accept", "text/event-stream"},
                                        {"x-multi", "two"}};
  EXPECT_EQ(r.headers, expected);
  EXPECT_EQ(r.header("X-MULTI"), "one");
  EXPECT_EQ(r.header("absent"), std::nullopt);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.keep_alive);
}

TEST(RequestParser, ContentLengthBody) {
  const Request r = only(kPost);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path(), "/v1/chat/completions");
  EXPECT_EQ(r.body, "{\"stream\":1}\n");
  EXPECT_EQ(r.header("content-length"), "13");
}

TEST(RequestParser, ChunkedBodyWithExtensionsAndTrailersDropped) {
  const Request r = only(kChunked);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(r.header("x-checksum"), std::nullopt);  // a trailer never joins the head
  EXPECT_EQ(r.headers.size(), 2u);
}

TEST(RequestParser, KeepAliveFollowsVersionAndConnection) {
  struct Case {
    std::string_view head;
    bool keep_alive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(only(c.head).keep_alive, c.keep_alive) << c.head;
  }
  EXPECT_EQ(only("GET / HTTP/1.0\r\n\r\n").minor_version, 0);
}

TEST(RequestParser, PipelinedRequestsAreServedOneAtATimeInOrder) {
  RequestParser parser;
  const std::string both = std::string(kGet) + std::string(kPost);
  ASSERT_TRUE(parser.feed(both));
  EXPECT_EQ(parser.buffered(), kPost.size());  // the POST waits, unparsed
  EXPECT_FALSE(parser.mid_request());
  auto first = parser.take();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->method, "GET");
  EXPECT_EQ(parser.buffered(), 0u);  // take() parsed the POST
  auto second = parser.take();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "{\"stream\":1}\n");
  EXPECT_FALSE(parser.take());
  EXPECT_FALSE(parser.mid_request());
}

TEST(RequestParser, BytesAfterAReadyRequestWaitUntilItIsTaken) {
  RequestParser parser;
  ASSERT_TRUE(parser.feed(kGet));
  ASSERT_TRUE(parser.feed("GARBAGE\r\n\r\n"));  // not parsed yet: no error
  EXPECT_EQ(parser.buffered(), 11u);
  EXPECT_TRUE(parser.take());
  EXPECT_EQ(parser.error(), ParseError::kMalformed);
  EXPECT_FALSE(parser.take());
  EXPECT_FALSE(parser.feed(kGet));
}

TEST(RequestParser, PipelineSplitAtEveryByteMatchesOneFeed) {
  const std::string bytes = std::string(kGet) + std::string(kPost) + std::string(kChunked);
  const Outcome whole = parse_all(bytes);
  ASSERT_FALSE(whole.error);
  ASSERT_EQ(whole.requests.size(), 3u);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    ASSERT_EQ(parse_split(bytes, cut), whole) << "cut at " << cut;
  }
  EXPECT_EQ(parse_all(bytes, 1), whole);
  EXPECT_EQ(parse_all(bytes, 7), whole);
}

TEST(RequestParser, ConnectionCloseDropsEverythingAfter) {
  RequestParser parser;
  ASSERT_TRUE(parser.feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /x HTTP/1.1"));
  auto r = parser.take();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_EQ(parser.buffered(), 0u);
  EXPECT_TRUE(parser.feed("\r\nHost: a\r\n\r\nnot even http"));  // ignored, not an error
  EXPECT_FALSE(parser.take());
  EXPECT_FALSE(parser.mid_request());
  EXPECT_FALSE(parser.error());
}

TEST(RequestParser, MidRequestWhileAnyPartOfARequestIsIn) {
  RequestParser parser;
  EXPECT_FALSE(parser.mid_request());
  const std::string_view head = kPost.substr(0, kPost.find("\r\n\r\n") + 4);
  ASSERT_TRUE(parser.feed("P"));
  EXPECT_TRUE(parser.mid_request());
  ASSERT_TRUE(parser.feed(head.substr(1)));
  EXPECT_TRUE(parser.mid_request());  // head done, body to come
  ASSERT_TRUE(parser.feed(kPost.substr(head.size())));
  EXPECT_FALSE(parser.mid_request());  // ready
  ASSERT_TRUE(parser.take());
  EXPECT_FALSE(parser.mid_request());
  ASSERT_TRUE(parser.feed("\r\n"));  // RFC 9112 §2.2: an empty line before a request is fine
  EXPECT_TRUE(parser.mid_request());
  ASSERT_TRUE(parser.feed(kGet));
  EXPECT_EQ(parser.take()->target, "/v1/models?x=1");
}

TEST(RequestParser, ExpectContinueIsReportedOnceBeforeTheBody) {
  RequestParser parser;
  ASSERT_TRUE(parser.feed(
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_TRUE(parser.take_continue());
  EXPECT_FALSE(parser.take_continue());
  ASSERT_TRUE(parser.feed("ok"));
  EXPECT_EQ(parser.take()->body, "ok");
  EXPECT_EQ(kContinueResponse, "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(RequestParser, ExpectContinueIsNotReportedWhenNothingIsAwaited) {
  const std::string_view cases[] = {
      // the body came with the head
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
      // no body at all
      "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
      // RFC 9110 §10.1.1: ignored in HTTP/1.0, whatever it says
      "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.0\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n",
  };
  for (const std::string_view bytes : cases) {
    RequestParser parser;
    ASSERT_TRUE(parser.feed(bytes)) << bytes;
    EXPECT_FALSE(parser.take_continue()) << bytes;
  }
}

TEST(RequestParser, AbsoluteFormTargetAndOtherMethods) {
  const Request r = only("PUT http://h/a?b HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "http://h/a?b");
  EXPECT_EQ(only("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n").method, "DELETE");
  EXPECT_EQ(only("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").target, "*");
}

// Requests as curl 7.88.1 (Debian 12) sent them to a socket, byte for byte.
TEST(RequestParser, CurlRequestsAsCaptured) {
  const Request chat = only(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:56107\r\nUser-Agent: curl/7.88.1\r\n"
      "Accept: */*\r\nContent-Type: application/json\r\nContent-Length: 71\r\n\r\n"
      "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  EXPECT_EQ(chat.body.size(), 71u);
  EXPECT_EQ(chat.header("content-type"), "application/json");
  // `--data-binary @-` with `-H 'Transfer-Encoding: chunked'`
  const Request chunked = only(
      "POST /x HTTP/1.1\r\nHost: 127.0.0.1:55575\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
      "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
      "8\r\n{\"a\":1}\n\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.body, "{\"a\":1}\n");
  // curl asks for 100-continue above 1 MiB: refused with 413 by default, continued if allowed.
  const std::string_view big =
      "POST /x HTTP/1.1\r\nHost: 127.0.0.1:37653\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
      "Content-Length: 2000000\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Expect: 100-continue\r\n\r\n";
  RequestParser strict;
  EXPECT_FALSE(strict.feed(big));
  EXPECT_EQ(strict.error(), ParseError::kBodyTooLarge);
  EXPECT_FALSE(strict.take_continue());
  RequestParser roomy(Limits{.max_body_bytes = 2'000'000});
  ASSERT_TRUE(roomy.feed(big));
  EXPECT_TRUE(roomy.take_continue());
  EXPECT_TRUE(roomy.mid_request());
}

}  // namespace
}  // namespace connswap::http
