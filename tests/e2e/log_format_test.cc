// --log-format json on the real programs: a director (and a worker) logging JSON through a
// failover emit only parseable JSON objects, carrying the seed's log fields as members.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {
namespace {

// Every stderr line of `text` as a JSON object with string ts/level/logger/msg; a line
// that does not parse fails the test (and is left out).
std::vector<nlohmann::json> json_lines(const std::string& who, const std::string& text) {
  std::vector<nlohmann::json> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end;
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      ADD_FAILURE() << who << ": not a JSON object: " << line;
      continue;
    }
    for (const char* key : {"ts", "level", "logger", "msg"}) {
      EXPECT_TRUE(j.contains(key) && j[key].is_string()) << who << ": no " << key << ": " << line;
    }
    out.push_back(std::move(j));
  }
  return out;
}

// The first object whose msg contains `needle` (null if none).
nlohmann::json find_msg(const std::vector<nlohmann::json>& lines, const std::string& needle) {
  for (const auto& j : lines) {
    if (j.value("msg", "").find(needle) != std::string::npos) {
      return j;
    }
  }
  return nullptr;
}

TEST(LogFormat, JsonDirectorAndWorkerThroughAFailover) {
  Cluster c;
  c.start_director({{"--log-format", "json"}});
  c.start_worker("worker-a", {}, /*wait_registered=*/false);
  c.start_worker("worker-b", {{"--log-format", "json"}}, /*wait_registered=*/false);
  for (const char* label : {"worker-a", "worker-b"}) {
    const std::string field = std::string(R"("worker":")") + label + R"(")";
    ASSERT_TRUE(c.director().process->wait_for_log({field, "worker registered"}, kStartBudget))
        << c.logs();
  }
  auto& client = c.start_client("client", {{"--max-tokens", "60"}});
  ASSERT_TRUE(wait_token(client, 10)) << c.logs();
  const std::string victim = assigned_worker(client);
  ASSERT_FALSE(victim.empty()) << c.logs();
  ASSERT_TRUE(c.find_node(victim)->process->signal(SIGKILL));
  const Summary summary = c.finish_client(client);
  expect_intact(c, client, summary, 60);
  EXPECT_EQ(summary.num("migrations"), 1u);
  c.shutdown();

  const auto director = json_lines("director", c.director().process->stderr_text());
  ASSERT_FALSE(director.empty());
  const auto registered = find_msg(director, "worker registered");
  ASSERT_FALSE(registered.is_null());
  EXPECT_TRUE(registered.contains("user_addr")) << registered;
  EXPECT_EQ(registered["logger"], "director");
  EXPECT_EQ(registered["level"], "info");
  const auto assigned = find_msg(director, "worker assigned to stream");
  ASSERT_FALSE(assigned.is_null());
  EXPECT_EQ(assigned.value("connection.id", ""), "conn-client") << assigned;
  EXPECT_EQ(assigned.value("worker", ""), victim) << assigned;
  EXPECT_TRUE(assigned.contains("stream.id")) << assigned;
  const auto migrating = find_msg(director, "migrating");
  ASSERT_FALSE(migrating.is_null());
  EXPECT_EQ(migrating.value("from_worker", ""), victim) << migrating;
  EXPECT_EQ(migrating.value("connection.id", ""), "conn-client") << migrating;
  EXPECT_TRUE(migrating.contains("to_worker")) << migrating;

  if (victim != "worker-b") {  // a SIGKILLed worker's last line may be cut short
    const auto worker = json_lines("worker-b", c.find_node("worker-b")->process->stderr_text());
    EXPECT_FALSE(find_msg(worker, "registered with director").is_null());
  }
}

}  // namespace
}  // namespace connswap::e2e
