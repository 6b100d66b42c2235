// An SSE stream that outlives its director. With a cluster key file every token event
// carries an id (the stream's resume ticket and its last token); curl, sending the last id
// it saw back as Last-Event-ID to the restarted director or to another one sharing the
// key, gets the rest of the answer: the two parts join to the uninterrupted text, nothing
// lost or repeated. The real programs, SIGKILL, curl.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/http_client.h"

namespace connswap::e2e {
namespace {

using nlohmann::json;

constexpr int kTokens = 160;  // x 25 ms = 4 s: the director dies well before the end
constexpr const char* kChat = "/v1/chat/completions";

// Directors sharing `keys` with the HTTP front on, waiting long enough for workers to
// register again after a restart, with tickets every 10 tokens.
Flags director_flags(const std::filesystem::path& keys) {
  return {{"--cluster-key-file", keys.string()},
          {"--worker-wait-ms", "15000"},
          {"--resume-every-tokens", "10"},
          {"--http-addr", "127.0.0.1:0"}};
}

json story() {
  return chat_body(kTokens, /*stream=*/true, "tell me a long story");
}

// What curl printed before its director was killed: complete events only, each token
// event with an id, no [DONE].
SseAnswer interrupted(Cluster& c, testing::Process& curl) {
  auto status = curl.wait_exit(kStreamBudget);
  EXPECT_TRUE(status.has_value()) << c.logs();
  const SseAnswer a = parse_sse(complete_events(curl.stdout_text()));
  EXPECT_FALSE(a.done);
  EXPECT_TRUE(a.errors.empty());
  EXPECT_FALSE(a.last_id.empty()) << curl.stdout_text();
  EXPECT_GE(a.event_ids, 30U);
  return a;
}

// `after` continues `before` exactly: together they are `want`, same chunk id, and the
// resumed part ends like a whole stream (finish reason, usage of all the tokens, [DONE]).
void expect_continued(const SseAnswer& before, const SseAnswer& after, const SseAnswer& want) {
  ASSERT_FALSE(want.text.empty());
  EXPECT_FALSE(after.text.empty());
  EXPECT_EQ(before.text + after.text, want.text);
  EXPECT_EQ(after.id, before.id);
  EXPECT_EQ(after.finish_reason, "length");
  EXPECT_TRUE(after.done);
  EXPECT_FALSE(after.event_after_done);
  EXPECT_TRUE(after.errors.empty());
  EXPECT_EQ(after.completion_tokens(), kTokens);
}

TEST(HttpResume, DirectorKilledAndRestartedCurlContinuesFromLastEventId) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  ASSERT_FALSE(keys.empty());
  Node& first = c.start_director(director_flags(keys));
  c.start_worker("worker-a");
  c.start_worker("worker-b");
  auto& curl = curl_post(c, "curl-first", kChat, story());
  ASSERT_TRUE(wait_events(curl, 40)) << c.logs();

  ASSERT_TRUE(first.process->signal(SIGKILL));
  ASSERT_TRUE(first.process->wait_exit(kStartBudget));
  const SseAnswer before = interrupted(c, curl);
  Flags again = director_flags(keys);
  again["--user-addr"] = first.user();
  again["--mgmt-addr"] = first.mgmt();
  Node& second = c.start_director(again);
  for (const char* w : {"worker=worker-a ", "worker=worker-b "}) {
    ASSERT_TRUE(second.process->wait_for_log({w, "worker registered"}, kStartBudget)) << c.logs();
  }

  const CurlTarget resume{"", {"Last-Event-ID: " + before.last_id}};
  auto& resumed = curl_post(c, "curl-resumed", kChat, story(), resume);
  const SseAnswer after = parse_sse(curl_output(c, resumed));
  auto& reference = curl_post(c, "curl-reference", kChat, story());
  const SseAnswer want = parse_sse(curl_output(c, reference));
  expect_continued(before, after, want);
  EXPECT_EQ(second.process->stderr_lines({"stream resumed"}).size(), 1U) << c.logs();

  // The same id again: its token was redeemed, so a second copy of the tail is refused.
  auto& replay = curl_post(c, "curl-replay", kChat, story(), resume);
  auto status = replay.wait_exit(kStreamBudget);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->ok());
  const json error = json::parse(replay.stdout_text(), nullptr, false);
  ASSERT_TRUE(error.is_object()) << replay.stdout_text();
  EXPECT_EQ(error["error"]["code"], "failed_precondition") << error.dump();
}

TEST(HttpResume, AnotherDirectorSharingTheKeyContinuesAGetWithLastEventId) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  ASSERT_FALSE(keys.empty());
  Node& one = c.start_director(director_flags(keys));
  Node& two = c.start_director(director_flags(keys));
  const Flags both = {{"--director-mgmt-addr", one.mgmt() + "," + two.mgmt()}};
  c.start_worker("worker-a", both);
  c.start_worker("worker-b", both);
  for (Node* d : {&one, &two}) {
    for (const char* w : {"worker=worker-a ", "worker=worker-b "}) {
      ASSERT_TRUE(d->process->wait_for_log({w, "worker registered"}, kStartBudget)) << c.logs();
    }
  }
  const CurlTarget at_one{one.field("http"), {}};
  const CurlTarget at_two{two.field("http"), {}};
  auto& curl = curl_post(c, "curl-first", kChat, story(), at_one);
  ASSERT_TRUE(wait_events(curl, 40)) << c.logs();

  ASSERT_TRUE(one.process->signal(SIGKILL));
  const SseAnswer before = interrupted(c, curl);
  // EventSource reconnects with a GET and the id; the stream's request is in the ticket.
  CurlTarget resume = at_two;
  resume.headers.push_back("Last-Event-ID: " + before.last_id);
  auto& resumed = curl_get(c, "curl-resumed", kChat, resume);
  const SseAnswer after = parse_sse(curl_output(c, resumed));
  auto& reference = curl_post(c, "curl-reference", kChat, story(), at_two);
  const SseAnswer want = parse_sse(curl_output(c, reference));
  expect_continued(before, after, want);
  EXPECT_EQ(two.process->stderr_lines({"stream resumed"}).size(), 1U) << c.logs();
}

TEST(HttpResume, ForeignOrMalformedIdsAreRefusedWithAClearError) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  const auto other = c.make_key_file("other.keys");
  ASSERT_FALSE(keys.empty());
  ASSERT_FALSE(other.empty());
  Node& one = c.start_director(director_flags(keys));
  Node& stranger = c.start_director(director_flags(other));
  const Flags both = {{"--director-mgmt-addr", one.mgmt() + "," + stranger.mgmt()}};
  c.start_worker("worker-a", both);
  ASSERT_TRUE(one.process->wait_for_log({"worker=worker-a ", "worker registered"}, kStartBudget));
  auto& curl = curl_post(c, "curl-first", kChat, story(), {one.field("http"), {}});
  ASSERT_TRUE(wait_events(curl, 20)) << c.logs();
  const std::string out = curl.stdout_text();
  const SseAnswer sofar = parse_sse(complete_events(out));
  ASSERT_FALSE(sofar.last_id.empty()) << out;

  const struct {
    std::string id;
    int status;
    const char* code;
  } cases[] = {
      {sofar.last_id, 401, "unauthenticated"},  // another cluster key
      {"not-an-id", 400, "invalid_last_event_id"},
      {"!!!.!!!", 400, "invalid_last_event_id"},
      {"AAAA.AAAA", 400, "invalid_last_event_id"},
  };
  int n = 0;
  for (const auto& k : cases) {
    SCOPED_TRACE(k.id);
    auto& bad = curl_post(c,
                          "curl-bad-" + std::to_string(++n),
                          kChat,
                          story(),
                          {stranger.field("http"), {"Last-Event-ID: " + k.id}});
    auto status = bad.wait_exit(kStreamBudget);
    ASSERT_TRUE(status.has_value());
    EXPECT_FALSE(status->ok());
    const json error = json::parse(bad.stdout_text(), nullptr, false);
    ASSERT_TRUE(error.is_object()) << bad.stdout_text();
    EXPECT_EQ(error["error"]["code"], k.code) << error.dump();
  }
  // The stream on `one` never noticed.
  const SseAnswer whole = parse_sse(curl_output(c, curl));
  EXPECT_TRUE(whole.done);
  EXPECT_EQ(whole.completion_tokens(), kTokens);
  EXPECT_TRUE(stranger.process->running());
}

}  // namespace
}  // namespace connswap::e2e
