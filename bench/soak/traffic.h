#pragma once
// The soak's clients: C QUIC connections to one director address, each keeping S bounded
// Generate streams open (services::GenerateClient, one per stream, verified token by
// token). A stream that ends is tallied and replaced by a new one, so every stream is
// verified to its Done. A lost connection is replaced and interrupted streams resume from
// their tickets (backoff 100 ms doubling to 1 s). Runs on its own thread and net::Loop;
// the main thread reads Progress (atomics) and, after stop(), the TrafficResult.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/address.h"
#include "base/time.h"
#include "faults.h"
#include "quic/tls.h"

namespace connswap::soak {

struct TrafficConfig {
  Address remote;
  std::shared_ptr<const quic::TlsContext> tls;
  int connections = 4;
  int streams = 50;  // concurrent, per connection
  std::uint32_t min_tokens = 40;
  std::uint32_t max_tokens = 200;
  std::uint64_t seed = 1;   // prompts and lengths
  Duration hung_after = 0;  // no token for this long: the stream is hung
  Duration resume_backoff = 100 * kMillisecond;
};

struct TrafficResult {
  std::uint64_t streams_started = 0;
  std::uint64_t streams_verified = 0;  // ended with Done, every token once, in order, right text
  std::uint64_t streams_failed = 0;    // ended otherwise (details in `failures`)
  std::uint64_t streams_cut = 0;       // still open at the end (checked so far, not lost)
  std::uint64_t retried_fresh = 0;     // ended UNAVAILABLE before any item: started again
  std::map<std::string, std::uint64_t> retried_why;  // their status messages
  std::uint64_t tokens = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t mismatched = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t hung = 0;
  std::uint64_t migrations = 0;
  std::uint64_t resumes = 0;
  std::uint64_t reconnects = 0;
  std::vector<Gap> gaps;
  std::vector<std::string> failures;  // the first few, described
};

struct TrafficProgress {
  std::atomic<std::uint64_t> tokens{0};
  std::atomic<std::uint64_t> verified{0};
  std::atomic<std::uint64_t> open{0};
  std::atomic<std::uint64_t> interrupted{0};
  std::atomic<std::uint64_t> hung{0};
  std::atomic<std::uint64_t> failed{0};
};

class Traffic {
 public:
  explicit Traffic(TrafficConfig config);
  ~Traffic();  // stops the thread if still running
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  void start();          // spawns the thread: connects and opens every stream
  TrafficResult stop();  // cancels the open streams, joins, returns the tally
  const TrafficProgress& progress() const { return progress_; }

  class Impl;  // traffic.cc

 private:
  TrafficProgress progress_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<Impl> impl_;  // after what it refers to
  std::thread thread_;
};

}  // namespace connswap::soak
