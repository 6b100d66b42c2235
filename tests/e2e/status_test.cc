// The director's status page, /debug/* JSON and /debug/events feed (issue 17) on the real
// programs: a worker SIGKILLed mid-stream shows as lost, the stream as migrated once with
// its reason, and the live feed (curl) carries the migration and the worker's change.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/http_client.h"

namespace connswap::e2e {
namespace {

using nlohmann::json;

// The parsed body of GET `path`, or null when it is not JSON.
json get_json(Cluster& c, const std::string& path) {
  return json::parse(http_get(http_addr(c), path), nullptr, /*allow_exceptions=*/false);
}

std::string health_of(const json& workers, const std::string& label) {
  if (!workers.is_object()) {
    return "";
  }
  for (const json& w : workers["workers"]) {
    if (w["label"] == label) {
      return w["health"].get<std::string>();
    }
  }
  return "";
}

TEST(StatusPage, AKilledWorkerIsLostAndItsStreamShowsOneMigration) {
  Cluster c;
  c.start_director({{"--http-addr", "127.0.0.1:0"}});
  c.start_worker("worker-b");
  c.start_worker("worker-a");  // round robin: the first stream goes to worker-a
  auto& feed = curl_get(c, "curl-feed", "/debug/events");
  ASSERT_TRUE(testing::poll_until(
      [&] { return health_of(get_json(c, "/debug/workers"), "worker-a") == "healthy"; },
      kStartBudget));
  auto& curl = curl_post(c, "curl-chat", "/v1/chat/completions", chat_body(200, true, "go on"));
  ASSERT_TRUE(wait_events(curl, 6)) << c.logs();
  const json before = get_json(c, "/debug/streams");
  ASSERT_EQ(before["total"], 1) << before.dump();
  EXPECT_EQ(before["streams"][0]["worker"], "worker-a");
  EXPECT_EQ(before["streams"][0]["migration_count"], 0);
  const std::string page = http_get(http_addr(c), "/status");
  EXPECT_NE(page.find(R"(data-worker="worker-a" data-health="healthy")"), std::string::npos);
  EXPECT_NE(page.find("showing 1 of 1 streams"), std::string::npos);

  ASSERT_TRUE(c.find_node("worker-a")->process->signal(SIGKILL));
  json streams;
  ASSERT_TRUE(testing::poll_until(
      [&] {
        streams = get_json(c, "/debug/streams");
        return streams.is_object() && streams["total"] == 1 &&
               streams["streams"][0]["migration_count"] == 1;
      },
      kStreamBudget))
      << streams.dump() << c.logs();
  const json& s = streams["streams"][0];
  EXPECT_EQ(s["worker"], "worker-b");
  ASSERT_EQ(s["migrations"].size(), 1U);
  EXPECT_EQ(s["migrations"][0]["from"], "worker-a");
  EXPECT_EQ(s["migrations"][0]["to"], "worker-b");
  EXPECT_FALSE(s["migrations"][0]["reason"].get<std::string>().empty());
  std::string health;
  EXPECT_TRUE(testing::poll_until(
      [&] {
        health = health_of(get_json(c, "/debug/workers"), "worker-a");
        return health == "lost" || health == "failed-hold";
      },
      kStreamBudget))
      << health;
  EXPECT_TRUE(testing::poll_until(
      [&] {
        const std::string events = feed.stdout_text();
        return events.find("event: migration\ndata: ") != std::string::npos &&
               events.find(R"("from":"worker-a","reason":)") != std::string::npos &&
               events.find(R"("to":"lost","worker":"worker-a")") != std::string::npos;
      },
      kStreamBudget))
      << feed.stdout_text();
  const std::string html = http_get(http_addr(c), "/status?sort=tokens");
  EXPECT_NE(html.find(R"(data-worker="worker-a" data-health="lost")"), std::string::npos)
      << html.substr(0, 2000);
  EXPECT_NE(html.find(R"(data-count="1")"), std::string::npos);
  EXPECT_NE(html.find("sorted by tokens"), std::string::npos);
  // The gap is known at the new worker's first token, which may follow the migration.
  json gaps;
  EXPECT_TRUE(testing::poll_until(
      [&] {
        gaps = get_json(c, "/debug/gaps");
        return gaps.is_object() && gaps["total"] == 1;
      },
      kStreamBudget))
      << gaps.dump();
  const SseAnswer answer = parse_sse(curl_output(c, curl));
  EXPECT_EQ(answer.completion_tokens(), 200);
}

TEST(StatusPage, OffMeansNotFound) {
  Cluster c;
  c.start_director({{"--http-addr", "127.0.0.1:0"}, {"--http-status", "off"}});
  for (const char* path : {"/", "/status", "/debug/workers", "/debug/streams", "/debug/events"}) {
    const json body = get_json(c, path);
    EXPECT_EQ(body["error"]["code"], "not_found") << path << " " << body.dump();
  }
  EXPECT_EQ(get_json(c, "/healthz")["status"], "ok");
}

// --http-status operator: over --http-tls the status routes answer only a client whose
// certificate has the operator role (connswap-certs' operator.pem); a client certificate
// without it, or none, gets 403; completions need no certificate.
TEST(StatusPage, OperatorOnlyNeedsAnOperatorCertificate) {
  Cluster c;
  c.start_director(
      {{"--http-addr", "127.0.0.1:0"}, {"--http-tls", ""}, {"--http-status", "operator"}});
  c.start_worker("worker-a");
  const std::string ca = (c.certs() / "ca.pem").string();
  auto& as_operator = curl_get(c, "curl-operator", "/status", {"", {}, ca, "operator"});
  EXPECT_NE(curl_output(c, as_operator).find("<h1>connswap director</h1>"), std::string::npos);
  for (const char* cert : {"", "client"}) {
    auto& other = curl_get(c, std::string("curl-") + cert, "/debug/workers", {"", {}, ca, cert});
    const auto status = other.wait_exit(kStreamBudget);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 22) << cert << ": curl --fail-with-body exits 22 on a 4xx";
    EXPECT_NE(other.stdout_text().find("operator_certificate_required"), std::string::npos)
        << cert << ": " << other.stdout_text();
  }
  auto& models = curl_get(c, "curl-models", "/v1/models", {"", {}, ca, ""});
  EXPECT_NE(curl_output(c, models).find("connswap-synthetic"), std::string::npos);
}

}  // namespace
}  // namespace connswap::e2e
