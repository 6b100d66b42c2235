#pragma once
// The load generator: client threads, each with its own net::Loop and a share of the
// connections, each connection carrying S Generate streams (Director/Generate through the
// director, or Worker/Generate straight to a worker). Per token it reads the clock once:
// latency = receive time - the worker's emit_ns (same host, CLOCK_MONOTONIC), and a stream's
// failover gap = first token after a Migrated - last token before it - the normal interval.
// Time to first token = first Token - the call's start. A bounded stream (--max-tokens) that
// ends is re-issued on the same connection, so the concurrency stays at C x S.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/address.h"
#include "base/time.h"
#include "histogram.h"
#include "quic/tls.h"

namespace connswap::bench {

enum class Target : std::uint8_t { kDirector, kWorker };

struct LoadConfig {
  Target target = Target::kDirector;
  Address remote;
  std::string server_name = "localhost";
  std::shared_ptr<const quic::TlsContext> tls;
  int connections = 1;
  int streams_per_connection = 10;
  int threads = 1;
  std::uint32_t max_tokens = 0;  // 0 = unbounded; streams are cancelled at the end
  Duration interval = 0;         // the workers' token interval (subtracted from gaps)
  std::string prompt = "bench";
  int timeline_streams = 32;  // streams whose arrivals are kept for --plot
  std::string http_host;      // --http: HOST:PORT of the director's HTTP front
};

// Shared between the main thread and the load threads (atomics only).
struct Window {
  std::atomic<Timestamp> start{kNever};  // tokens received in [start, end) are counted
  std::atomic<Timestamp> end{kNever};
  std::atomic<bool> stop{false};  // threads cancel their streams and return
};

struct Progress {  // updated by load threads, read by the main thread (relaxed)
  std::atomic<std::uint64_t> tokens{0};
  std::atomic<std::uint64_t> streams_started{0};
  std::atomic<std::uint64_t> streams_flowing{0};  // received a first token
  std::atomic<std::uint64_t> streams_ended{0};    // ended before the bench stopped them
  std::atomic<std::uint64_t> migrations{0};
  std::atomic<std::uint64_t> connections_up{0};
};

struct GapSample {
  std::int64_t gap_ns = 0;   // first token after - last token before - interval (may be < 0)
  std::string reason;        // Migrated.reason
  Timestamp resumed_at = 0;  // the first token after the Migrated arrived
};

struct TimelinePoint {
  Timestamp at = 0;
  std::uint64_t seq = 0;
  int epoch = 0;  // bumped at each Migrated
};
struct Timeline {
  int stream = 0;
  std::vector<TimelinePoint> points;
  std::vector<Timestamp> migrations;  // when each Migrated arrived
  std::vector<std::string> workers;   // serving worker per epoch
  bool full = false;
};

struct LoadResult {
  Histogram latency;           // ns, tokens in the window with emit_ns
  Histogram token_gap;         // ns, between a stream's consecutive tokens in the window
  Histogram ttft;              // ns, requests sent in the window: sent -> first token
  Histogram ttft_opening;      // ns, the same for requests sent before the window
  std::uint64_t requests = 0;  // calls / HTTP requests started (re-issues included)
  // --http: "bad_chunk", "missing_done", "error_event", "http_<status>", "curl_<code>".
  std::map<std::string, std::uint64_t> protocol_errors;
  std::uint64_t window_tokens = 0;  // tokens received in the window
  std::uint64_t total_tokens = 0;
  std::uint64_t no_emit_time = 0;  // window tokens without emit_ns
  std::vector<GapSample> gaps;
  std::map<std::string, std::uint64_t> migrations;  // by reason
  std::uint64_t out_of_order = 0;                   // seq above the next expected (lost)
  std::uint64_t duplicates = 0;                     // seq below it
  std::uint64_t ended_early = 0;  // streams that ended before the bench cancelled them
  std::map<std::string, std::uint64_t> end_status;  // their status codes
  std::uint64_t streams = 0;
  std::uint64_t connect_failures = 0;
  std::vector<Timeline> timelines;
  void merge(LoadResult&& other);
};

// A load thread of either front: start(), then join() once window.stop is set. `body` runs
// the thread's share of the connections until window.stop and returns what it measured.
class Driver {
 public:
  using Body = std::function<LoadResult()>;
  explicit Driver(Body body) : body_(std::move(body)) {}
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  void start();       // spawns the thread
  LoadResult join();  // after window.stop: waits and returns what it measured

 private:
  Body body_;
  LoadResult result_;
  std::thread thread_;
};

// Records `now - sent` into result.ttft (sent in the window) or result.ttft_opening.
void record_ttft(LoadResult& result, const Window& window, Timestamp sent, Timestamp now);

// One load thread's share of the QUIC connections.
std::unique_ptr<Driver> make_quic_driver(const LoadConfig& config,
                                         int index,
                                         Window& window,
                                         Progress& progress);

}  // namespace connswap::bench
