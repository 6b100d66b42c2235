#include "http/response.h"

#include <string>

#include <gtest/gtest.h>
#include <http_parser.h>

namespace connswap::http {
namespace {

TEST(Response, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(413), "Payload Too Large");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "");
}

TEST(Response, HeadWithLength) {
  EXPECT_EQ(response_head(200, {{"Content-Type", "application/json"}}, Framing::kLength, 17),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n");
  EXPECT_EQ(response(404, {}, "{}"), "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(response(400, {}, ""), "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
}

TEST(Response, HeadChunkedAndUntilClose) {
  EXPECT_EQ(response_head(200,
                          {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}},
                          Framing::kChunked),
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(response_head(200, {{"Connection", "close"}}, Framing::kClose),
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

TEST(Response, NoFramingWhereThereIsNoBody) {
  EXPECT_EQ(response_head(204, {}, Framing::kLength, 5), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(response_head(304, {}, Framing::kChunked), "HTTP/1.1 304 Not Modified\r\n\r\n");
  EXPECT_EQ(response_head(100, {}, Framing::kLength), "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(Response, ValuesCannotSplitTheResponse) {
  EXPECT_EQ(response_head(200, {{"X-A\r\n", "1\r\nSet-Cookie: x"}}, Framing::kLength, 0),
            "HTTP/1.1 200 OK\r\nX-A  : 1  Set-Cookie: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(response_head(200, {{"X-B", std::string("a\0b", 3)}}, Framing::kLength, 0),
            "HTTP/1.1 200 OK\r\nX-B: a b\r\nContent-Length: 0\r\n\r\n");
}

TEST(Response, Chunks) {
  EXPECT_EQ(chunk("hello"), "5\r\nhello\r\n");
  EXPECT_EQ(chunk(std::string(255, 'x')), "ff\r\n" + std::string(255, 'x') + "\r\n");
  EXPECT_EQ(chunk(std::string(4096, 'y')).substr(0, 6), "1000\r\n");
  EXPECT_EQ(chunk(""), "");  // never a premature last chunk
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
  std::string out = "x";
  append_chunk(out, "ab");
  append_chunk(out, "");
  EXPECT_EQ(out, "x2\r\nab\r\n");
}

// libhttp-parser in response mode reads back what we write: status and de-chunked body.
struct Parsed {
  int status = 0;
  std::string body;
  bool complete = false;
  bool ok = false;
};

Parsed parse_response(const std::string& bytes) {
  Parsed out;
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = &out;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_body = [](http_parser* p, const char* at, std::size_t len) {
    static_cast<Parsed*>(p->data)->body.append(at, len);
    return 0;
  };
  settings.on_message_complete = [](http_parser* p) {
    static_cast<Parsed*>(p->data)->complete = true;
    return 0;
  };
  const std::size_t n = http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
  out.ok = n == bytes.size() && HTTP_PARSER_ERRNO(&parser) == HPE_OK;
  out.status = static_cast<int>(parser.status_code);
  return out;
}

TEST(Response, ARealParserReadsChunkedAndLengthBodies) {
  std::string chunked = response_head(200, {}, Framing::kChunked);
  for (const char* piece : {"data: {\"a\":1}\n\n", "", "data: [DONE]\n\n"}) {
    append_chunk(chunked, piece);
  }
  chunked += kLastChunk;
  const Parsed a = parse_response(chunked);
  EXPECT_TRUE(a.ok && a.complete);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "data: {\"a\":1}\n\ndata: [DONE]\n\n");
  const Parsed b = parse_response(response(429, {{"Retry-After", "1"}}, "{\"error\":{}}"));
  EXPECT_TRUE(b.ok && b.complete);
  EXPECT_EQ(b.status, 429);
  EXPECT_EQ(b.body, "{\"error\":{}}");
}

}  // namespace
}  // namespace connswap::http
