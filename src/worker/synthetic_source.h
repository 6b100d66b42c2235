#pragma once
// The built-in token source: a synchronous Generator (DemoGenerator by default) paced by a
// TokenSchedule. Each stream keeps the last `prefix_window` tokens as the generator's
// prefix. Never waits for an external event, so it never calls its Notify. For failover
// benchmarks it can imitate a model server: a prefill delay and a jittered interval.

#include <cstddef>
#include <memory>

#include "base/time.h"
#include "worker/generator.h"
#include "worker/token_source.h"

namespace connswap::worker {

struct SyntheticConfig {
  Duration token_interval = 500 * kMillisecond;  // pacing; 0 = every poll has a token
  std::size_t prefix_window = 256;               // tokens of history for the generator
  // Each interval is uniform in [1 - p, 1 + p] x token_interval (p = jitter_pct / 100, at
  // most 1), drawn from FNV-1a(prompt) and the token's seq: the same stream jitters the
  // same way on every run and on every worker it resumes on. 0 = steady pacing.
  std::uint32_t jitter_pct = 0;
  // Every call's first token (a fresh stream's or a resumed one's) comes this long after
  // the call starts, as a model's prefill would; 0 = at once.
  Duration prefill = 0;
};

// Streams start_seq..max_tokens (max_tokens == 0: unbounded) of `generator`'s tokens, the
// first after `prefill`, then one per (jittered) token_interval, then Done{kLength}. Never fails.
// `generator` (default: an owned DemoGenerator) must outlive the source and every stream it
// started.
class SyntheticSource final : public TokenSource {
 public:
  explicit SyntheticSource(SyntheticConfig config, const Generator* generator = nullptr);

  Result<std::unique_ptr<TokenStream>> start(StreamStart start, Notify notify) override;

 private:
  SyntheticConfig config_;
  DemoGenerator demo_;
  const Generator& gen_;
};

}  // namespace connswap::worker
