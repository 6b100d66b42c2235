// Every refusal of RequestParser with its status, fed at once and byte by byte.

#include <string>

#include <gtest/gtest.h>

#include "http/parse_all.h"
#include "http/request_parser.h"

namespace connswap::http {
namespace {

using test::parse_all;

struct Case {
  std::string_view name;
  std::string_view bytes;
  ParseError error;
  int status;
};

const Case kCases[] = {
    {"garbage", "HELLO THERE\r\n\r\n", ParseError::kMalformed, 400},
    {"lowercase method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", ParseError::kMalformed, 400},
    {"no version (HTTP/0.9)", "GET /\r\nHost: a\r\n\r\n", ParseError::kMalformed, 400},
    // Debian's libhttp-parser is built non-strict; these are re-checked (detail/strict.h).
    {"not HTTP", "GET / HXYZ/1.1\r\nHost: a\r\n\r\n", ParseError::kMalformed, 400},
    {"tab in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", ParseError::kMalformed, 400},
    {"byte >= 0x80 in target",
     "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"bare CR in a line", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", ParseError::kMalformed, 400},
    {"bare CR ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\rX", ParseError::kMalformed, 400},
    {"bare CR after an empty value",
     "GET / HTTP/1.1\r\nHost: a\r\nX:\rY: b\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", ParseError::kMalformed, 400},
    {"obs-fold with a tab",
     "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"space before the first header",
     "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"chunk size line without LF",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\rXab\r\n0\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"bare CR in trailers",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\rX\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"bare CR ending trailers",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX",
     ParseError::kMalformed,
     400},
    {"space in header name", "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", ParseError::kMalformed, 400},
    {"NUL in a value",
     std::string_view("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29),
     ParseError::kMalformed,
     400},
    {"bad content-length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
     ParseError::kMalformed,
     400},
    {"bad chunk size",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     ParseError::kMalformed,
     400},
    {"chunk data without CRLF",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n",
     ParseError::kMalformed,
     400},
    // Request smuggling (RFC 9112 §6.3 item 3), in both orders: libhttp-parser reports
    // HPE_UNEXPECTED_CONTENT_LENGTH when it sees the pair.
    {"CL then TE",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     "0\r\n\r\n",
     ParseError::kLengthWithTransferEncoding,
     400},
    {"TE then CL",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
     "0\r\n\r\n",
     ParseError::kLengthWithTransferEncoding,
     400},
    {"TE gzip with CL",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n",
     ParseError::kLengthWithTransferEncoding,
     400},
    {"CL twice, different",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
     ParseError::kDuplicateContentLength,
     400},
    {"CL twice, same",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
     ParseError::kDuplicateContentLength,
     400},
    {"TE not ending in chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
     ParseError::kInvalidTransferEncoding,
     400},
    {"TE chunked twice",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
     "\r\n0\r\n\r\n",
     ParseError::kInvalidTransferEncoding,
     400},
    {"TE in HTTP/1.0",
     "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     ParseError::kInvalidTransferEncoding,
     400},
    {"TE gzip, chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     ParseError::kUnsupportedTransferEncoding,
     501},
    {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", ParseError::kVersionNotSupported, 505},
    {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", ParseError::kVersionNotSupported, 505},
    {"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", ParseError::kVersionNotSupported, 505},
    {"Expect other",
     "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx",
     ParseError::kExpectationFailed,
     417},
    {"no Host in 1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", ParseError::kBadHost, 400},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ParseError::kBadHost, 400},
    {"CONNECT",
     "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
     ParseError::kMethodNotImplemented,
     501},
};

TEST(RequestParserErrors, EachRefusalHasItsErrorAndStatus) {
  for (const Case& c : kCases) {
    const auto whole = parse_all(c.bytes);
    EXPECT_TRUE(whole.requests.empty()) << c.name;
    ASSERT_TRUE(whole.error) << c.name;
    EXPECT_EQ(*whole.error, c.error) << c.name << ": " << to_string(*whole.error);
    EXPECT_EQ(status_for(*whole.error), c.status) << c.name;
    EXPECT_EQ(parse_all(c.bytes, 1), whole) << c.name << " fed byte by byte";
  }
}

// Each error is found at a fixed byte, however the bytes are split into feeds (libhttp-parser
// calls its data callbacks wherever a feed ends). Found by fuzz/http_fuzz.cc.
TEST(RequestParserErrors, TheSameErrorWhateverTheSplit) {
  struct Split {
    std::string bytes;
    Limits limits;
    ParseError error;
  };
  const std::string pad(40, 'p');
  const Split cases[] = {
      // one header too many, whose name then turns out malformed: malformed wins
      {"GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC/D: 2\r\n\r\n",
       Limits{.max_headers = 2},
       ParseError::kMalformed},
      {"GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: \x01\r\n\r\n",
       Limits{.max_headers = 2},
       ParseError::kMalformed},
      // past the size limit before a malformed byte: too large wins
      {"GET / HTTP/1.1\r\nHost: a\r\nX-" + pad + "/: 1\r\n\r\n",
       Limits{.max_header_bytes = 40},
       ParseError::kHeaderTooLarge},
      // a bare CR before a second Content-Length
      {"POST / HTTP/1.1\r\nHost: a\rB\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
       Limits{},
       ParseError::kMalformed},
  };
  for (const Split& c : cases) {
    const auto whole = test::parse_all(c.bytes, 0, c.limits);
    EXPECT_EQ(whole.error, c.error) << c.bytes;
    for (std::size_t cut = 0; cut <= c.bytes.size(); ++cut) {
      ASSERT_EQ(test::parse_split(c.bytes, cut, c.limits), whole) << c.bytes << " cut " << cut;
    }
  }
}

TEST(RequestParserErrors, SmugglingAttemptNeverYieldsASecondRequest) {
  // A front that trusted Content-Length would see one request; one that trusted chunked
  // would see "GET /admin" smuggled behind it. Refusing the pair leaves neither.
  const std::string_view bytes =
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
  const auto out = parse_all(bytes);
  EXPECT_TRUE(out.requests.empty());
  EXPECT_EQ(out.error, ParseError::kLengthWithTransferEncoding);
}

TEST(RequestParserErrors, ErrorsAreStickyAndFollowEarlierRequests) {
  RequestParser parser;
  ASSERT_TRUE(parser.feed("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/9.9\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(parser.take());  // the good request first, in order
  EXPECT_EQ(parser.error(), ParseError::kVersionNotSupported);
  EXPECT_FALSE(parser.take());
  EXPECT_FALSE(parser.take_continue());
  EXPECT_FALSE(parser.mid_request());
  const auto again = parser.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), ParseError::kVersionNotSupported);
  EXPECT_FALSE(parser.take());
}

TEST(RequestParserErrors, EveryErrorHasAStatusAndAName) {
  for (int i = 0; i <= static_cast<int>(ParseError::kMethodNotImplemented); ++i) {
    const auto e = static_cast<ParseError>(i);
    const int status = status_for(e);
    EXPECT_TRUE(status == 400 || status == 413 || status == 417 || status == 431 || status == 501 ||
                status == 505)
        << i;
    EXPECT_NE(to_string(e), "unknown parse error") << i;
  }
}

}  // namespace
}  // namespace connswap::http
