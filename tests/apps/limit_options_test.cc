// connswap-director's limit flags (issue 14 item 3): names, environment, defaults,
// validation, and what they set on the USER listener and the service.

#include "common/limit_options.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apps/env.h"
#include "common/cli.h"
#include "common/director_options.h"

namespace connswap::app::testing {
namespace {

int parse(DirectorArgs& args, std::vector<std::string> argv_strings) {
  argv_strings.insert(argv_strings.begin(), "connswap-director");
  std::vector<const char*> argv;
  for (const auto& a : argv_strings) {
    argv.push_back(a.c_str());
  }
  return parse_director_command_line(args, static_cast<int>(argv.size()), argv.data());
}

TEST(LimitOptions, FlagsEnvironmentAndDefaults) {
  EnvGuard env;
  env.set("CONNECTION_SWAP_DIRECTOR_MAX_CONNECTIONS_PER_ADDRESS", "7");
  env.set("CONNECTION_SWAP_DIRECTOR_RETRY_ABOVE_HANDSHAKES_PER_S", "0");
  DirectorArgs args;
  ASSERT_EQ(parse(args,
                  {"--max-connections",
                   "100",
                   "--max-streams-per-connection",
                   "8",
                   "--blocked-stream-timeout-ms",
                   "2500",
                   "--drain-batch-bytes",
                   "65536",
                   "--max-buffered-bytes",
                   "8388608",
                   "--replace-batch",
                   "7",
                   "--worker-connections",
                   "4"}),
            -1);
  ASSERT_TRUE(finish_director_options(args));
  const LimitArgs& l = args.limits;
  EXPECT_EQ(l.max_connections, 100U);
  EXPECT_EQ(l.max_connections_per_address, 7U);
  EXPECT_EQ(l.max_streams_per_connection, 8U);
  EXPECT_EQ(l.max_sessions, 65'536U);  // default
  EXPECT_EQ(l.blocked_stream_timeout, 2500 * kMillisecond);
  EXPECT_EQ(l.retry_above_per_second, 0U);  // always Retry
  const ServeLimits serve = user_port_limits(l);
  EXPECT_EQ(serve.admission.max_connections, 100U);
  EXPECT_EQ(serve.admission.max_connections_per_address, 7U);
  EXPECT_EQ(serve.admission.retry_above_per_second, 0U);
  EXPECT_EQ(serve.max_streams_per_connection, 8U);
  const services::StreamLimits stream = stream_limits(l);
  EXPECT_EQ(stream.max_streams_per_connection, 8U);
  EXPECT_EQ(stream.blocked_lifetime, 2500 * kMillisecond);
  EXPECT_EQ(stream.drain_batch_bytes, 65'536U);
  EXPECT_EQ(stream.max_buffered_bytes, 8'388'608U);
  EXPECT_EQ(stream.replace_batch, 7U);
  EXPECT_EQ(l.worker_connections, 4U);
  EXPECT_NE(describe(args).find("max_connections=100"), std::string::npos);
}

TEST(LimitOptions, DefaultsAreOnAndSane) {
  EnvGuard env;
  DirectorArgs args;
  ASSERT_EQ(parse(args, {}), -1);
  ASSERT_TRUE(finish_director_options(args));
  const ServeLimits serve = user_port_limits(args.limits);
  EXPECT_EQ(serve.admission.max_connections, 4'096U);
  EXPECT_EQ(serve.admission.max_connections_per_address, 256U);
  EXPECT_EQ(serve.admission.retry_above_per_second, 1'000U);
  EXPECT_EQ(serve.max_streams_per_connection, 1'024U);  // was QUIC's 10,000
  EXPECT_EQ(stream_limits(args.limits).blocked_lifetime, 120 * kSecond);
  EXPECT_EQ(stream_limits(args.limits).drain_batch_bytes, 262'144U);
  EXPECT_EQ(stream_limits(args.limits).max_buffered_bytes, 268'435'456U);
  EXPECT_EQ(stream_limits(args.limits).replace_batch, 0U);
  EXPECT_EQ(args.limits.worker_connections, 1U);
  env.set("CONNECTION_SWAP_DIRECTOR_DRAIN_BATCH_BYTES", "1048576");
  env.set("CONNECTION_SWAP_DIRECTOR_REPLACE_BATCH", "64");
  env.set("CONNECTION_SWAP_DIRECTOR_MAX_BUFFERED_BYTES", "33554432");
  DirectorArgs from_env;
  ASSERT_EQ(parse(from_env, {}), -1);
  ASSERT_TRUE(finish_director_options(from_env));
  EXPECT_EQ(stream_limits(from_env.limits).drain_batch_bytes, 1'048'576U);
  EXPECT_EQ(stream_limits(from_env.limits).max_buffered_bytes, 33'554'432U);
  EXPECT_EQ(stream_limits(from_env.limits).replace_batch, 64U);
}

TEST(LimitOptions, BadValuesAreRefusedNamingTheOption) {
  EnvGuard env;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--max-connections", "0"}, "--max-connections"},
      {{"--max-connections", "10", "--max-connections-per-address", "11"},
       "--max-connections-per-address"},
      {{"--max-streams-per-connection", "0"}, "--max-streams-per-connection"},
      {{"--max-sessions", "0"}, "--max-sessions"},
      {{"--blocked-stream-timeout-ms", "0"}, "--blocked-stream-timeout-ms"},
      {{"--drain-batch-bytes", "1023"}, "--drain-batch-bytes"},
      {{"--worker-connections", "0"}, "--worker-connections"},
      {{"--worker-connections", "17"}, "--worker-connections"},
      {{"--drain-batch-bytes", "67108865"}, "--drain-batch-bytes"},
      {{"--max-buffered-bytes", "1048575"}, "--max-buffered-bytes"},
  };
  for (const auto& [argv, name] : cases) {
    DirectorArgs args;
    ASSERT_EQ(parse(args, argv), -1) << name;
    auto r = finish_director_options(args);
    ASSERT_FALSE(r) << name;
    EXPECT_NE(r.error().detail.find(name), std::string::npos) << r.error().detail;
  }
  DirectorArgs negative;
  EXPECT_EQ(parse(negative, {"--max-connections", "-1"}), 2);  // a usage error
}

}  // namespace
}  // namespace connswap::app::testing
