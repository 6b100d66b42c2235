// OpenAISource's logic over a scripted http::Fetcher: the source is sans-IO, so each test
// plays the model server's bytes (status, SSE body in pieces, end) and checks the items.
// The real I/O (libcurl against a real llama.cpp server) is in tests/e2e/llm_*_test.cc.

#include "worker/openai_source.h"

#include <map>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace connswap::worker {
namespace {

// Records requests; the test delivers their events by hand.
class ScriptedFetcher final : public http::Fetcher {
 public:
  struct Request {
    http::FetchRequest req;
    http::FetchEvents events;
    bool cancelled = false;
  };
  Result<http::FetchId> start(http::FetchRequest req, http::FetchEvents events) override {
    const http::FetchId id = next_++;
    requests[id] = Request{std::move(req), std::move(events)};
    return id;
  }
  void cancel(http::FetchId id) override { requests.at(id).cancelled = true; }

  Request& last() { return requests.rbegin()->second; }
  // The newest request for `url_suffix`.
  Request& last_for(const std::string& url_suffix) {
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
      if (it->second.req.url.ends_with(url_suffix)) {
        return it->second;
      }
    }
    ADD_FAILURE() << "no request for " << url_suffix;
    return requests.begin()->second;
  }
  std::map<http::FetchId, Request> requests;

 private:
  http::FetchId next_ = 1;
};

std::string chunk(const std::string& text, const char* finish = nullptr) {
  return "data: {\"choices\":[{\"index\":0,\"text\":\"" + text + "\",\"finish_reason\":" +
         (finish != nullptr ? "\"" + std::string(finish) + "\"" : std::string("null")) + "}]}\n\n";
}

class OpenAISourceTest : public ::testing::Test {
 protected:
  OpenAISourceTest() : source_(config(), fetcher_, nullptr) { make_healthy(); }

  static BackendConfig config() {
    BackendConfig c;
    c.url = "http://model:8000/v1/";
    c.model = "tiny";
    c.stall_timeout = 100;
    c.first_token_timeout = 1000;
    c.defaults = {{"repeat_penalty", "1.0"}};
    return c;
  }

  void make_healthy() {
    source_.on_timeout(1);
    auto& probe = fetcher_.last_for("/v1/models");
    probe.events.on_status(200);
    probe.events.on_done(std::nullopt);
    ASSERT_TRUE(source_.available());
  }

  std::unique_ptr<TokenStream> start(std::uint64_t start_seq,
                                     std::vector<std::string> prefix,
                                     std::uint32_t max_tokens = 10) {
    StreamStart s;
    s.request.prompt = "hello";
    s.request.max_tokens = max_tokens;
    s.request.start_seq = start_seq;
    s.request.params = {{"temperature", "0"}};
    s.prefix = std::move(prefix);
    s.now = 10;
    auto stream = source_.start(std::move(s), [this] { ++notified_; });
    EXPECT_TRUE(stream) << (stream ? "" : stream.error().message());
    return stream ? std::move(*stream) : nullptr;
  }

  // Everything poll() has at `now`.
  std::vector<WorkerItem> drain(TokenStream& s, Timestamp now = 20) {
    std::vector<WorkerItem> out;
    while (auto item = s.poll(now)) {
      out.push_back(std::move(*item));
    }
    return out;
  }

  ScriptedFetcher fetcher_;
  OpenAISource source_;
  int notified_ = 0;
};

TEST_F(OpenAISourceTest, StreamsOneItemPerChunkThenDoneWithUsage) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  EXPECT_EQ(r.req.method, "POST");
  EXPECT_EQ(r.req.url, "http://model:8000/v1/completions");
  r.events.on_status(200);
  r.events.on_body(chunk("a") + chunk("b").substr(0, 9));  // a chunk split mid-event
  r.events.on_body(chunk("b").substr(9) + chunk("", "stop"));
  r.events.on_body(
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n");
  r.events.on_body("data: [DONE]\n\n");
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(std::get<TokenItem>(items[0]).seq, 1u);
  EXPECT_EQ(std::get<TokenItem>(items[0]).text, "a");
  EXPECT_EQ(std::get<TokenItem>(items[1]).seq, 2u);
  const auto& done = std::get<DoneItem>(items[2]);
  EXPECT_EQ(done.tokens, 2u);
  EXPECT_EQ(done.reason, FinishReason::kStop);
  EXPECT_EQ(done.prompt_tokens, 5u);
  EXPECT_TRUE(r.cancelled) << "the request is released once Done is decoded";
  EXPECT_GT(notified_, 0);
  EXPECT_EQ(s->deadline(), kNever);
}

TEST_F(OpenAISourceTest, AnEmptyTokenCountsButTheFinalEmptyChunkDoesNot) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  r.events.on_status(200);
  r.events.on_body(chunk("a") + chunk("") + chunk("", "length") + "data: [DONE]\n\n");
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(std::get<TokenItem>(items[1]).seq, 2u);
  EXPECT_EQ(std::get<TokenItem>(items[1]).text, "");
  EXPECT_EQ(std::get<DoneItem>(items[2]).tokens, 2u);
}

TEST_F(OpenAISourceTest, ContinuationSendsPromptPlusDeliveredTextAndFewerTokens) {
  auto s = start(4, {"x", "y", "z"}, 10);
  auto& r = fetcher_.last();
  EXPECT_NE(r.req.body.find("\"prompt\":\"helloxyz\""), std::string::npos) << r.req.body;
  EXPECT_NE(r.req.body.find("\"max_tokens\":7"), std::string::npos) << r.req.body;
  EXPECT_NE(r.req.body.find("\"repeat_penalty\":1.0"), std::string::npos) << r.req.body;
  EXPECT_NE(r.req.body.find("\"model\":\"tiny\""), std::string::npos) << r.req.body;
  r.events.on_status(200);
  r.events.on_body(chunk("q") + chunk("", "length") +
                   "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8}}\n\ndata: [DONE]\n\n");
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(std::get<TokenItem>(items[0]).seq, 4u);
  // The hidden continuation (3 tokens) is not the client's prompt.
  EXPECT_EQ(std::get<DoneItem>(items[1]).prompt_tokens, 5u);
  EXPECT_EQ(source_.stats().continuations, 1u);
}

TEST_F(OpenAISourceTest, RefusesAContinuationWithoutTheWholePrefix) {
  StreamStart st;
  st.request.start_seq = 300;
  st.prefix = {"only", "a", "window"};
  auto s = source_.start(std::move(st), [] {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("3 of the 299"), std::string::npos) << s.error().message();
}

TEST_F(OpenAISourceTest, StopsAtMaxTokensWhateverTheServerSends) {
  auto s = start(9, std::vector<std::string>(8, "t"), 10);
  auto& r = fetcher_.last();
  r.events.on_status(200);
  r.events.on_body(chunk("a") + chunk("b") + chunk("c"));
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(std::get<TokenItem>(items[1]).seq, 10u);
  EXPECT_EQ(std::get<DoneItem>(items[2]).reason, FinishReason::kLength);
  EXPECT_TRUE(r.cancelled);
}

TEST_F(OpenAISourceTest, AStreamCutWithoutFinishReasonIsAFailureEvenOnACleanEnd) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  r.events.on_status(200);
  r.events.on_body(chunk("a"));
  r.events.on_done(std::nullopt);  // what a killed server can look like
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(std::get<ErrorItem>(items[1]).cause, ErrorCause::kProtocol);
  EXPECT_EQ(source_.stats().errors.at(static_cast<std::size_t>(BackendError::kCut)), 1u);
}

TEST_F(OpenAISourceTest, DoneWithoutFinishReasonIsACut) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  r.events.on_status(200);
  r.events.on_body(chunk("a") + "data: [DONE]\n\n");  // an interrupted llama.cpp stream
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_NE(std::get<ErrorItem>(items[1]).message.find("[DONE] without finish_reason"),
            std::string::npos);
}

TEST_F(OpenAISourceTest, ConnectionErrorsFailTheStreamAndRefusalMarksTheServerUnhealthy) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  r.events.on_done(http::FetchError::kRefused);
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(std::get<ErrorItem>(items[0]).cause, ErrorCause::kUnavailable);
  EXPECT_FALSE(source_.available());
  EXPECT_EQ(source_.deadline(), 0u) << "probes again at once";
  StreamStart again;
  EXPECT_FALSE(source_.start(std::move(again), [] {}));
  EXPECT_EQ(source_.stats().streams_refused, 1u);
}

TEST_F(OpenAISourceTest, MalformedChunkAndServerErrorEventFail) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  r.events.on_status(200);
  r.events.on_body(chunk("a") + "data: {not json\n\n" + chunk("b"));
  auto items = drain(*s);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(std::get<ErrorItem>(items[1]).cause, ErrorCause::kProtocol);
  EXPECT_TRUE(r.cancelled);

  auto s2 = start(1, {});
  auto& r2 = fetcher_.last();
  r2.events.on_status(200);
  r2.events.on_body("data: {\"error\":{\"message\":\"out of memory\"}}\n\n");
  auto items2 = drain(*s2);
  ASSERT_EQ(items2.size(), 1u);
  EXPECT_NE(std::get<ErrorItem>(items2[0]).message.find("out of memory"), std::string::npos);
}

TEST_F(OpenAISourceTest, HttpStatusesMapToTypedCauses) {
  const std::vector<std::pair<int, ErrorCause>> cases = {
      {429, ErrorCause::kOverloaded},
      {503, ErrorCause::kOverloaded},
      {500, ErrorCause::kUnavailable},
      {400, ErrorCause::kRejected},
  };
  for (const auto& [status, cause] : cases) {
    auto s = start(1, {});
    auto& r = fetcher_.last();
    r.events.on_status(status);
    r.events.on_body("{\"error\":{\"message\":\"busy now\"}}");
    r.events.on_done(std::nullopt);
    auto items = drain(*s);
    ASSERT_EQ(items.size(), 1u) << status;
    const auto& e = std::get<ErrorItem>(items[0]);
    EXPECT_EQ(e.cause, cause) << status;
    EXPECT_NE(e.message.find("busy now"), std::string::npos) << e.message;
  }
}

TEST_F(OpenAISourceTest, StallAfterTheFirstTokenAndSlowFirstTokenTimeOut) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  r.events.on_status(200);
  EXPECT_EQ(s->deadline(), 10u + 1000u) << "first-token limit from the request's start";
  r.events.on_body(chunk("a"));
  EXPECT_EQ(s->deadline(), 0u);
  ASSERT_TRUE(s->poll(50));
  EXPECT_EQ(s->deadline(), 50u + 100u) << "stall limit from the last token";
  EXPECT_FALSE(s->poll(149));
  auto item = s->poll(150);
  ASSERT_TRUE(item);
  EXPECT_EQ(std::get<ErrorItem>(*item).cause, ErrorCause::kTimeout);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(s->poll(151));
}

TEST_F(OpenAISourceTest, CancelReleasesTheRequestAndNothingFollows) {
  auto s = start(1, {});
  auto& r = fetcher_.last();
  s->cancel();
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(s->poll(20));
  EXPECT_EQ(s->deadline(), kNever);
}

TEST_F(OpenAISourceTest, UnhealthyUntilAProbePassesAndAtMaxStreamsRefuses) {
  BackendConfig c = config();
  c.max_streams = 1;
  ScriptedFetcher fetcher;
  OpenAISource source(c, fetcher, nullptr);
  EXPECT_FALSE(source.available());
  EXPECT_FALSE(source.start(StreamStart{}, [] {}));
  source.on_timeout(5);
  fetcher.last().events.on_done(http::FetchError::kRefused);
  EXPECT_FALSE(source.available());
  EXPECT_EQ(source.deadline(), 5u + c.health_interval);
  source.on_timeout(5 + c.health_interval);
  fetcher.last().events.on_status(200);
  fetcher.last().events.on_done(std::nullopt);
  EXPECT_TRUE(source.available());
  auto first = source.start(StreamStart{}, [] {});
  ASSERT_TRUE(first);
  EXPECT_FALSE(source.start(StreamStart{}, [] {})) << "over max_streams";
  first->reset();
  EXPECT_TRUE(source.start(StreamStart{}, [] {}));
}

TEST(BackendConfigTest, Validates) {
  BackendConfig c;
  EXPECT_TRUE(validate(c));
  c.url = "ftp://x";
  EXPECT_FALSE(validate(c));
  c = BackendConfig{};
  c.stall_timeout = 0;
  EXPECT_FALSE(validate(c));
  c = BackendConfig{};
  c.max_streams = 0;
  EXPECT_FALSE(validate(c));
}

}  // namespace
}  // namespace connswap::worker
