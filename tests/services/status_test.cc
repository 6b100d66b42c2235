// The director's status snapshot and feed (DirectorService::worker_status, stream_status,
// gap_histogram, on_status_event) and the HTTP front's status routes over them, in the
// in-memory World (real DirectorService and workers, virtual time, no sockets): a worker
// that crashes mid-stream shows as lost, the stream as migrated once with its reason, the
// feed carries the migration, the gap and the worker's change.

#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "base/log.h"
#include "front/http_session.h"
#include "front/status_feed.h"
#include "services/recording_transport.h"
#include "services/scenario.h"
#include "services/world.h"

namespace connswap::services::testing {
namespace {

using worker::FailMode;

// The director as the front sees it, with its status (as apps/director wires it).
class Backend final : public front::Backend, public front::StatusSource {
 public:
  explicit Backend(World& world) : world_(world), feed_(4, feed_stats) {
    world_.director->on_status_event([this](const StatusEvent& e) { feed_.publish(e); });
  }
  ~Backend() override { world_.director->on_status_event(nullptr); }
  void open_stream(std::unique_ptr<ClientSink> sink,
                   std::string connection_id,
                   const v1::GenerateRequest& request) override {
    world_.director->open_stream(std::move(sink), std::move(connection_id), request);
  }
  bool ready() const override { return true; }
  std::vector<std::string> models() const override { return world_.director->models(); }
  std::int64_t unix_now() const override { return world_.wall_now(); }
  std::size_t max_request_bytes() const override { return world_.director->max_request_bytes(); }
  front::StatusSource* status() override { return this; }
  // front::StatusSource
  std::vector<StatusWorker> workers() const override { return world_.director->worker_status(); }
  std::vector<StatusStream> streams() const override { return world_.director->stream_status(); }
  GapHistogram gaps() const override { return world_.director->gap_histogram(); }
  front::StatusFeed& feed() override { return feed_; }

  front::StatusFeedStats feed_stats;

 private:
  World& world_;
  front::StatusFeed feed_;
};

// One HTTP connection to the front.
struct Conn {
  Conn(World& w, Backend& backend, const front::HttpFrontConfig& config)
      : world(w), transport(w), session(transport, backend, config, stats, "http-1", "peer") {}
  std::string get(std::string_view target) {
    transport.out.clear();
    session.on_data(world.now, "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    transport.run_deferred();
    return transport.out;
  }
  World& world;
  RecordingTransport transport;
  front::HttpFrontStats stats;
  front::HttpSession session;
};

constexpr std::string_view kLong = R"({"prompt":"count","max_tokens":400,"stream":true})";

std::string post(std::string_view body) {
  return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

struct Cluster {
  Cluster() {
    world.add_worker(worker_config("worker-b"));
    world.run_for(100 * kMillisecond);
    world.add_worker(worker_config("worker-a"));
    world.run_for(100 * kMillisecond);
    backend = std::make_unique<Backend>(world);
  }
  // Runs in 10 ms steps, running every connection's deferred calls.
  void run_for(Duration d, std::initializer_list<Conn*> conns) {
    const Timestamp end = world.now + d;
    while (world.now < end) {
      world.run_for(10 * kMillisecond);
      for (Conn* c : conns) {
        c->transport.run_deferred();
      }
    }
  }
  World world;
  std::unique_ptr<Backend> backend;
  front::HttpFrontConfig config;
};

// Raises the named loggers to error level while alive.
class Quiet {
 public:
  explicit Quiet(std::initializer_list<const char*> names) {
    for (const char* name : names) {
      spdlog::logger& l = log::get(name);
      saved_.emplace_back(&l, l.level());
      l.set_level(spdlog::level::err);
    }
  }
  ~Quiet() {
    for (auto& [l, level] : saved_) {
      l->set_level(level);
    }
  }

 private:
  std::vector<std::pair<spdlog::logger*, spdlog::level::level_enum>> saved_;
};

const StatusWorker* find(const std::vector<StatusWorker>& workers, std::string_view label) {
  for (const StatusWorker& w : workers) {
    if (w.label == label) {
      return &w;
    }
  }
  return nullptr;
}

TEST(DirectorStatus, ACrashedWorkerIsLostAndItsStreamMigratedOnceWithTheReason) {
  Cluster c;
  std::vector<StatusEvent> events;
  c.world.director->on_status_event([&](const StatusEvent& e) { events.push_back(e); });
  Conn client(c.world, *c.backend, c.config);
  client.session.on_data(c.world.now, post(kLong));
  c.run_for(1 * kSecond, {&client});
  std::vector<StatusStream> streams = c.world.director->stream_status();
  ASSERT_EQ(streams.size(), 1U);
  const std::string first = streams[0].worker;
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(streams[0].migration_count, 0U);
  EXPECT_GT(streams[0].tokens, 0U);
  EXPECT_EQ(streams[0].age, 1 * kSecond);
  const std::vector<StatusWorker> before = c.world.director->worker_status();
  ASSERT_EQ(before.size(), 2U);
  EXPECT_EQ(find(before, first)->health, "healthy");
  EXPECT_EQ(find(before, first)->streams, 1U);
  EXPECT_GT(find(before, first)->tokens_per_s, 0.0);

  c.world.worker(first).crash();
  c.run_for(3 * kSecond, {&client});

  streams = c.world.director->stream_status();
  ASSERT_EQ(streams.size(), 1U);  // still streaming, elsewhere
  EXPECT_NE(streams[0].worker, first);
  EXPECT_EQ(streams[0].migration_count, 1U);
  ASSERT_EQ(streams[0].migrations.size(), 1U);
  EXPECT_EQ(streams[0].migrations[0].from, first);
  EXPECT_EQ(streams[0].migrations[0].to, streams[0].worker);
  EXPECT_EQ(streams[0].migrations[0].reason, "connection_lost");
  const std::vector<StatusWorker> after = c.world.director->worker_status();
  EXPECT_EQ(find(after, first)->health, "lost");
  EXPECT_EQ(find(after, first)->failures, 1U);
  EXPECT_EQ(find(after, first)->streams, 0U);
  EXPECT_EQ(find(after, first)->tokens_per_s, 0.0);
  EXPECT_GT(find(after, streams[0].worker)->tokens_per_s, 0.0);
  EXPECT_EQ(c.world.director->gap_histogram().total, 1U);

  std::vector<std::string> kinds;
  std::vector<std::string> first_reports;  // each worker once, at subscription
  for (const StatusEvent& e : events) {
    if (e.kind == StatusEvent::Kind::kWorkerState && e.from == "new") {
      first_reports.push_back(e.worker + ":" + e.to);
      continue;
    }
    kinds.push_back(
        std::string(to_string(e.kind)) + ":" +
        (e.kind == StatusEvent::Kind::kWorkerState ? e.worker + ":" + e.to : e.from + ">" + e.to));
  }
  EXPECT_EQ(first_reports, (std::vector<std::string>{"worker-a:healthy", "worker-b:healthy"}));
  const std::string other = streams[0].worker;
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"migration:" + first + ">" + other,
                                      "worker:" + first + ":lost",
                                      "gap:" + first + ">" + other}));
}

TEST(DirectorStatus, TheFrontServesThePageTheJsonAndTheLiveFeed) {
  Cluster c;
  Conn client(c.world, *c.backend, c.config);
  Conn feed(c.world, *c.backend, c.config);
  Conn page(c.world, *c.backend, c.config);
  client.session.on_data(c.world.now, post(kLong));
  const std::string head = feed.get("/debug/events");
  ASSERT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_FALSE(feed.transport.reading);  // the connection is the feed's now
  c.run_for(1 * kSecond, {&client, &feed});
  const std::string first = c.world.director->stream_status().at(0).worker;
  c.world.worker(first).crash();
  c.run_for(3 * kSecond, {&client, &feed});

  const std::string& events = feed.transport.out;
  EXPECT_NE(events.find("event: migration\ndata: {\"connection_id\":\"http-1\",\"from\":\"" +
                        first + "\",\"reason\":\"connection_lost\""),
            std::string::npos)
      << events;
  EXPECT_NE(events.find("event: worker\ndata: {\"from\":\"healthy\",\"to\":\"lost\",\"worker\":\"" +
                        first + "\"}"),
            std::string::npos);
  EXPECT_NE(events.find("event: gap\n"), std::string::npos);

  const std::string html = page.get("/status?sort=tokens");
  EXPECT_EQ(html.rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
  EXPECT_NE(html.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy: default-src 'none';"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"h-lost\" data-worker=\"" + first + "\""), std::string::npos);
  EXPECT_NE(html.find("showing 1 of 1 streams, sorted by tokens"), std::string::npos);
  EXPECT_NE(html.find("data-count=\"1\""), std::string::npos);
  EXPECT_NE(html.find(first + " &rarr; "), std::string::npos);
  EXPECT_EQ(page.get("/").find("<h1>connswap director</h1>") != std::string::npos, true);
  const std::string workers = page.get("/debug/workers");
  EXPECT_NE(workers.find("\"health\":\"lost\""), std::string::npos) << workers;
  const std::string one = page.get("/debug/workers?limit=1");
  EXPECT_NE(one.find("\"label\":\"worker-a\""), std::string::npos) << one;
  EXPECT_EQ(one.find("\"label\":\"worker-b\""), std::string::npos) << one;
  const std::string streams = page.get("/debug/streams");
  EXPECT_NE(streams.find("\"migration_count\":1"), std::string::npos) << streams;
  EXPECT_NE(streams.find("\"reason\":\"connection_lost\""), std::string::npos);
  EXPECT_NE(page.get("/debug/streams?limit=0").find("\"shown\":0,\"sort\":\"migrations\""),
            std::string::npos);
  EXPECT_NE(page.get("/debug/gaps").find("\"total\":1"), std::string::npos);
  EXPECT_EQ(page.get("/debug/events").rfind("HTTP/1.1 200", 0), 0U);  // any connection
  EXPECT_EQ(page.stats.status_pages, 8U);
}

TEST(DirectorStatus, ASlowFeedSubscriberLosesOldEventsAndNeverGrowsItsBuffer) {
  Cluster c;
  Conn feed(c.world, *c.backend, c.config);
  feed.get("/debug/events");
  feed.transport.queued_bytes = c.config.completion.write_high_water;  // not reading
  const std::size_t written = feed.transport.out.size();
  c.world.director->on_status_event(nullptr);  // publish by hand below: 10 events
  for (int i = 0; i < 10; ++i) {
    StatusEvent e;
    e.kind = StatusEvent::Kind::kWorkerState;
    e.worker = "w" + std::to_string(i);
    c.backend->feed().publish(e);
  }
  feed.transport.run_deferred();
  EXPECT_EQ(feed.transport.out.size(), written);  // nothing written while backed up
  EXPECT_EQ(c.backend->feed_stats.dropped, 6U);   // a queue of 4 (Backend's feed)
  feed.transport.queued_bytes = 0;
  feed.session.on_drained(c.world.now);
  const std::string tail = feed.transport.out.substr(written);
  EXPECT_EQ(tail.find("\"w5\""), std::string::npos);
  for (const char* kept : {"\"w6\"", "\"w7\"", "\"w8\"", "\"w9\""}) {
    EXPECT_NE(tail.find(kept), std::string::npos) << tail;
  }
  // Two quiet keep-alive periods with bytes stuck: the subscriber is closed.
  feed.transport.queued_bytes = 1;
  feed.session.on_deadline(c.world.now);
  EXPECT_FALSE(feed.transport.closed);
  feed.session.on_deadline(c.world.now);
  EXPECT_TRUE(feed.transport.closed);
  EXPECT_EQ(c.backend->feed_stats.subscribers, 0U);
}

// 10,000 open streams (10 clients x 1,000): GET /status renders the cap with the count
// and /debug/streams?limit= honours its limit; the time of a snapshot + render is printed.
TEST(DirectorStatus, TenThousandOpenStreamsRenderTheCap) {
  Quiet quiet({"client", "director", "worker"});  // 10,000 streams' lines, and their ends
  Cluster c;
  for (int i = 0; i < 10; ++i) {
    auto config = client_config(1'000, 100'000, "conn-" + std::to_string(i));
    config.log_tokens = false;
    c.world.add_client(config);
  }
  c.world.run_for(50 * kMillisecond);
  ASSERT_EQ(c.world.director->stats().active_streams, 10'000U);
  Conn page(c.world, *c.backend, c.config);
  const auto start = std::chrono::steady_clock::now();
  const std::string html = page.get("/status?sort=tokens");
  const auto took = std::chrono::steady_clock::now() - start;
  std::printf("GET /status with 10,000 open streams: %.1f ms, %zu bytes\n",
              std::chrono::duration<double, std::milli>(took).count(),
              html.size());
  EXPECT_NE(html.find("showing 500 of 10000 streams, sorted by tokens"), std::string::npos);
  std::size_t rows = 0;
  for (auto p = html.find("<tr data-connection="); p != std::string::npos;
       p = html.find("<tr data-connection=", p + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, 500U);
  const std::string json = page.get("/debug/streams?limit=20");
  EXPECT_NE(json.find("\"shown\":20,"), std::string::npos) << json.substr(0, 300);
  EXPECT_NE(json.find("\"total\":10000"), std::string::npos);
}

TEST(DirectorStatus, StatusOffMeansNotFound) {
  Cluster c;
  c.config.status.access = front::StatusAccess::kOff;
  Conn page(c.world, *c.backend, c.config);
  for (const char* target : {"/", "/status", "/debug/workers", "/debug/streams", "/debug/events"}) {
    EXPECT_EQ(page.get(target).rfind("HTTP/1.1 404", 0), 0U) << target;
  }
  c.config.status.access = front::StatusAccess::kOn;
  EXPECT_EQ(page.get("/status").rfind("HTTP/1.1 200", 0), 0U);
  EXPECT_EQ(page.get("/v1/models").rfind("HTTP/1.1 200", 0), 0U);  // the rest unchanged
}

TEST(DirectorStatus, OperatorAccessNeedsTheOperatorRole) {
  Cluster c;
  c.config.status.access = front::StatusAccess::kOperator;
  Conn page(c.world, *c.backend, c.config);
  for (PeerRole role : {PeerRole::kClient, PeerRole::kWorker}) {
    page.transport.roles = {};
    page.transport.roles.add(role);
    for (const char* target :
         {"/", "/status", "/debug/workers", "/debug/streams", "/debug/gaps", "/debug/events"}) {
      const std::string answer = page.get(target);
      EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0U) << target;
      EXPECT_NE(answer.find("operator_certificate_required"), std::string::npos) << target;
    }
  }
  EXPECT_EQ(page.stats.status_refused, 12U);
  EXPECT_EQ(page.stats.status_pages, 0U);
  EXPECT_EQ(page.get("/v1/models").rfind("HTTP/1.1 200", 0), 0U);  // the rest unchanged
  page.transport.roles.add(PeerRole::kOperator);
  EXPECT_EQ(page.get("/debug/workers").rfind("HTTP/1.1 200", 0), 0U);
  EXPECT_EQ(page.stats.status_pages, 1U);
}

}  // namespace
}  // namespace connswap::services::testing
