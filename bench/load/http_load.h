#pragma once
// connswap-bench --http: N concurrent SSE completion streams through the director's HTTP
// front (POST /v1/completions, "stream": true), driven by libcurl's multi interface, one
// multi handle per thread. Each stream is re-issued as soon as it ends, so the concurrency
// stays at N. The SSE chunk carries no emit time, so there is no per-token latency: the
// thread records time to first token (request handed to curl -> first token event) and the
// gaps between a stream's consecutive token events instead. The front's ": migrated ..."
// comment counts a migration and yields a failover gap, as Migrated does over QUIC.

#include <memory>
#include <thread>

#include "load.h"

namespace connswap::bench {

// curl_global_init: once, before any HTTP driver starts. False if libcurl fails.
bool http_global_init();

// One load thread's share of the HTTP connections (libcurl multi, SSE).
std::unique_ptr<Driver> make_http_driver(const LoadConfig& config,
                                         int index,
                                         Window& window,
                                         Progress& progress);

}  // namespace connswap::bench
