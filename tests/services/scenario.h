#pragma once
// Configs shared by the services tests.

#include <string>

#include "services/world.h"

namespace connswap::services::testing {

// "worker-a" -> USER 10.0.0.1:62000, MGMT 10.0.0.1:63000; seed pacing (500 ms) and
// heartbeats (5 s); no failure unless asked.
inline worker::WorkerConfig worker_config(const std::string& label,
                                          worker::FailMode mode = worker::FailMode::kNone,
                                          Duration fail_after = 0) {
  worker::WorkerConfig c;
  const std::string host = "10.0.0." + std::to_string(label.back() - 'a' + 1);
  c.label = label;
  c.user_addr = host + ":62000";
  c.mgmt_addr = host + ":63000";
  c.fail_mode = mode;
  c.fail_after = fail_after;
  return c;
}

inline GenerateClientConfig client_config(std::uint32_t streams = 1,
                                          std::uint32_t max_tokens = 60,
                                          std::string connection_id = "conn-1234") {
  GenerateClientConfig c;
  c.connection_id = std::move(connection_id);
  c.streams = streams;
  c.request = {.prompt = "tell me a story", .max_tokens = max_tokens};
  return c;
}

}  // namespace connswap::services::testing
