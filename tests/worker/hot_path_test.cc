// The synthetic token path allocates nothing per token once warm: the benchmarks' worker
// path must not pay for the token-source seam. Counts global operator new calls in this
// binary (the other tests never read the counter).

#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "worker/synthetic_source.h"
#include "worker/worker_stream.h"

namespace {
std::size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
// Not inlined: GCC 12 at -O1 and above inlines a replaced delete into `delete` expressions,
// then sees free() on memory from operator new and reports -Wmismatched-new-delete (a
// false positive here: this operator new allocates with malloc).
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace connswap::worker {
namespace {

TEST(HotPath, SyntheticTokensAllocateNothingOnceWarm) {
  constexpr std::size_t kWindow = 256;
  const std::size_t at_start = g_allocations;
  SyntheticSource source({.token_interval = 0, .prefix_window = kWindow});
  auto stream = source.start(
      {.request = {.prompt = "tell me a story", .max_tokens = 0}, .prefix = {}, .now = 0}, [] {});
  ASSERT_TRUE(stream);
  EXPECT_GT(g_allocations, at_start) << "the counter sees allocations (the stream is one)";
  WorkerStream ws(std::move(*stream), kFirstSeq);
  // Warm-up: the prefix window's vector reaches its final capacity (2 * window).
  for (std::size_t i = 0; i < 4 * kWindow; ++i) {
    ASSERT_TRUE(ws.poll(0, FailureAction::kServe));
  }
  const std::size_t before = g_allocations;
  std::size_t tokens = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto item = ws.poll(0, FailureAction::kServe);
    tokens += item && std::holds_alternative<TokenItem>(*item) ? 1 : 0;
  }
  EXPECT_EQ(tokens, 10'000U);
  // Demo words are short: the token strings stay in their small-string buffer.
  EXPECT_EQ(g_allocations - before, 0U);
}

}  // namespace
}  // namespace connswap::worker
