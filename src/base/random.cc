#include "base/random.h"

#include <cerrno>

#include <sys/random.h>

#include "base/check.h"

namespace connswap {

void fill_random(MutableByteSpan out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    CONNSWAP_CHECK(n > 0, "getrandom failed");
    done += static_cast<std::size_t>(n);
  }
}

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  fill_random({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
  return v;
}

}  // namespace connswap
