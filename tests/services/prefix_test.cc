// What a worker continuing a stream is handed: the whole delivered prefix (tokens
// 1..start_seq-1), which a model server needs to continue the answer. Over in-memory links
// with virtual time; the workers' token source records each StreamStart and produces the
// synthetic tokens (the synthetic generator itself only looks at its last 256 tokens).

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "migration/keys.h"
#include "services/scenario.h"
#include "services/world.h"
#include "worker/generator.h"
#include "worker/synthetic_source.h"

namespace connswap::services::testing {
namespace {

constexpr std::size_t kWholeHistory = 1'000'000;  // the worker passes every prefix token on

// Records what each stream started with, then serves it like the synthetic source.
class RecordingSource final : public worker::TokenSource {
 public:
  explicit RecordingSource(std::vector<worker::StreamStart>& starts)
      : starts_(starts),
        inner_({.token_interval = 500 * kMillisecond, .prefix_window = kWholeHistory}) {}

  Result<std::unique_ptr<worker::TokenStream>> start(worker::StreamStart start,
                                                     worker::Notify notify) override {
    starts_.push_back(start);
    return inner_.start(std::move(start), std::move(notify));
  }

 private:
  std::vector<worker::StreamStart>& starts_;
  worker::SyntheticSource inner_;
};

struct Recorded {
  std::vector<worker::StreamStart> starts;  // on every worker, in order
};

void add_recording_worker(World& world, Recorded& rec, worker::WorkerConfig config) {
  config.prefix_window = kWholeHistory;
  world.add_worker(std::move(config), std::make_unique<RecordingSource>(rec.starts));
}

// True if `start` carries every token before its start_seq, as the stream's text.
void expect_whole_prefix(const worker::StreamStart& start) {
  const std::uint64_t seq = start.request.start_seq;
  ASSERT_EQ(start.prefix.size(), seq - 1);
  for (std::uint64_t i = 1; i < seq; ++i) {
    ASSERT_EQ(start.prefix[i - 1], worker::demo_token(start.request.prompt, i)) << i;
  }
}

const worker::StreamStart* continuation(const Recorded& rec) {
  for (const auto& s : rec.starts) {
    if (s.request.start_seq > 1) {
      return &s;
    }
  }
  return nullptr;
}

TEST(Prefix, AfterAWorkerFailureTheNextWorkerGetsEveryDeliveredToken) {
  World world;
  Recorded rec;
  // worker-a fails in-band after 150 s (~300 tokens at 500 ms): past the 256-token window,
  // so the next worker must get 1..N-1, not the newest 256.
  add_recording_worker(
      world, rec, worker_config("worker-a", worker::FailMode::kError, 150 * kSecond));
  add_recording_worker(world, rec, worker_config("worker-b"));
  auto& node = world.add_client(client_config(1, 400));
  ASSERT_TRUE(world.run_until_clients_done(400 * kSecond));

  EXPECT_TRUE(node.client->summary().verified) << client::format_summary(node.client->summary());
  EXPECT_EQ(node.client->summary().migrations, 1U);
  const worker::StreamStart* next = continuation(rec);
  ASSERT_NE(next, nullptr);
  EXPECT_GT(next->request.start_seq, 257U);  // more than delivered_window tokens before it
  expect_whole_prefix(*next);
  const DirectorStats stats = world.director->stats();
  EXPECT_EQ(stats.router.prefixes_truncated, 0U);
  EXPECT_EQ(stats.router.prefix_bytes, 0U);  // every stream ended
}

migration::Keyring keyring() {
  auto key = migration::generate_cluster_key("k1");
  EXPECT_TRUE(key);
  auto ring = migration::Keyring::create(std::span(&*key, 1));
  EXPECT_TRUE(ring);
  return std::move(*ring);
}

// A stream resumed on a restarted director keeps its whole prefix only when the client
// sends every token it received (Resume.delivered); else the snapshot's window and the
// client's recent tokens are all the next worker gets, and the director counts it.
TEST(Prefix, AResumedStreamKeepsTheWholePrefixWhenTheClientSendsIt) {
  for (const bool send_delivered : {true, false}) {
    SCOPED_TRACE(send_delivered ? "delivered" : "window only");
    World world(director::DirectorConfig{.delivered_window = 16});
    const migration::Keyring ring = keyring();
    world.on_director_start = [&world, ring](DirectorService& d) {
      d.enable_resume(ring,
                      ResumeConfig{.every_tokens = 5, .every = 0, .ttl_seconds = 300, .policy = {}},
                      [&world] { return world.wall_now(); });
    };
    world.on_director_start(*world.director);
    Recorded rec;
    add_recording_worker(world, rec, worker_config("worker-a"));
    GenerateClientConfig config = client_config(1, 80);
    config.prefix_max_tokens = send_delivered ? director::kDefaultPrefixMaxTokens : 0;
    auto& node = world.add_client(config);
    world.run_for(20 * kSecond);  // ~40 tokens: more than the 16-token window

    world.restart_director(/*tell_workers=*/true);
    ASSERT_EQ(world.reconnect(node), 1U);
    ASSERT_TRUE(world.run_until_clients_done(120 * kSecond));

    EXPECT_TRUE(node.client->summary().verified) << client::format_summary(node.client->summary());
    const worker::StreamStart* next = continuation(rec);
    ASSERT_NE(next, nullptr);
    EXPECT_GT(next->request.start_seq, 17U);
    if (send_delivered) {
      expect_whole_prefix(*next);
    } else {
      EXPECT_LT(next->prefix.size(), next->request.start_seq - 1);
    }
    EXPECT_EQ(world.director->stats().router.prefixes_truncated, send_delivered ? 0U : 1U);
  }
}

}  // namespace
}  // namespace connswap::services::testing
