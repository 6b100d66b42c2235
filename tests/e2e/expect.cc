#include "e2e/expect.h"

#include <cstdio>

#include <gtest/gtest.h>

namespace connswap::e2e {
namespace {

std::string token_line(const testing::Process& client, std::uint64_t seq) {
  const std::string needle = " sequence=" + std::to_string(seq) + ":";
  auto lines = client.stderr_lines({"received token", needle});
  return lines.empty() ? std::string() : lines.front();
}

}  // namespace

void expect_intact(Cluster& cluster,
                   testing::Process& client,
                   const Summary& summary,
                   std::uint64_t max_tokens,
                   std::uint64_t streams) {
  ASSERT_TRUE(summary.found) << client.name() << " printed no summary\n" << cluster.logs();
  ASSERT_TRUE(client.status().has_value());
  EXPECT_TRUE(client.status()->ok()) << testing::to_string(*client.status());
  EXPECT_EQ(summary.at("verified"), "true") << cluster.logs();
  EXPECT_EQ(summary.num("streams"), streams);
  EXPECT_EQ(summary.num("tokens"), streams * max_tokens);
  EXPECT_EQ(summary.num("lost"), 0U);
  EXPECT_EQ(summary.num("duplicated"), 0U);
  EXPECT_EQ(summary.num("out_of_order"), 0U);
  EXPECT_EQ(summary.num("quic_handshakes"), 1U);
  // The director echoed the client's connection id in Assigned.
  auto assigned = client.stderr_lines({"worker assigned to stream"});
  ASSERT_EQ(assigned.size(), streams);
  EXPECT_EQ(log_field(assigned.front(), "connection.id"), summary.at("connection.id"));
  // Independently of the client's own verifier: the log shows each sequence once.
  auto lines = client.stderr_lines({"received token"});
  EXPECT_EQ(lines.size(), streams * max_tokens);
  if (streams == 1) {
    std::vector<int> seen(max_tokens + 1, 0);
    for (const auto& line : lines) {
      const std::uint64_t seq = std::stoull(log_field(line, "sequence"));
      ASSERT_GE(seq, 1U);
      ASSERT_LE(seq, max_tokens);
      ++seen[seq];
    }
    for (std::uint64_t s = 1; s <= max_tokens; ++s) {
      EXPECT_EQ(seen[s], 1) << "sequence " << s;
    }
  }
}

void expect_one_migration(Cluster& cluster,
                          testing::Process& client,
                          const Summary& summary,
                          const std::string& from,
                          const std::string& to,
                          const std::set<std::string>& reasons) {
  auto migrations = migrations_of(client);
  ASSERT_EQ(migrations.size(), 1U) << cluster.logs();
  std::printf("[ migrated ] %s: %s -> %s reason=%s resume_seq=%llu\n",
              client.name().c_str(),
              migrations[0].from.c_str(),
              migrations[0].to.c_str(),
              migrations[0].reason.c_str(),
              static_cast<unsigned long long>(migrations[0].resume_seq));
  EXPECT_EQ(migrations[0].from, from);
  EXPECT_EQ(migrations[0].to, to);
  EXPECT_TRUE(reasons.contains(migrations[0].reason)) << "reason=" << migrations[0].reason;
  EXPECT_EQ(summary.num("migrations"), 1U);
  // The new worker serves from the sequence the client expects next.
  auto resumed =
      client.stderr_lines({"received token",
                           "worker=" + to + " ",
                           " sequence=" + std::to_string(migrations[0].resume_seq) + ":"});
  EXPECT_EQ(resumed.size(), 1U) << "resume_seq=" << migrations[0].resume_seq;
}

std::string assigned_worker(const testing::Process& client) {
  auto lines = client.stderr_lines({"worker assigned to stream"});
  return lines.empty() ? std::string() : log_field(lines.front(), "worker");
}

bool wait_token(testing::Process& client, std::uint64_t seq) {
  return client.wait_for_log({"received token", " sequence=" + std::to_string(seq) + ":"},
                             kStreamBudget);
}

long long token_gap_ms(const testing::Process& client, std::uint64_t seq) {
  const long long a = log_time_us(token_line(client, seq - 1));
  const long long b = log_time_us(token_line(client, seq));
  return a < 0 || b < 0 ? -1 : (b - a) / 1000;
}

long long log_time_us(const std::string& line) {
  int h = 0;
  int m = 0;
  int s = 0;
  long long us = 0;
  if (std::sscanf(line.c_str(), "%d:%d:%d.%lld", &h, &m, &s, &us) != 4) {
    return -1;
  }
  return ((h * 60LL + m) * 60LL + s) * 1'000'000LL + us;
}

}  // namespace connswap::e2e
