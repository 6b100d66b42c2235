#pragma once
// Assertions shared by the e2e tests: a client's stream(s) verified end to end, and the
// migrations it saw.

#include <set>
#include <string>

#include "e2e/cluster.h"

namespace connswap::e2e {

// The client exited 0 with `streams` streams of `max_tokens` tokens each, verified=true,
// lost/duplicated/out_of_order 0 and quic_handshakes=1; each stream logged every sequence
// 1..max_tokens exactly once (single-stream clients only: the log lines carry no stream
// prompt, so for several streams only the total is checked).
void expect_intact(Cluster& cluster,
                   testing::Process& client,
                   const Summary& summary,
                   std::uint64_t max_tokens,
                   std::uint64_t streams = 1);

// Exactly one migration, from `from` to `to`, for one of `reasons`, both in the log and in
// the summary.
void expect_one_migration(Cluster& cluster,
                          testing::Process& client,
                          const Summary& summary,
                          const std::string& from,
                          const std::string& to,
                          const std::set<std::string>& reasons);

// The worker the client was first assigned ("" if none yet).
std::string assigned_worker(const testing::Process& client);

// Waits until the client has logged token `seq` (of any stream).
bool wait_token(testing::Process& client, std::uint64_t seq);

// Milliseconds between the client's log lines for tokens `seq - 1` and `seq` (single
// stream), from the log timestamps; -1 if either is missing.
long long token_gap_ms(const testing::Process& client, std::uint64_t seq);

// "HH:MM:SS.ffffff" at the start of a log line, in microseconds since midnight; -1 if none.
long long log_time_us(const std::string& line);

}  // namespace connswap::e2e
