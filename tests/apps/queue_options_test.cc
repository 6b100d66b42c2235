// The queue bounds (issue 15, bounded queues end to end): --send-queue-bytes on both
// programs, the director's --worker-stream-window-bytes: names, environment, defaults,
// validation, and what they set on the USER listener and the worker connections.

#include "common/queue_options.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apps/env.h"
#include "common/director_options.h"
#include "common/worker_options.h"

namespace connswap::app::testing {
namespace {

std::vector<const char*> argv_of(const char* program, const std::vector<std::string>& args) {
  std::vector<const char*> argv{program};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  return argv;
}

int parse(DirectorArgs& args, const std::vector<std::string>& flags) {
  const auto argv = argv_of("connswap-director", flags);
  return parse_director_command_line(args, static_cast<int>(argv.size()), argv.data());
}

int parse(WorkerArgs& args, const std::vector<std::string>& flags) {
  const auto argv = argv_of("connswap-worker", flags);
  return parse_worker_command_line(args, static_cast<int>(argv.size()), argv.data());
}

TEST(QueueOptions, DefaultsAreSmallAndApplied) {
  EnvGuard env;
  DirectorArgs director;
  ASSERT_EQ(parse(director, {}), -1);
  ASSERT_TRUE(finish_director_options(director));
  EXPECT_EQ(director.queues.send_queue_bytes, 16'384U);
  EXPECT_EQ(director.queues.worker_stream_window, 4'096U);
  ServeLimits user;
  apply_send_queue(director.queues, user);
  EXPECT_EQ(user.session.send_high_water, 16'384U);
  EXPECT_EQ(user.send_low_water, 8'192U);  // half the queue: StreamWritable below it
  EXPECT_EQ(user.session.max_frame_size, rpc::SessionConfig{}.max_frame_size);
  quic::TransportSettings to_workers;
  apply_worker_window(director.queues, to_workers);
  EXPECT_EQ(to_workers.stream_window, 4'096U);
  EXPECT_EQ(to_workers.max_stream_window, 4'096U);  // no auto-tuning past it
  EXPECT_TRUE(quic::validate(to_workers));
  EXPECT_NE(describe(director).find("send_queue_bytes=16384 worker_stream_window_bytes=4096"),
            std::string::npos);

  WorkerArgs worker;
  ASSERT_EQ(parse(worker, {}), -1);
  ASSERT_TRUE(finish_worker_options(worker));
  EXPECT_EQ(worker.queues.send_queue_bytes, kWorkerSendQueueBytes);
  EXPECT_NE(describe(worker).find("send_queue_bytes=4096"), std::string::npos);
}

TEST(QueueOptions, FlagsAndEnvironment) {
  EnvGuard env;
  env.set("CONNECTION_SWAP_DIRECTOR_WORKER_STREAM_WINDOW_BYTES", "65536");
  env.set("CONNECTION_SWAP_WORKER_SEND_QUEUE_BYTES", "2048");
  DirectorArgs director;
  ASSERT_EQ(parse(director, {"--send-queue-bytes", "1048576"}), -1);
  ASSERT_TRUE(finish_director_options(director));
  EXPECT_EQ(director.queues.send_queue_bytes, 1'048'576U);
  EXPECT_EQ(director.queues.worker_stream_window, 65'536U);
  ServeLimits user;
  apply_send_queue(director.queues, user);
  EXPECT_EQ(user.send_low_water, quic::TransportSettings{}.send_low_water);  // capped
  WorkerArgs worker;
  ASSERT_EQ(parse(worker, {}), -1);
  ASSERT_TRUE(finish_worker_options(worker));
  EXPECT_EQ(worker.queues.send_queue_bytes, 2'048U);
}

TEST(QueueOptions, BadValuesAreRefusedNamingTheOption) {
  EnvGuard env;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--send-queue-bytes", "1023"}, "--send-queue-bytes"},
      {{"--send-queue-bytes", "67108865"}, "--send-queue-bytes"},
      {{"--worker-stream-window-bytes", "1023"}, "--worker-stream-window-bytes"},
      {{"--worker-stream-window-bytes", "67108865"}, "--worker-stream-window-bytes"},
  };
  for (const auto& [flags, name] : cases) {
    DirectorArgs args;
    ASSERT_EQ(parse(args, flags), -1) << name;
    auto r = finish_director_options(args);
    ASSERT_FALSE(r) << name;
    EXPECT_NE(r.error().detail.find(name), std::string::npos) << r.error().detail;
  }
  WorkerArgs worker;
  ASSERT_EQ(parse(worker, {"--send-queue-bytes", "100"}), -1);
  auto r = finish_worker_options(worker);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("--send-queue-bytes"), std::string::npos);
  WorkerArgs no_window;  // the worker has no such flag: a usage error
  EXPECT_EQ(parse(no_window, {"--worker-stream-window-bytes", "4096"}), 2);
}

}  // namespace
}  // namespace connswap::app::testing
