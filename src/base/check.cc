#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace connswap::detail {

void check_failed(const char* expr, const char* msg, const char* file, int line) {
  std::fprintf(stderr, "CHECK failed: %s (%s) at %s:%d\n", expr, msg, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace connswap::detail
