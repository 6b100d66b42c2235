#pragma once
// connswap-bench: reads a process's Prometheus /metrics (libcurl, one GET) and keeps the
// sample lines a failover run cares about, for the report.

#include <string>
#include <vector>

#include "base/error.h"

namespace connswap::bench {

// GET http://<host_port>/metrics within `timeout_ms`; the sample lines (no # comments)
// whose metric name matches `pattern` (ECMAScript regex, searched in the name only);
// histogram buckets are dropped (their _sum and _count stay). kIo if the GET fails.
// http_global_init() (http_load.h) must have run.
Result<std::vector<std::string>> scrape_metrics(const std::string& host_port,
                                                const std::string& pattern,
                                                long timeout_ms = 2000);

// The pattern connswap-bench uses for the director: migrations, stalls, probes, failovers,
// worker failures and the workers-by-state gauge.
inline constexpr const char* kFailoverMetrics =
    "^connswap_\\w*(migrat|stall|probe|failover|failure|heartbeat|lost)|^connswap_workers$";

}  // namespace connswap::bench
