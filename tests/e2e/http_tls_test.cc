// The HTTP front over TLS (--http-tls, the director's own certificate from connswap-certs):
// curl verifies it against the cluster CA and streams through a SIGKILLed worker word for
// word; a client that does not speak TLS, or speaks it badly, is closed without an answer
// and the director serves the next stream.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/http_client.h"

namespace connswap::e2e {
namespace {

using nlohmann::json;

constexpr int kTokens = 100;  // x 25 ms = 2.5 s: the failure lands mid-stream
constexpr const char* kChat = "/v1/chat/completions";

CurlTarget https(Cluster& c) {
  return {"", {}, (c.certs() / "ca.pem").string()};
}

TEST(HttpTls, CurlStreamsOverHttpsThroughAKilledWorker) {
  Cluster c;
  c.start_director({{"--http-addr", "127.0.0.1:0"}, {"--http-tls", ""}});
  c.start_worker("worker-b");
  c.start_worker("worker-a");
  const json body = chat_body(kTokens, /*stream=*/true, "tell me a long story");
  auto& curl = curl_post(c, "curl-tls", kChat, body, https(c));
  ASSERT_TRUE(wait_events(curl, 6)) << c.logs();
  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGKILL));
  const SseAnswer got = parse_sse(curl_output(c, curl));
  auto& again = curl_post(c, "curl-reference", kChat, body, https(c));
  const SseAnswer want = parse_sse(curl_output(c, again));

  ASSERT_FALSE(want.text.empty());
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.finish_reason, "length");
  EXPECT_TRUE(got.done);
  EXPECT_EQ(got.completion_tokens(), kTokens);
  ASSERT_EQ(got.comments.size(), 1U) << "one migration comment expected";
  EXPECT_EQ(got.comments[0].rfind("migrated from=worker-a to=worker-b", 0), 0U);
}

TEST(HttpTls, PlainHttpAndBadTlsAreClosedWithoutAnAnswer) {
  Cluster c;
  c.start_director({{"--http-addr", "127.0.0.1:0"}, {"--http-tls", ""}});
  c.start_worker("worker-a");
  const json body = chat_body(5, /*stream=*/true, "hi");

  // Plain HTTP on the TLS port: GnuTLS sees no ClientHello; nothing HTTP comes back.
  auto& plain = curl_post(c, "curl-plain", kChat, body);
  auto status = plain.wait_exit(kStreamBudget);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->ok());
  EXPECT_EQ(plain.stdout_text().find("HTTP/1.1"), std::string::npos) << plain.stdout_text();
  // A client that does not trust this CA gives up in the handshake (curl: exit 60).
  CurlTarget stranger = https(c);
  stranger.ca_file = (c.make_certs("other") / "ca.pem").string();
  auto& untrusting = curl_post(c, "curl-untrusting", kChat, body, stranger);
  status = untrusting.wait_exit(kStreamBudget);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->ok());

  EXPECT_TRUE(c.director().process->wait_for_log({"TLS failed"}, kStartBudget)) << c.logs();
  auto& fine = curl_post(c, "curl-after", kChat, body, https(c));
  const SseAnswer after = parse_sse(curl_output(c, fine));
  EXPECT_TRUE(after.done);
  EXPECT_EQ(after.completion_tokens(), 5);
  EXPECT_TRUE(c.director().process->running());
}

}  // namespace
}  // namespace connswap::e2e
