// WorkerService over an asynchronous token source: a source that has tokens only when the
// test pushes them (as a model server sends them). The service must start the stream at
// the request's seq with the prefix window, wait for the source's Notify (no polling while
// it waits), forward tokens, Done and typed errors, cancel the source when the call ends,
// and apply the failure plan around it.

#include <algorithm>
#include <deque>

#include <connswap/v1/worker.pb.h>
#include <gtest/gtest.h>

#include "rpc/client.h"
#include "services/scenario.h"
#include "services/world.h"
#include "worker/generator.h"

namespace connswap::services::testing {
namespace {

using worker::WorkerItem;

// Test double: a TokenSource whose streams have items only when the test pushes them. It
// counts polls, the only way to show the service does not poll while the source waits.
class PushSource final : public worker::TokenSource {
 public:
  struct State {
    worker::StreamStart start;
    worker::Notify notify;
    std::deque<WorkerItem> queue;
    int polls = 0;
    bool cancelled = false;
    // Queues `item` and wakes the service, as a model server's bytes arriving would.
    void push(WorkerItem item) {
      queue.push_back(std::move(item));
      notify();
    }
  };

  Result<std::unique_ptr<worker::TokenStream>> start(worker::StreamStart start,
                                                     worker::Notify notify) override {
    if (refuse) {
      return make_error(Errc::kUnavailable, "model server at capacity");
    }
    streams.push_back(std::make_unique<State>(State{.start = std::move(start),
                                                    .notify = std::move(notify),
                                                    .queue = {},
                                                    .polls = 0,
                                                    .cancelled = false}));
    return std::unique_ptr<worker::TokenStream>(std::make_unique<Stream>(*streams.back()));
  }

  bool refuse = false;
  std::vector<std::unique_ptr<State>> streams;  // every stream started, kept for the test

 private:
  class Stream final : public worker::TokenStream {
   public:
    explicit Stream(State& state) : state_(state) {}
    std::optional<WorkerItem> poll(Timestamp) override {
      ++state_.polls;
      if (state_.cancelled || state_.queue.empty()) {
        return std::nullopt;
      }
      WorkerItem item = std::move(state_.queue.front());
      state_.queue.pop_front();
      return item;
    }
    Timestamp deadline() const override {
      return state_.cancelled || state_.queue.empty() ? kNever : 0;
    }
    void cancel() override { state_.cancelled = true; }

   private:
    State& state_;
  };
};

// One WorkerService over a PushSource and a caller straight to its USER port (as the
// director would be), on a virtual clock.
class AsyncSource : public ::testing::Test {
 protected:
  explicit AsyncSource(worker::WorkerConfig config = worker_config("worker-a")) {
    auto source = std::make_unique<PushSource>();
    push = source.get();
    service = std::make_unique<WorkerService>(
        config, [this] { return now; }, std::move(source));
    EXPECT_TRUE(service->add_user_methods(user));
    conn = std::make_unique<Conn>(user);
  }
  // The connection goes first: ending its calls runs their on_done, which writes `status`
  // and `items` (declared after it, so otherwise destroyed before it).
  ~AsyncSource() override {
    service->stop();
    conn.reset();
  }

  // Starts Worker/Generate for `prompt` (tokens start_seq..max_tokens) with `prefix`.
  void generate(std::uint32_t max_tokens,
                std::uint64_t start_seq,
                const std::vector<std::string>& prefix = {}) {
    rpc::ClientCallbacks<v1::WorkerItem> callbacks;
    callbacks.on_message = [this](v1::WorkerItem&& item) { items.push_back(std::move(item)); };
    callbacks.on_done = [this](const rpc::Status& s) { status = s; };
    auto c = rpc::start_call<v1::WorkerGenerateRequest, v1::WorkerItem>(
        *conn->client,
        rpc::CallOptions{
            .method = std::string(kWorkerGenerate), .deadline = kNever, .metadata = {}},
        std::move(callbacks),
        now);
    ASSERT_TRUE(c);
    call = *c;
    v1::WorkerGenerateRequest request;
    request.set_prompt("async");
    request.set_max_tokens(max_tokens);
    request.set_start_seq(start_seq);
    for (const auto& p : prefix) {
      request.add_prefix(p);
    }
    ASSERT_TRUE(call.write(request));
    ASSERT_TRUE(call.half_close());
    settle();
  }

  // Loop turns at `now` until quiet: fire the service when due, deliver. A service that
  // kept asking to be called now (a busy poll) would never get quiet.
  void settle() {
    for (int turn = 0; turn < 1000; ++turn) {
      bool fired = false;
      if (service->deadline() <= now) {
        service->on_timeout(now);
        fired = true;
      }
      if (conn->link.pump(now) == 0 && !fired) {
        return;
      }
    }
    ADD_FAILURE() << "the service never went quiet";
  }

  worker::TokenItem token(std::uint64_t seq) const {
    return {seq, worker::demo_token("async", seq)};
  }
  std::uint64_t tokens_received() const {
    return static_cast<std::uint64_t>(
        std::count_if(items.begin(), items.end(), [](const auto& i) { return i.has_token(); }));
  }

  Timestamp now = 1000 * kSecond;
  rpc::Registry user;
  PushSource* push = nullptr;
  std::unique_ptr<WorkerService> service;
  std::unique_ptr<Conn> conn;
  rpc::ClientCall<v1::WorkerGenerateRequest, v1::WorkerItem> call;
  std::vector<v1::WorkerItem> items;
  std::optional<rpc::Status> status;
};

TEST_F(AsyncSource, WaitsForNotifyWithoutPollingThenStreamsToDone) {
  generate(3, 2, {"a ", "b ", "c "});
  ASSERT_EQ(push->streams.size(), 1U);
  PushSource::State& s = *push->streams[0];
  EXPECT_EQ(s.start.request.start_seq, 2U);
  EXPECT_EQ(s.start.request.prompt, "async");
  EXPECT_EQ(s.start.prefix, (std::vector<std::string>{"a ", "b ", "c "}));
  EXPECT_EQ(s.start.now, now);
  EXPECT_EQ(service->status().load, 1U);
  const int polls_at_start = s.polls;
  EXPECT_LE(polls_at_start, 1);

  // Nothing pushed: the service has nothing to do, however long and however often its
  // owner's loop turns (for other reasons).
  EXPECT_EQ(service->deadline(), kNever);
  for (int i = 0; i < 100; ++i) {
    now += 100 * kMillisecond;
    service->on_timeout(now);
    settle();
  }
  EXPECT_EQ(s.polls, polls_at_start) << "polled while the source waited for its server";
  EXPECT_TRUE(items.empty());

  // A token arrives: the Notify makes the stream due; one turn forwards it.
  s.push(token(2));
  EXPECT_LE(service->deadline(), now);
  settle();
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0].token().seq(), 2U);
  EXPECT_EQ(items[0].token().text(), worker::demo_token("async", 2));
  EXPECT_EQ(items[0].token().emit_ns(), now);
  EXPECT_EQ(s.polls, polls_at_start + 2) << "one poll for the token, one that found no more";
  EXPECT_EQ(service->deadline(), kNever);

  // Two at once: both in one turn; then Done with the source's count.
  s.queue.push_back(token(3));
  s.push(worker::DoneItem{2, worker::FinishReason::kStop});
  settle();
  ASSERT_EQ(items.size(), 3U);
  EXPECT_EQ(items[1].token().seq(), 3U);
  ASSERT_TRUE(items[2].has_done());
  EXPECT_EQ(items[2].done().tokens(), 2U);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ok()) << status->to_string();
  EXPECT_FALSE(s.cancelled) << "a finished stream is not cancelled";
  EXPECT_EQ(service->stats().streams_done, 1U);
  EXPECT_EQ(service->stats().tokens, 2U);
  EXPECT_EQ(service->status().load, 0U);
}

class AsyncSourceSmallWindow : public AsyncSource {
 protected:
  static worker::WorkerConfig config() {
    auto c = worker_config("worker-a");
    c.prefix_window = 2;
    return c;
  }
  AsyncSourceSmallWindow() : AsyncSource(config()) {}
};

// The service hands the source the director's whole prefix, whatever prefix_window says:
// a model server continuing an answer needs all of it (the synthetic source keeps its
// window itself).
TEST_F(AsyncSourceSmallWindow, TheWholePrefixReachesTheSource) {
  generate(0, 4, {"a ", "b ", "c "});
  ASSERT_EQ(push->streams.size(), 1U);
  EXPECT_EQ(push->streams[0]->start.prefix, (std::vector<std::string>{"a ", "b ", "c "}));
}

TEST_F(AsyncSource, SourceErrorEndsTheCallUnavailable) {
  generate(10, 1);
  PushSource::State& s = *push->streams[0];
  s.push(token(1));
  s.push(worker::ErrorItem{worker::ErrorCause::kUnavailable, "model server: 503"});
  settle();
  ASSERT_EQ(items.size(), 2U);
  ASSERT_TRUE(items[1].has_error());
  EXPECT_EQ(items[1].error().message(), "model server: 503");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, rpc::StatusCode::kUnavailable);
  EXPECT_EQ(service->stats().streams_failed, 1U);
}

TEST_F(AsyncSource, OutOfSequenceTokenIsAProtocolError) {
  generate(10, 5);
  PushSource::State& s = *push->streams[0];
  s.push(token(5));
  s.push(token(7));  // 6 skipped: the director would see a gap
  settle();
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].token().seq(), 5U);
  ASSERT_TRUE(items[1].has_error());
  EXPECT_EQ(items[1].error().message(), "token source sent seq 7, expected 6");
  EXPECT_TRUE(s.cancelled);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, rpc::StatusCode::kUnavailable);
}

TEST_F(AsyncSource, CallerCancelCancelsTheSource) {
  generate(0, 1);
  PushSource::State& s = *push->streams[0];
  call.cancel();
  settle();
  EXPECT_TRUE(s.cancelled);
  EXPECT_EQ(service->stats().streams_cancelled, 1U);
  EXPECT_EQ(service->status().load, 0U);
}

TEST_F(AsyncSource, StopCancelsTheSource) {
  generate(0, 1);
  service->stop();
  EXPECT_TRUE(push->streams[0]->cancelled);
}

TEST_F(AsyncSource, RefusedStartEndsTheCallUnavailable) {
  push->refuse = true;
  generate(10, 1);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, rpc::StatusCode::kUnavailable);
  EXPECT_EQ(status->message, "unavailable: model server at capacity");
  EXPECT_TRUE(items.empty());
  EXPECT_EQ(service->stats().streams_refused, 1U);
  EXPECT_EQ(service->stats().streams_accepted, 0U);
}

// The failure plan is the worker's, not the source's: it applies around an asynchronous
// source too, even while the source waits (its deadline is kNever).
class AsyncSourceFailing : public AsyncSource {
 protected:
  AsyncSourceFailing()
      : AsyncSource(worker_config("worker-a", worker::FailMode::kError, 10 * kSecond)) {}
};

TEST_F(AsyncSourceFailing, InjectedErrorEndsTheStreamAndCancelsTheSource) {
  generate(0, 1);
  PushSource::State& s = *push->streams[0];
  s.push(token(1));
  settle();
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(service->deadline(), 1010 * kSecond);  // only the plan's
  now = service->deadline();
  settle();
  ASSERT_EQ(items.size(), 2U);
  ASSERT_TRUE(items[1].has_error());
  EXPECT_EQ(items[1].error().message(), "simulated worker failure");
  EXPECT_TRUE(s.cancelled);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, rpc::StatusCode::kUnavailable);
}

class AsyncSourceHanging : public AsyncSource {
 protected:
  AsyncSourceHanging()
      : AsyncSource(worker_config("worker-a", worker::FailMode::kHang, 10 * kSecond)) {}
};

TEST_F(AsyncSourceHanging, HangStopsOutputAndCancelsTheSource) {
  generate(0, 1);
  PushSource::State& s = *push->streams[0];
  now += 10 * kSecond;
  settle();
  EXPECT_TRUE(s.cancelled);
  EXPECT_TRUE(service->status().hung);
  s.queue.push_back(token(1));
  settle();
  EXPECT_TRUE(items.empty());
  EXPECT_FALSE(status) << "a hung worker keeps its calls open";
}

}  // namespace
}  // namespace connswap::services::testing
