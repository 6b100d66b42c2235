// The status page and its JSON from plain snapshots: the cap and the count at 10,000
// streams, every ?sort= order, escaping of hostile labels and ids, the JSON parsed back.

#include "front/status_page.h"

#include <chrono>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace connswap::front {
namespace {

using services::StatusStream;
using services::StatusWorker;

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

// `n` streams with seeded, varied figures; stream i has i % 7 == 0 ? 1 : 0 migrations.
std::vector<StatusStream> streams(std::size_t n) {
  std::mt19937_64 rng(17);
  std::vector<StatusStream> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    StatusStream s;
    s.connection_id = "conn-" + std::to_string(i / 4);
    s.stream_id = i % 4 + 1;
    s.state = i % 3 == 0 ? "streaming" : "selecting";
    s.worker = "worker-" + std::to_string(rng() % 5);
    s.tokens = rng() % 100'000;
    s.age = static_cast<Duration>(rng() % 600'000) * kMillisecond;
    if (i % 7 == 0) {
      s.migration_count = 1;
      s.migrations.push_back({"worker-0", s.worker, "connection_lost", 3 * kSecond});
    }
    out.push_back(std::move(s));
  }
  return out;
}

TEST(StatusPage, TenThousandStreamsRenderTheCapWithTheCount) {
  StatusPage page;
  page.workers = {{"worker-0", "127.0.0.1:1", "healthy", 3, 40.0, 100, 0, 20 * kMillisecond}};
  page.streams = streams(10'000);
  page.sort = StreamSort::kTokens;
  const auto start = std::chrono::steady_clock::now();
  page.total_streams = select_streams(page.streams, page.sort, 500);
  const std::string html = render_status_html(page);
  const auto took = std::chrono::steady_clock::now() - start;
  std::printf("select + render of 500 of 10,000 streams: %.2f ms, %zu bytes\n",
              std::chrono::duration<double, std::milli>(took).count(),
              html.size());
  EXPECT_EQ(page.total_streams, 10'000U);
  EXPECT_EQ(page.streams.size(), 500U);
  EXPECT_EQ(count(html, "<tr data-connection="), 500U);
  EXPECT_NE(html.find("showing 500 of 10000 streams, sorted by tokens"), std::string::npos);
  EXPECT_NE(html.find(R"(data-shown="500" data-total="10000")"), std::string::npos);
  // The 500 kept are the 500 with the most tokens, in order.
  std::vector<StatusStream> all = streams(10'000);
  std::sort(all.begin(), all.end(), [](const StatusStream& a, const StatusStream& b) {
    return a.tokens > b.tokens;
  });
  EXPECT_EQ(page.streams.front().tokens, all.front().tokens);
  EXPECT_EQ(page.streams.back().tokens, all[499].tokens);
  for (std::size_t i = 1; i < page.streams.size(); ++i) {
    ASSERT_GE(page.streams[i - 1].tokens, page.streams[i].tokens);
  }
}

TEST(StatusPage, EverySortOrdersTheRowsAndTiesByIds) {
  struct Case {
    std::string_view name;
    StreamSort sort;
    std::function<bool(const StatusStream&, const StatusStream&)> ordered;
  };
  const Case cases[] = {
      {"migrations",
       StreamSort::kMigrations,
       [](auto& a, auto& b) { return a.migration_count >= b.migration_count; }},
      {"age", StreamSort::kAge, [](auto& a, auto& b) { return a.age >= b.age; }},
      {"tokens", StreamSort::kTokens, [](auto& a, auto& b) { return a.tokens >= b.tokens; }},
      {"worker", StreamSort::kWorker, [](auto& a, auto& b) { return a.worker <= b.worker; }},
      {"state", StreamSort::kState, [](auto& a, auto& b) { return a.state <= b.state; }},
      {"connection",
       StreamSort::kConnection,
       [](auto& a, auto& b) {
         return std::tie(a.connection_id, a.stream_id) < std::tie(b.connection_id, b.stream_id);
       }},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_stream_sort(c.name), c.sort);
    EXPECT_EQ(to_string(c.sort), c.name);
    std::vector<StatusStream> rows = streams(300);
    EXPECT_EQ(select_streams(rows, c.sort, 1000), 300U);
    ASSERT_EQ(rows.size(), 300U);
    for (std::size_t i = 1; i < rows.size(); ++i) {
      ASSERT_TRUE(c.ordered(rows[i - 1], rows[i])) << c.name << " at " << i;
    }
  }
  EXPECT_EQ(parse_stream_sort(""), StreamSort::kMigrations);
  EXPECT_EQ(parse_stream_sort("<script>"), StreamSort::kMigrations);
  // Ties (equal figures) are ordered by connection id, then stream id.
  std::vector<StatusStream> ties(3);
  ties[0].connection_id = "b";
  ties[1].connection_id = "a";
  ties[1].stream_id = 2;
  ties[2].connection_id = "a";
  ties[2].stream_id = 1;
  select_streams(ties, StreamSort::kTokens, 3);
  EXPECT_EQ(ties[0].connection_id + std::to_string(ties[0].stream_id), "a1");
  EXPECT_EQ(ties[2].connection_id, "b");
}

TEST(StatusPage, QueryParameters) {
  EXPECT_EQ(query_param("/status?sort=age", "sort").value_or("-"), "age");
  EXPECT_EQ(query_param("/status?a=1&sort=tokens&b", "sort").value_or("-"), "tokens");
  EXPECT_EQ(query_param("/status?a=1&b", "b").value_or("-"), "");
  EXPECT_FALSE(query_param("/status", "sort"));
  EXPECT_FALSE(query_param("/status?sorted=1", "sort"));
}

TEST(StatusPage, HostileStringsAreEscapedInHtmlAndEncodedInJson) {
  const std::string evil = R"(<script>alert("x")</script>&'w)";
  StatusPage page;
  page.workers = {{evil, evil, evil, 1, 0.0, 0, 0, 0}};
  StatusStream s;
  s.connection_id = evil;
  s.state = evil;
  s.worker = evil;
  s.migration_count = 1;
  s.migrations.push_back({evil, evil, evil, 0});
  page.streams = {s};
  page.total_streams = 1;
  const std::string html = render_status_html(page);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find(R"(="x")"), std::string::npos);
  const std::string escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;w";
  EXPECT_EQ(html_escape(evil), escaped);
  EXPECT_GE(count(html, escaped), 9U);     // every cell and attribute
  EXPECT_EQ(count(html, "<script>"), 1U);  // only the page's own

  const auto workers = nlohmann::json::parse(workers_json(page.workers));
  EXPECT_EQ(workers["workers"][0]["label"], evil);
  const auto rows = nlohmann::json::parse(streams_json(page));
  EXPECT_EQ(rows["streams"][0]["connection_id"], evil);
  EXPECT_EQ(rows["streams"][0]["migrations"][0]["reason"], evil);
  // Invalid UTF-8 is replaced, never thrown.
  page.workers[0].label = std::string("bad\xff\xfe", 5);
  const auto replaced = nlohmann::json::parse(workers_json(page.workers));
  EXPECT_EQ(replaced["workers"][0]["label"], "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(StatusPage, JsonCarriesEveryField) {
  StatusPage page;
  page.workers = {{"w1", "10.0.0.1:62000", "lost", 2, 12.5, 300, 4, 1500 * kMillisecond}};
  page.streams = streams(10);
  page.total_streams = select_streams(page.streams, StreamSort::kAge, 3);
  page.sort = StreamSort::kAge;
  const auto w = nlohmann::json::parse(workers_json(page.workers))["workers"][0];
  EXPECT_EQ(w["label"], "w1");
  EXPECT_EQ(w["address"], "10.0.0.1:62000");
  EXPECT_EQ(w["health"], "lost");
  EXPECT_EQ(w["streams"], 2);
  EXPECT_EQ(w["tokens_per_s"], 12.5);
  EXPECT_EQ(w["tokens"], 300);
  EXPECT_EQ(w["failures"], 4);
  EXPECT_EQ(w["heartbeat_age_ms"], 1500.0);
  const auto j = nlohmann::json::parse(streams_json(page));
  EXPECT_EQ(j["total"], 10);
  EXPECT_EQ(j["shown"], 3);
  EXPECT_EQ(j["sort"], "age");
  ASSERT_EQ(j["streams"].size(), 3U);
  EXPECT_EQ(j["streams"][0]["connection_id"], page.streams[0].connection_id);
  EXPECT_EQ(j["streams"][0]["tokens"], page.streams[0].tokens);
  EXPECT_TRUE(j["streams"][0].contains("migrations"));
}

TEST(StatusPage, GapChartAndJsonFollowTheHistogram) {
  services::GapHistogram gaps;
  gaps.add(3 * kMillisecond);   // <= 5 ms
  gaps.add(5 * kMillisecond);   // <= 5 ms (bounds are inclusive)
  gaps.add(40 * kMillisecond);  // <= 50 ms
  gaps.add(45 * kSecond);       // +Inf
  EXPECT_EQ(gaps.counts[1], 2U);
  EXPECT_EQ(gaps.counts[4], 1U);
  EXPECT_EQ(gaps.counts.back(), 1U);
  EXPECT_EQ(gaps.total, 4U);
  EXPECT_EQ(gaps.max, 45 * kSecond);
  const std::string svg = render_gap_svg(gaps);
  EXPECT_EQ(svg.rfind("<svg", 0), 0U);
  EXPECT_EQ(count(svg, "<rect class=\"bucket\""), gaps.counts.size());
  EXPECT_NE(svg.find(R"(data-count="2")"), std::string::npos);
  EXPECT_NE(svg.find("4 gaps, max 45.0 s"), std::string::npos);
  const auto j = nlohmann::json::parse(gaps_json(gaps));
  EXPECT_EQ(j["total"], 4);
  EXPECT_EQ(j["buckets"][1]["count"], 2);
  EXPECT_EQ(j["buckets"][1]["le_ms"], 5);
  EXPECT_TRUE(j["buckets"].back()["le_ms"].is_null());
}

TEST(StatusPage, ThePageNeedsNothingFromElsewhere) {
  const std::string html = render_status_html(StatusPage{});
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("no worker has registered"), std::string::npos);
  EXPECT_NE(html.find("showing 0 of 0 streams"), std::string::npos);
}

}  // namespace
}  // namespace connswap::front
