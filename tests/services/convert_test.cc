// encode_worker_request (the director's hot path: the prefix appended from the window's
// buffer) against the message built field by field: the same bytes parse to the same
// message, for empty, short, long (multi-byte varint lengths), non-ASCII and bounded
// windows.

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

}  // namespace
}  // namespace connswap::services
