#pragma once
// CONNSWAP_CHECK: always on; logs and aborts when the process cannot continue.
// CONNSWAP_ASSERT: debug-only internal invariant. Never use either on anything a peer or
// the OS can cause: those are errors (Result), not crashes.

#include <cassert>

namespace connswap::detail {
[[noreturn]] void check_failed(const char* expr, const char* msg, const char* file, int line);
}  // namespace connswap::detail

#define CONNSWAP_CHECK(cond, msg)                                         \
  do {                                                                    \
    if (!(cond)) [[unlikely]] {                                           \
      ::connswap::detail::check_failed(#cond, (msg), __FILE__, __LINE__); \
    }                                                                     \
  } while (0)

#define CONNSWAP_ASSERT(cond) assert(cond)
