// encode_worker_request (the director's hot path: the prefix appended from the window's
// buffer) against the message built field by field: the same bytes parse to the same
// message, for empty, short, long (multi-byte varint lengths), non-ASCII and bounded
// windows. WorkerRequest (the worker's parse) against protobuf's: the same fields and
// prefix, and the same verdict on broken encodings.

#include "services/convert.h"

#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "director/token_window.h"

namespace connswap::services {
namespace {

GenerateRequest request() {
  GenerateRequest r;
  r.prompt = "tell me a story";
  r.max_tokens = 500;
  r.start_seq = 42;
  r.params = {{"temperature", "0"}, {"connswap_endpoint", "chat"}};
  r.model = "tiny";
  return r;
}

void expect_same(const std::vector<std::string>& tokens, director::TokenWindow window) {
  for (const std::string& t : tokens) {
    window.push(t);
  }
  const GenerateRequest r = request();
  v1::WorkerGenerateRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(encode_worker_request(r, window)));
  const v1::WorkerGenerateRequest want = to_worker_request(r, window.tokens());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, want))
      << parsed.DebugString() << "\nvs\n"
      << want.DebugString();
  EXPECT_EQ(parsed.prefix_size(), static_cast<int>(window.size()));
}

TEST(EncodeWorkerRequest, ParsesToTheMessageBuiltFieldByField) {
  expect_same({}, director::TokenWindow());
  expect_same({"a ", "b ", "", "c "}, director::TokenWindow());
  expect_same({std::string(200, 'x'), std::string(20'000, 'y'), "z"}, director::TokenWindow());
  expect_same({"\xc3\xa9t\xc3\xa9 ", "\xe6\x97\xa5\xe6\x9c\xac "}, director::TokenWindow());
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back("w" + std::to_string(i) + " ");
  }
  expect_same(many, director::TokenWindow(256, 1024));  // bounded: only the newest held
}

// Parses `bytes` both ways; both accept or both refuse, and agree on what they accept.
void expect_parses_alike(const std::string& bytes) {
  v1::WorkerGenerateRequest want;
  const bool want_ok = want.ParseFromString(bytes);
  WorkerRequest got;
  ASSERT_EQ(got.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())), want_ok)
      << "bytes=" << bytes.size();
  if (!want_ok) {
    return;
  }
  EXPECT_EQ(got.fields.prefix_size(), 0);
  ASSERT_EQ(got.prefix.size(), static_cast<std::size_t>(want.prefix_size()));
  for (std::size_t i = 0; i < got.prefix.size(); ++i) {
    EXPECT_EQ(got.prefix[i], want.prefix(static_cast<int>(i)));
  }
  want.clear_prefix();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got.fields, want))
      << got.fields.DebugString() << "\nvs\n"
      << want.DebugString();
}

TEST(WorkerRequest, ParsesLikeProtobuf) {
  const std::vector<std::string> tokens = {
      "a ", "", std::string(300, 'x'), "\xc3\xa9t\xc3\xa9 ", "z"};
  const std::string whole = to_worker_request(request(), tokens).SerializeAsString();
  expect_parses_alike(whole);
  expect_parses_alike(std::string());  // the empty message
  expect_parses_alike(to_worker_request(request(), {}).SerializeAsString());
  // Prefix fields first, then the others (fields may come in any order and repeat).
  std::string prefix_only = to_worker_request(GenerateRequest{}, tokens).SerializeAsString();
  expect_parses_alike(prefix_only + to_worker_request(request(), {}).SerializeAsString());
  // The director's own encoding.
  director::TokenWindow window;
  for (const std::string& t : tokens) {
    window.push(t);
  }
  expect_parses_alike(encode_worker_request(request(), window));
}

TEST(WorkerRequest, RefusesWhatProtobufRefuses) {
  const std::string whole =
      to_worker_request(request(), {"one ", std::string(200, 'y'), "three"}).SerializeAsString();
  for (std::size_t cut = 1; cut < whole.size(); ++cut) {  // every truncation
    expect_parses_alike(whole.substr(0, cut));
  }
  expect_parses_alike(whole + std::string(1, '\0'));            // field number 0
  expect_parses_alike(whole + std::string("\x2a\x01\xff", 3));  // prefix "\xff": not UTF-8
  expect_parses_alike(whole + std::string("\x2a\x05"
                                          "ab",
                                          4));              // length past the end
  expect_parses_alike(whole + std::string("\x28\x07", 2));  // field 5 as a varint
  // Tags as long varints (found by fuzz/worker_request_fuzz.cc): protobuf takes at most 5
  // bytes (bits past 32 dropped); CodedInputStream alone would read up to 10.
  expect_parses_alike(whole + std::string("\xca\xca\xca\xca\xca\xca\xca\x2a\x00", 9));
  expect_parses_alike(whole + std::string("\xfa\xc3\xdf\xfa\x2a\x03tje", 9));
  expect_parses_alike(whole + std::string("\xaa\x80\x00\x01z", 5));  // prefix tag, 3 bytes
}

}  // namespace
}  // namespace connswap::services
