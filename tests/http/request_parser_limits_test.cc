// Limits exactly at and one past each bound, fed at once and byte by byte.

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "http/parse_all.h"
#include "http/request_parser.h"

namespace connswap::http {
namespace {

using test::Outcome;
using test::parse_all;

// A GET whose head (request line through the blank line) is exactly `total` bytes.
std::string head_of_size(std::size_t total) {
  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
  return start + std::string(total - start.size() - 4, 'p') + "\r\n\r\n";
}

// A GET whose request line alone is most of the head: the limit is hit inside the URL.
std::string long_target_of_size(std::size_t total) {
  const std::size_t fixed = std::string_view("GET / HTTP/1.1\r\nHost: a\r\n\r\n").size();
  return "GET /" + std::string(total - fixed, 'u') + " HTTP/1.1\r\nHost: a\r\n\r\n";
}

// Whole and byte-by-byte feeds agree; returns the whole one.
Outcome both_ways(const std::string& bytes, Limits limits = {}) {
  Outcome whole = parse_all(bytes, 0, limits);
  EXPECT_EQ(parse_all(bytes, 1, limits), whole);
  return whole;
}

TEST(RequestParserLimits, HeaderBytesAtAndPastTheLimit) {
  for (const std::size_t limit : {std::size_t{16'384}, std::size_t{64}}) {
    const Limits limits{.max_header_bytes = limit};
    for (auto make : {head_of_size, long_target_of_size}) {
      const Outcome at = both_ways(make(limit), limits);
      EXPECT_FALSE(at.error) << limit;
      EXPECT_EQ(at.requests.size(), 1u) << limit;
      EXPECT_EQ(both_ways(make(limit + 1), limits).error, ParseError::kHeaderTooLarge) << limit;
    }
  }
  EXPECT_EQ(Limits{}.max_header_bytes, 16'384u);
}

TEST(RequestParserLimits, HeaderLimitIsPerRequestAndExcludesTheBody) {
  const std::size_t limit = 128;
  std::string head = head_of_size(limit - 21);
  head.insert(head.size() - 2, "Content-Length: 300\r\n");  // still `limit` bytes
  ASSERT_EQ(head.size(), limit);
  const std::string bytes = head + std::string(300, 'b') + head_of_size(limit);
  const Outcome out = both_ways(bytes, Limits{.max_header_bytes = limit});
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.requests.size(), 2u);
}

TEST(RequestParserLimits, OversizedHeadFailsBeforeItEnds) {
  RequestParser parser(Limits{.max_header_bytes = 100});
  ASSERT_TRUE(parser.feed("GET / HTTP/1.1\r\nHost: a\r\n"));
  const auto r = parser.feed("X-Pad: " + std::string(200, 'p'));  // no end of head in sight
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ParseError::kHeaderTooLarge);
  EXPECT_EQ(status_for(r.error()), 431);
}

TEST(RequestParserLimits, LibraryCapOf80KiBStillApplies) {
  const Limits limits{.max_header_bytes = 1 << 20};
  EXPECT_FALSE(both_ways(head_of_size(65'536), limits).error);
  EXPECT_EQ(both_ways(head_of_size(98'304), limits).error, ParseError::kHeaderTooLarge);
}

std::string with_headers(std::size_t count) {
  std::string bytes = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (std::size_t i = 1; i < count; ++i) {
    bytes += "X-" + std::to_string(i) + ": v\r\n";
  }
  return bytes + "\r\n";
}

TEST(RequestParserLimits, HeaderCountAtAndPastTheLimit) {
  const Outcome at = both_ways(with_headers(64));
  ASSERT_FALSE(at.error);
  EXPECT_EQ(at.requests.at(0).headers.size(), 64u);
  const Outcome past = both_ways(with_headers(65));
  EXPECT_EQ(past.error, ParseError::kTooManyHeaders);
  EXPECT_EQ(status_for(*past.error), 431);
  EXPECT_EQ(both_ways(with_headers(4), Limits{.max_headers = 3}).error,
            ParseError::kTooManyHeaders);
}

std::string post_with_length(std::size_t length) {
  return "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

TEST(RequestParserLimits, ContentLengthAtAndPastTheLimit) {
  const std::size_t max = Limits{}.max_body_bytes;
  ASSERT_EQ(max, 1u << 20);
  const Outcome at = parse_all(post_with_length(max) + std::string(max, 'x'));
  ASSERT_FALSE(at.error);
  EXPECT_EQ(at.requests.at(0).body.size(), max);
  // Refused from the head alone, before any body byte is read.
  RequestParser parser;
  const auto past = parser.feed(post_with_length(max + 1));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error(), ParseError::kBodyTooLarge);
  EXPECT_EQ(status_for(past.error()), 413);
  const Limits small{.max_body_bytes = 4};
  EXPECT_FALSE(both_ways(post_with_length(4) + "abcd", small).error);
  EXPECT_EQ(both_ways(post_with_length(5) + "abcde", small).error, ParseError::kBodyTooLarge);
}

std::string chunked_post(std::size_t first, std::size_t second) {
  auto hex = [](std::size_t n) {
    char buf[20];
    return std::string(buf, static_cast<std::size_t>(std::snprintf(buf, sizeof(buf), "%zx", n)));
  };
  return "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + hex(first) + "\r\n" +
         std::string(first, 'a') + "\r\n" + hex(second) + "\r\n" + std::string(second, 'b') +
         "\r\n0\r\n\r\n";
}

TEST(RequestParserLimits, ChunkedBodyAtAndPastTheLimit) {
  const Limits limits{.max_body_bytes = 100};
  const Outcome at = both_ways(chunked_post(60, 40), limits);
  ASSERT_FALSE(at.error);
  EXPECT_EQ(at.requests.at(0).body, std::string(60, 'a') + std::string(40, 'b'));
  EXPECT_EQ(both_ways(chunked_post(60, 41), limits).error, ParseError::kBodyTooLarge);
  // The chunk size line is enough to refuse: its data is never buffered.
  RequestParser parser(limits);
  ASSERT_TRUE(parser.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const auto r = parser.feed("ffffffff\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ParseError::kBodyTooLarge);
}

TEST(RequestParserLimits, TrailerBytesAreBoundedByTheHeaderLimit) {
  const Limits limits{.max_header_bytes = 200};
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  EXPECT_FALSE(both_ways(head + "X-T: " + std::string(150, 't') + "\r\n\r\n", limits).error);
  EXPECT_EQ(both_ways(head + "X-T: " + std::string(250, 't') + "\r\n\r\n", limits).error,
            ParseError::kHeaderTooLarge);
}

}  // namespace
}  // namespace connswap::http
